//! The `model!` compiler behind kiln.
use proc_macro::TokenStream;

/// Declares a statically sized neural network. See the `kiln` crate.
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
