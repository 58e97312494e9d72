//! Named sizes: `const CLASSES: usize = 10;` items inside a `model!`. The macro computes each
//! value (an integer, or an expression of integers and sizes declared before it), emits the
//! items as they are written, and reads a layer argument that names one as its value
//! (`Dense(CLASSES)`). A name declared outside the `model!` it cannot see: see
//! [`crate::args::positive_int`].

use crate::parse::{Call, Value};
use quote::ToTokens;
use std::collections::HashMap;
use syn::{BinOp, Expr, ItemConst, Lit};

/// The named sizes of one `model!`, their values, and the mistakes in them.
#[derive(Default)]
pub struct Sizes {
    items: Vec<ItemConst>,
    values: HashMap<String, i128>,
    errors: Option<syn::Error>,
}

impl Sizes {
    /// Reads `item`'s value, from integers and the sizes before it.
    pub fn push(&mut self, item: ItemConst) {
        let value = usize_type(&item.ty).and_then(|()| self.eval(&item.expr));
        match value {
            Ok(value) => {
                self.values.insert(item.ident.to_string(), value);
            }
            Err(e) => match &mut self.errors {
                Some(all) => all.combine(e),
                None => self.errors = Some(e),
            },
        }
        self.items.push(item);
    }

    /// The mistakes in the sizes, all together.
    pub fn errors(&self) -> Option<&syn::Error> {
        self.errors.as_ref()
    }

    /// Replaces every argument (in blocks and nested calls too) that names a size by its value,
    /// spanned at the name.
    pub fn resolve(&self, calls: &mut [Call]) {
        for call in calls {
            for arg in &mut call.args {
                self.resolve_value(&mut arg.value);
            }
            if let Some(body) = &mut call.body {
                self.resolve(body);
            }
        }
    }

    fn resolve_value(&self, value: &mut Value) {
        match value {
            Value::Ident(name) => {
                if let Some(&v) = self.values.get(&name.to_string()) {
                    *value = Value::Int(v, name.span());
                }
            }
            Value::Tuple(items, _) => items.iter_mut().for_each(|v| self.resolve_value(v)),
            Value::Call(call) => self.resolve(std::slice::from_mut(call)),
            _ => {}
        }
    }

    /// `28 * 28`, `(LEN - 1) / 2`, `CLASSES`: integers, earlier sizes, `+ - * / %`.
    fn eval(&self, expr: &Expr) -> syn::Result<i128> {
        let overflow = || syn::Error::new_spanned(expr, "this size overflows");
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(i) => i.base10_parse(),
                _ => Err(not_computable(expr)),
            },
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Path(p) => {
                let name = p.path.get_ident().map(|i| i.to_string());
                match name.and_then(|n| self.values.get(&n)) {
                    Some(&v) => Ok(v),
                    None => Err(syn::Error::new_spanned(
                        expr,
                        format!(
                            "`{}` is not a size declared before this one in the `model!`; declare it first, or write the number",
                            expr.to_token_stream()
                        ),
                    )),
                }
            }
            Expr::Binary(b) => {
                let (l, r) = (self.eval(&b.left)?, self.eval(&b.right)?);
                let value = match b.op {
                    BinOp::Add(_) => l.checked_add(r),
                    BinOp::Sub(_) => l.checked_sub(r),
                    BinOp::Mul(_) => l.checked_mul(r),
                    BinOp::Div(_) => l.checked_div(r),
                    BinOp::Rem(_) => l.checked_rem(r),
                    _ => return Err(not_computable(expr)),
                };
                value.ok_or_else(overflow)
            }
            _ => Err(not_computable(expr)),
        }
    }
}

impl ToTokens for Sizes {
    /// The items as written, and their mistakes.
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        for item in &self.items {
            item.to_tokens(tokens);
        }
        if let Some(errors) = &self.errors {
            tokens.extend(errors.to_compile_error());
        }
    }
}

fn usize_type(ty: &syn::Type) -> syn::Result<()> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("usize") => Ok(()),
        _ => Err(syn::Error::new_spanned(
            ty,
            "a named size in a `model!` is a `usize`: write `const NAME: usize = 64;`",
        )),
    }
}

fn not_computable(expr: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        "the `model!` computes its named sizes itself, so a size is an integer or an expression of integers and sizes declared before it with `+`, `-`, `*`, `/` and `%` (`28 * 28`)",
    )
}

#[cfg(test)]
mod tests {
    use super::Sizes;
    use crate::parse::{Input, Value};

    fn sizes(items: &[&str]) -> Sizes {
        let mut sizes = Sizes::default();
        for item in items {
            sizes.push(syn::parse_str(item).unwrap());
        }
        sizes
    }

    #[test]
    fn computes_sizes_from_integers_and_earlier_sizes() {
        let s = sizes(&[
            "const SIDE: usize = 28;",
            "pub const PIXELS: usize = SIDE * SIDE;",
            "const HALF: usize = (PIXELS - 4) / 2 % 1000 + 1;",
        ]);
        assert!(s.errors().is_none());
        assert_eq!(s.values["PIXELS"], 784);
        assert_eq!(s.values["HALF"], 391);
    }

    #[test]
    fn refuses_what_it_cannot_compute() {
        for item in [
            "const N: usize = LATER + 1;",
            "const N: usize = f(3);",
            "const N: u32 = 3;",
        ] {
            assert!(sizes(&[item]).errors().is_some(), "{item}");
        }
    }

    #[test]
    fn layer_arguments_that_name_a_size_read_its_value() {
        let input: Input = syn::parse_quote! {
            const LEN: usize = 150;
            const CLASSES: usize = 10;
            struct Net { Input(LEN, 1), Residual { Dense(CLASSES) }, Dense(CLASSES, activation = softmax) }
        };
        let calls = &input.models[0].calls;
        assert!(matches!(calls[0].args[0].value, Value::Int(150, _)));
        let block = calls[1].body.as_ref().unwrap();
        assert!(matches!(block[0].args[0].value, Value::Int(10, _)));
        assert!(matches!(calls[2].args[0].value, Value::Int(10, _)));
        assert!(matches!(&calls[2].args[1].value, Value::Ident(i) if i == "softmax"));
    }
}
