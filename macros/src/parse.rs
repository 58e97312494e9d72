//! Syntax: the tokens of a `model!` invocation parsed into declarations and layer calls.
//!
//! ```text
//! model! {
//!     const CLASSES: usize = 10;
//!     /// docs
//!     pub struct Mlp {
//!         Input(784),
//!         Dense(64, activation = relu),
//!         Dense(CLASSES, activation = softmax),
//!     }
//! }
//! ```
//! Nothing here knows what a layer means: every layer is a [`Call`] whose arguments are read by
//! the layer's own module.

use crate::sizes::Sizes;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, bracketed, parenthesized, Attribute, Ident, LitStr, Token, Visibility};

/// Everything inside one `model! { ... }`: one or more model declarations, and the named sizes
/// (`const CLASSES: usize = 10;`) their layers may use.
pub struct Input {
    pub sizes: Sizes,
    pub models: Vec<ModelDecl>,
}

/// `#[attrs] vis struct Name { Input(...), Layer(...), ... }`
pub struct ModelDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The braces, for errors about the model as a whole (e.g. an empty model).
    pub body_span: Span,
    pub calls: Vec<Call>,
    /// A syntax error after the name: the model is not checked, only its stand-in declared.
    pub syntax: Option<syn::Error>,
}

/// `Name(arg, ..., key = value, ...)`: a layer, an input declaration or a parameterised
/// activation such as `leaky_relu(alpha = 0.1)`; a block of layers is `Name { ... }` or
/// `Name(args) { ... }` (`Residual { Dense(8), Dense(8) }`).
#[derive(Clone)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// The layers of a block, when braces follow.
    pub body: Option<Vec<Call>>,
    /// Span of the whole call, from the name to the closing parenthesis.
    pub span: Span,
    pub tokens: TokenStream,
}

/// One argument, positional (`64`) or keyword (`activation = relu`).
#[derive(Clone)]
pub struct Arg {
    pub key: Option<Ident>,
    pub value: Value,
}

/// An argument's value, as written.
#[derive(Clone)]
pub enum Value {
    /// An integer literal, possibly negated, with the span of its tokens.
    Int(i128, Span),
    /// A float literal, possibly negated.
    Float(f64, Span),
    Bool(bool, Span),
    Str(LitStr),
    /// A bare name: `relu`, `same`, `None`.
    Ident(Ident),
    /// A call: `leaky_relu(0.1)`.
    Call(Call),
    /// `(3, 3)` or `[3, 3]`.
    Tuple(Vec<Value>, Span),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Int(_, s) | Value::Float(_, s) | Value::Bool(_, s) | Value::Tuple(_, s) => *s,
            Value::Str(l) => l.span(),
            Value::Ident(i) => i.span(),
            Value::Call(c) => c.span,
        }
    }

    /// What kind of value this is, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(v, _) => format!("the integer `{v}`"),
            Value::Float(v, _) => format!("the number `{v}`"),
            Value::Bool(v, _) => format!("`{v}`"),
            Value::Str(s) => format!("the string \"{}\"", s.value()),
            Value::Ident(i) => format!("`{i}`"),
            Value::Call(c) => format!("`{}(...)`", c.name),
            Value::Tuple(v, _) => format!("a tuple of {} values", v.len()),
        }
    }
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (mut sizes, mut models) = (Sizes::default(), Vec::<ModelDecl>::new());
        while !input.is_empty() {
            let ahead = input.fork();
            ahead.call(Attribute::parse_outer)?;
            ahead.parse::<Visibility>()?;
            if ahead.peek(Token![const]) {
                sizes.push(input.parse()?);
            } else {
                models.push(input.parse()?);
            }
        }
        if models.is_empty() {
            return Err(input.error(
                "`model!` declares no model; write `model! { pub struct Name { Input(784), Dense(10) } }`",
            ));
        }
        for model in &mut models {
            sizes.resolve(&mut model.calls);
        }
        Ok(Input { sizes, models })
    }
}

