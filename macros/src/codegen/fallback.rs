//! What a model that fails to check still declares beside its `compile_error!`: its whole public
//! surface (thiserror's `fallback.rs`), so that code using it (`Net::new(0)`, `.summary()`,
//! `.predict(&x)`, `.compile(..)`, `.fit(..)`, `NetState`, `kiln::io::load`) gives no error of its
//! own and the user sees the model's one error.
//!
//! The sizes are unknown, so every method takes samples of any type (`X: ?Sized`) and returns what
//! unifies with most uses: an `SVector<T, 1>` (indexing, `argmax`, iteration), an output kind
//! every loss accepts (`kiln::output::AnyOutput`), widths of every `N`. The bodies never run:
//! the crate does not compile.

use crate::parse::ModelDecl;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The stand-in's declarations: the model, its workspace and its streaming state, and their impls.
pub fn fallback(decl: &ModelDecl) -> TokenStream {
    let ModelDecl {
        attrs, vis, name, ..
    } = decl;
    let ws = format_ident!("{name}Workspace");
    let state = format_ident!("{name}State");
    let (methods, model_impl) = (methods(name, &ws, &state), model_impl(name, &ws));
    let (workspace_impls, state_impls) = (workspace_impls(&ws, &state), state_impls(&state));
    quote! {
        #(#attrs)*
        #vis struct #name<T: ::kiln::Scalar = f32>(::core::marker::PhantomData<T>);
        #[doc(hidden)]
        #vis struct #ws<T: ::kiln::Scalar = f32>(::core::marker::PhantomData<T>);
        #[doc(hidden)]
        #[derive(Clone, Debug, Default, PartialEq)]
        #vis struct #state<T: ::kiln::Scalar = f32>(::core::marker::PhantomData<T>);

        const _: () = {
            #methods
            #model_impl
            #workspace_impls
            #state_impls
        };
    }
}

/// Never runs: the crate that holds a stand-in does not compile.
fn never() -> TokenStream {
    quote!(::core::unreachable!(
        "a model with a compile error never runs"
    ))
}

