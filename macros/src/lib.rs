//! The `model!` compiler behind kiln: parse ([`parse`]) into an IR ([`ir`]) while checking
//! arguments and inferring every shape ([`check`]), then generate statically sized code
//! ([`codegen`]). Layer kinds live in [`layers`], one module each.

mod activation;
mod args;
mod check;
mod codegen;
mod ctxt;
mod ir;
mod layers;
mod parse;
mod suggest;

use proc_macro::TokenStream;

/// Declares statically sized neural networks. See the `kiln` crate for the language.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as parse::Input);
    let tokens: proc_macro2::TokenStream = input.models.into_iter().map(expand).collect();
    if std::env::var_os("KILN_DEBUG_TOKENS").is_some() {
        eprintln!("{tokens}");
    }
    tokens.into()
}

/// One model: its code, or its errors beside a fallback declaration.
fn expand(decl: parse::ModelDecl) -> proc_macro2::TokenStream {
    let fallback = codegen::fallback(&decl);
    match check::check(decl) {
        Ok(model) => codegen::generate(&model),
        Err(error) => {
            let error = error.into_compile_error();
            quote::quote!(#fallback #error)
        }
    }
}