impl Parse for ModelDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        ModelDecl::rest(attrs, vis, input)
    }
}

impl ModelDecl {
    /// The declaration after its attributes and visibility. A mistake after the name (generic
    /// parameters, a layer that does not parse) is kept in [`ModelDecl::syntax`], so that the
    /// model's stand-in is still declared beside it.
    fn rest(attrs: Vec<Attribute>, vis: Visibility, input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Token![struct]) {
            return Err(input.error("expected `struct Name { ... }`: a model is declared like `pub struct Mlp { Input(784), Dense(10) }`"));
        }
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let mut syntax = None;
        if input.peek(Token![<]) {
            syntax = Some(input.error("a model declares no generic parameters: kiln makes it generic over the scalar type (`Name<T = f32>`) itself"));
            input.parse::<syn::Generics>()?;
        }
        let content;
        let brace = braced!(content in input);
        let calls = match whole(&content, Punctuated::<Call, Token![,]>::parse_terminated) {
            Ok(calls) => calls.into_iter().collect(),
            Err(error) => {
                syntax.get_or_insert(error);
                Vec::new()
            }
        };
        Ok(ModelDecl {
            attrs,
            vis,
            name,
            body_span: brace.span.join(),
            calls,
            syntax,
        })
    }
}

impl Parse for Call {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.cursor();
        let name: Ident = input.parse()?;
        let block = input.peek(syn::token::Brace);
        if !block && !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected arguments after `{name}`: write `{name}(...)`, with empty parentheses if it takes none"),
            ));
        }
        let mut args = Vec::new();
        let mut end = name.span();
        if !block {
            let content;
            let parens = parenthesized!(content in input);
            args = whole(&content, Punctuated::<Arg, Token![,]>::parse_terminated)?
                .into_iter()
                .collect();
            end = parens.span.close();
        }
        // Re-collect the call's own tokens (name and arguments, not a block's body) so errors
        // can be spanned at the whole call.
        let mut tokens = TokenStream::new();
        let mut cursor = start;
        while let Some((tt, next)) = cursor.token_tree() {
            let is_group = matches!(tt, proc_macro2::TokenTree::Group(_));
            if !(is_group && block) {
                tt.to_tokens(&mut tokens);
            }
            cursor = next;
            if is_group || block {
                break;
            }
        }
        let body = if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            let calls = whole(&content, Punctuated::<Call, Token![,]>::parse_terminated)?;
            Some(calls.into_iter().collect())
        } else {
            None
        };
        let span = name.span().join(end).unwrap_or(name.span());
        Ok(Call {
            name,
            args,
            body,
            span,
            tokens,
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Arg {
                key: Some(key),
                value: input.parse()?,
            })
        } else {
            Ok(Arg {
                key: None,
                value: input.parse()?,
            })
        }
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![-]) {
            let minus: Token![-] = input.parse()?;
            let lit: syn::Lit = input.parse()?;
            let span = minus.span.join(lit.span()).unwrap_or(lit.span());
            return match lit {
                syn::Lit::Int(i) => Ok(Value::Int(-i.base10_parse::<i128>()?, span)),
                syn::Lit::Float(f) => Ok(Value::Float(-f.base10_parse::<f64>()?, span)),
                other => Err(syn::Error::new(other.span(), "expected a number after `-`")),
            };
        }
        if input.peek(syn::token::Paren) {
            let content;
            let p = parenthesized!(content in input);
            let items = whole(&content, Punctuated::<Value, Token![,]>::parse_terminated)?;
            return Ok(Value::Tuple(items.into_iter().collect(), p.span.join()));
        }
        if input.peek(syn::token::Bracket) {
            let content;
            let b = bracketed!(content in input);
            let items = whole(&content, Punctuated::<Value, Token![,]>::parse_terminated)?;
            return Ok(Value::Tuple(items.into_iter().collect(), b.span.join()));
        }
        if input.peek(syn::Lit) {
            return match input.parse::<syn::Lit>()? {
                syn::Lit::Int(i) => Ok(Value::Int(i.base10_parse::<i128>()?, i.span())),
                syn::Lit::Float(f) => Ok(Value::Float(f.base10_parse::<f64>()?, f.span())),
                syn::Lit::Bool(b) => Ok(Value::Bool(b.value, b.span)),
                syn::Lit::Str(s) => Ok(Value::Str(s)),
                other => Err(syn::Error::new(
                    other.span(),
                    "expected a number, `true`/`false`, a string or a name",
                )),
            };
        }
        if input.peek(Token![::]) || (input.peek(Ident::peek_any) && input.peek2(Token![::])) {
            return Err(outside_size(&input.parse()?));
        }
        if input.peek(Ident) {
            if input.peek2(syn::token::Paren) {
                return Ok(Value::Call(input.parse()?));
            }
            return Ok(Value::Ident(input.parse()?));
        }
        Err(input.error("expected a value: a number, a name such as `relu`, a string or a tuple such as `(3, 3)`"))
    }
}

