//! Code generation from a checked [`Model`]: the parameter struct, its workspace, and the
//! forward, backward and single-sample passes, all with sizes fixed at compile time. Each
//! concern is a module: `params` (initialisation and the `LAYERS` table), `workspace`,
//! `passes` (every layer's code), `api` (the model's methods and `kiln::Model`), `streaming`
//! (`step` and its state), `summary`; and `fallback`, what a model that fails to check still
//! declares.

mod api;
mod fallback;
mod params;
mod passes;
mod streaming;
mod summary;
mod workspace;

use crate::ir::Model;
use proc_macro2::TokenStream;
use quote::quote;

pub use fallback::fallback;

pub fn generate(model: &Model) -> TokenStream {
    let Model {
        attrs, vis, name, ..
    } = model;
    let passes = passes::Passes::of(model);
    let fields = workspace::Fields::of(model);
    let streaming = streaming::Streaming::of(model);
    let state = streaming.as_ref().map(|s| &s.state);
    let workspace = workspace::declaration(model, &fields, state);
    let new_workspace = workspace::constructor(model, &fields, state.is_some());
    let workspace_impls = workspace::impls(model, &fields, &passes.logits);
    let (state_items, step_methods) = match &streaming {
        Some(s) => (s.state_items(model), s.step_methods(model)),
        None => streaming::cannot_stream(model),
    };
    let constants = api::constants(model);
    let predict = api::predict(model, &passes);
    let batches = api::batches(model);
    let model_impl = api::model_impl(model, &passes, &new_workspace);
    quote! {
        #(#attrs)*
        #vis struct #name<T: ::kiln::Scalar = f32> {
            params: ::kiln::__private::Box<[T]>,
        }

        #workspace
        #state_items

        const _: () = {
            #constants
            #predict
            #batches
            #step_methods
            #model_impl
            #workspace_impls
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::{check, parse};

    fn generated_len(tokens: proc_macro2::TokenStream) -> usize {
        let input: parse::Input = syn::parse2(tokens).unwrap();
        let model = check::check(input.models.into_iter().next().unwrap()).unwrap();
        super::generate(&model).to_string().len()
    }

    #[test]
    fn generated_code_does_not_grow_with_layer_sizes() {
        let small = generated_len(
            quote::quote!(struct M { Input(8), Dense(10, activation = relu), Dense(2) }),
        );
        let large = generated_len(
            quote::quote!(struct M { Input(150528), Dense(100000, activation = relu), Dense(2) }),
        );
        // Only the digits of the sizes and offsets differ.
        assert!(large < small * 11 / 10, "{small} vs {large} characters");
    }

    #[test]
    fn generated_code_grows_linearly_with_depth() {
        let layers = |n: usize| {
            let dense = (0..n)
                .map(|_| "Dense(16, activation = tanh)")
                .collect::<Vec<_>>()
                .join(", ");
            format!("struct M {{ Input(16), {dense} }}")
                .parse()
                .unwrap()
        };
        let (one, ten, twenty) = (
            generated_len(layers(1)),
            generated_len(layers(10)),
            generated_len(layers(20)),
        );
        let (first, second) = (ten - one, twenty - ten);
        assert!(
            second < first * 13 / 10,
            "10 more layers cost {first}, then {second} characters"
        );
    }
}