/// The model's inherent constants and methods, as `api.rs` and `streaming.rs` declare them,
/// over samples of any size, with the bounds that decide the scalar type where the real ones
/// do (`step`'s state, `predict_with`'s parameters).
fn methods(name: &Ident, ws: &Ident, state: &Ident) -> TokenStream {
    let never = never();
    let sample = quote!(::kiln::__private::SVector<T, 1>);
    let tokens_error = quote!(::kiln::layers::embedding::TokenOutOfRange);
    quote! {
        impl #name<f32> {
            pub fn new(_: u64) -> Self { #never }
        }

        impl<T: ::kiln::Scalar> #name<T> {
            pub const INPUT_SHAPE: &'static [usize] = &[1];
            pub const INPUT_SIZE: usize = 1;
            pub const OUTPUT_SIZE: usize = 1;
            pub const PARAM_COUNT: usize = 1;
            pub const TRAINABLE_PARAMS: usize = 1;
            pub const STEP_INPUT_SIZE: usize = 1;
            pub const VOCABULARY: usize = 1;
            pub const LAYERS: &'static [::kiln::LayerInfo] = &[];
            pub const SUMMARY: &'static str = "";

            pub fn seeded(_: u64) -> Self { #never }
            pub fn summary(&self) -> &'static str { #never }
            pub fn params(&self) -> &[T] { #never }
            pub fn params_mut(&mut self) -> &mut [T] { #never }
            pub fn param(&self, _: &str) -> ::core::option::Option<&[T]> { #never }
            pub fn predict<X: ?::core::marker::Sized>(&self, _: &X) -> #sample { #never }
            pub fn predict_with<X: ?::core::marker::Sized, const P: usize>(_: &[T; P], _: &X) -> #sample { #never }
            pub fn predict_tokens<const N: usize>(&self, _: &[u32; N]) -> ::core::result::Result<#sample, #tokens_error> { #never }
            pub fn token_inputs(_: &[u32]) -> ::core::result::Result<::kiln::__private::Vec<T>, #tokens_error> { #never }
            pub fn step<S, X>(&self, _: &mut S, _: &X) -> #sample
            where
                S: ::core::convert::AsMut<#state<T>> + ?::core::marker::Sized,
                X: ?::core::marker::Sized,
            { #never }
            pub fn step_with<S, X, const P: usize>(_: &[T; P], _: &mut S, _: &X) -> #sample
            where
                S: ::core::convert::AsMut<#state<T>> + ?::core::marker::Sized,
                X: ?::core::marker::Sized,
            { #never }
            pub fn workspace(&self, _: usize) -> #ws<T> { #never }
            pub fn forward_batch<'w, const I: usize, const B: usize>(
                &self,
                _: &'w mut #ws<T>,
                _: &::kiln::__private::SMatrix<T, I, B>,
            ) -> ::kiln::__private::SMatrixView<'w, T, 1, B> { #never }
            pub fn forward_batch_mode<'w, const I: usize, const B: usize>(
                &self,
                _: &'w mut #ws<T>,
                _: &::kiln::__private::SMatrix<T, I, B>,
                _: ::kiln::Mode,
            ) -> ::kiln::__private::SMatrixView<'w, T, 1, B> { #never }
            pub fn backward_batch<const I: usize, const O: usize, const B: usize>(
                &self,
                _: &mut #ws<T>,
                _: &::kiln::__private::SMatrix<T, I, B>,
                _: &::kiln::__private::SMatrix<T, O, B>,
            ) { #never }
        }
    }
}

/// `kiln::Model` with an output every loss accepts, and every input and output width.
fn model_impl(name: &Ident, ws: &Ident) -> TokenStream {
    let never = never();
    let name_str = name.to_string();
    quote! {
        impl<T: ::kiln::Scalar> ::kiln::Model<T> for #name<T> {
            type Workspace = #ws<T>;
            type Output = ::kiln::output::AnyOutput;
            const NAME: &'static str = #name_str;
            const INPUT_SHAPE: &'static [usize] = &[1];
            const INPUT_SIZE: usize = 1;
            const OUTPUT_SIZE: usize = 1;
            const PARAM_COUNT: usize = 1;
            const OUTPUT_ACTIVATION: ::kiln::OutputActivation = ::kiln::OutputActivation::Other;
            const LAYERS: &'static [::kiln::LayerInfo] = &[];
            const SUMMARY: &'static str = "";

            fn seeded(_: u64) -> Self { #never }
            fn params(&self) -> &[T] { #never }
            fn params_mut(&mut self) -> &mut [T] { #never }
            fn workspace(&self, _: usize) -> #ws<T> { #never }
            fn forward(&self, _: &mut #ws<T>, _: &[T], _: usize, _: ::kiln::Mode) { #never }
            fn backward(&self, _: &mut #ws<T>, _: &[T], _: usize, _: ::kiln::GradAt, _: bool) { #never }
        }

        impl<T: ::kiln::Scalar, const N: usize> ::kiln::InputWidth<N> for #name<T> {}
        impl<T: ::kiln::Scalar, const N: usize> ::kiln::OutputWidth<N> for #name<T> {}
    }
}

/// The workspace's accessors and `kiln::Workspace`.
fn workspace_impls(ws: &Ident, state: &Ident) -> TokenStream {
    let never = never();
    quote! {
        impl<T: ::kiln::Scalar> #ws<T> {
            pub fn grads(&self) -> &[T] { #never }
            pub fn input_grad(&self) -> &[T] { #never }
            pub fn reset_state(&mut self) { #never }
        }

        impl<T: ::kiln::Scalar> ::kiln::Workspace<T> for #ws<T> {
            fn capacity(&self) -> usize { #never }
            fn output(&self) -> &[T] { #never }
            fn input_grad(&self) -> &[T] { #never }
            fn grads(&self) -> &[T] { #never }
            fn grads_mut(&mut self) -> &mut [T] { #never }
            fn loss_views(&mut self) -> ::kiln::LossViews<'_, T> { #never }
            fn reseed(&mut self, _: u64) { #never }
            fn rngs(&self) -> ::kiln::__private::Vec<&::kiln::Rng> { #never }
            fn rngs_mut(&mut self) -> ::kiln::__private::Vec<&mut ::kiln::Rng> { #never }
        }

        impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state<T>> for #ws<T> {
            fn as_mut(&mut self) -> &mut #state<T> { #never }
        }
    }
}

/// The streaming state's `reset_state` and `AsMut`.
fn state_impls(state: &Ident) -> TokenStream {
    let never = never();
    quote! {
        impl<T: ::kiln::Scalar> #state<T> {
            pub fn reset_state(&mut self) { #never }
        }

        impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state<T>> for #state<T> {
            fn as_mut(&mut self) -> &mut Self { self }
        }
    }
}