/// Parses the whole of a group's `content`; on an error, skips the rest of it, so that the error
/// is the one reported (not "unexpected token" for what was left) and the model's stand-in can
/// still be declared.
fn whole<T>(
    content: ParseStream,
    parse: impl FnOnce(ParseStream) -> syn::Result<T>,
) -> syn::Result<T> {
    parse(content).inspect_err(|_| {
        let _ = content.parse::<TokenStream>();
    })
}

/// A path such as `config::CLASSES` where a value goes: a constant the macro cannot see.
fn outside_size(path: &syn::Path) -> syn::Error {
    let shown = path.to_token_stream().to_string().replace(' ', "");
    let last = path
        .segments
        .last()
        .map_or(String::new(), |s| s.ident.to_string());
    syn::Error::new_spanned(
        path,
        format!(
            "`{shown}` is a constant outside the `model!`, which the macro cannot see; declare the size inside the `model!`, before the struct: `const {last}: usize = ...;`, or write the number"
        ),
    )
}

impl Call {
    /// The call's span, for `syn::Error::new`.
    pub fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_model_with_keyword_and_nested_arguments() {
        let input: Input = syn::parse_quote! {
            /// docs
            pub struct Mlp {
                Input(784),
                Dense(64, activation = leaky_relu(alpha = 0.1)),
                Dropout(-0.5),
                Conv2D(8, kernel_size = (3, 3)),
            }
        };
        let m = &input.models[0];
        assert_eq!(m.name, "Mlp");
        assert_eq!(m.calls.len(), 4);
        assert_eq!(m.calls[1].args[1].key.as_ref().unwrap(), "activation");
        assert!(matches!(&m.calls[1].args[1].value, Value::Call(c) if c.name == "leaky_relu"));
        assert!(matches!(m.calls[2].args[0].value, Value::Float(v, _) if v == -0.5));
        assert!(matches!(&m.calls[3].args[1].value, Value::Tuple(v, _) if v.len() == 2));
    }

    #[test]
    fn a_declaration_that_fails_after_its_name_is_kept_with_its_error() {
        let input: Input = syn::parse_quote! {
            struct A<T> { Input(2), Dense(1) }
            struct B { Input(2), Dense(config::UNITS, activation = relu), Dense(1) }
            struct C { Input(2), Flatten, Dense(1) }
        };
        let names: Vec<String> = input.models.iter().map(|m| m.name.to_string()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert!(input.models.iter().all(|m| m.syntax.is_some()));
        let b = input.models[1].syntax.as_ref().unwrap().to_string();
        assert!(b.contains("`config::UNITS` is a constant outside"), "{b}");
    }

    #[test]
    fn several_models_in_one_invocation() {
        let input: Input = syn::parse_quote! {
            struct A { Input(2), Dense(1) }
            pub(crate) struct B { Input(3), Dense(2) }
        };
        assert_eq!(input.models.len(), 2);
    }
}
