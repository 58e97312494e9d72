//! The model's methods and trait impl: constants and constructors, single-sample `predict`,
//! batched passes, and `kiln::Model` (what the training loop calls).

use super::passes::{output_steps, Passes};
use super::{params, summary, workspace};
use crate::activation::Activation;
use crate::ir::Model;
use crate::names;
use proc_macro2::TokenStream;
use quote::quote;

/// `new`, `seeded`, the constants and the parameter accessors.
pub fn constants(model: &Model) -> TokenStream {
    let name = &model.name;
    let (input_size, output_size) = (model.input.size(), model.output().size());
    let (param_count, input_shape) = (model.param_count(), model.input.dims());
    let trainable = model.trainable_count();
    let (layer_infos, inits) = (params::layer_infos(model), params::init(model));
    let summary = summary::summary(model);
    quote! {
        impl #name<f32> {
            /// A new `f32` model, initialised like Keras (Glorot-uniform kernels, zero biases)
            /// from `seed`.
            pub fn new(seed: u64) -> Self {
                Self::seeded(seed)
            }
        }

        impl<T: ::kiln::Scalar> #name<T> {
            /// Shape of one input sample.
            pub const INPUT_SHAPE: &'static [usize] = &[#(#input_shape),*];
            /// Scalars in one input sample.
            pub const INPUT_SIZE: usize = #input_size;
            /// Scalars in one output sample.
            pub const OUTPUT_SIZE: usize = #output_size;
            /// Number of parameters, trainable or not (the flat buffer's length).
            pub const PARAM_COUNT: usize = #param_count;
            /// Number of trainable parameters, the first of the flat buffer.
            pub const TRAINABLE_PARAMS: usize = #trainable;
            /// Every layer with its output shape and parameter tensors.
            pub const LAYERS: &'static [::kiln::LayerInfo] = &[#(#layer_infos),*];
            /// The Keras-style summary table, computed at compile time.
            pub const SUMMARY: &'static str = #summary;

            /// A new model over scalar type `T`, initialised from `seed`.
            pub fn seeded(seed: u64) -> Self {
                let mut params: ::kiln::__private::Box<[T]> = ::kiln::__private::zeroed(#param_count);
                #(#inits)*
                let _ = seed;
                Self { params }
            }

            /// The layer table: names, output shapes and parameter counts.
            pub fn summary(&self) -> &'static str {
                Self::SUMMARY
            }

            /// All parameters, flat, in [`Self::LAYERS`] order.
            pub fn params(&self) -> &[T] {
                &self.params
            }

            /// All parameters, flat and mutable.
            pub fn params_mut(&mut self) -> &mut [T] {
                &mut self.params
            }

            /// One parameter tensor by its name (`"dense_1.kernel"`), in Keras' layout.
            pub fn param(&self, name: &str) -> ::core::option::Option<&[T]> {
                ::kiln::__private::find_param(Self::LAYERS, name).map(|p| &self.params[p.offset..p.offset + p.len])
            }
        }
    }
}

/// `predict` and `predict_with`: one sample through the network, on the stack.
pub fn predict(model: &Model, passes: &Passes) -> TokenStream {
    let name = &model.name;
    let (input_size, output_size) = (model.input.size(), model.output().size());
    let param_count = model.param_count();
    let (body, h_last) = (&passes.predict, names::value(model.layers.len()));
    let tokens = model.layers[0]
        .spec
        .tokens()
        .map(|dim| token_methods(input_size, output_size, dim));
    quote! {
        impl<T: ::kiln::Scalar> #name<T> {
            /// Runs one sample through the network (inference mode), on the stack.
            #[inline]
            pub fn predict<X: ::kiln::Input<T, #input_size> + ?::core::marker::Sized>(
                &self,
                x: &X,
            ) -> ::kiln::__private::SVector<T, #output_size> {
                Self::__kiln_predict(&self.params, ::kiln::Input::<T, #input_size>::as_array(x))
            }

            /// [`Self::predict`] with the parameters borrowed from anywhere (a `static`
            /// array, a stack buffer filled by `kiln::io::read_params`): `PARAM_COUNT` values
            /// in the model's flat layout ([`Self::params`]). Needs no model value, so no
            /// allocation at all.
            #[inline]
            pub fn predict_with<X: ::kiln::Input<T, #input_size> + ?::core::marker::Sized>(
                params: &[T; #param_count],
                x: &X,
            ) -> ::kiln::__private::SVector<T, #output_size> {
                Self::__kiln_predict(params, ::kiln::Input::<T, #input_size>::as_array(x))
            }

            #tokens

            #[inline(always)]
            fn __kiln_predict(
                params: &[T],
                h0: &[T; #input_size],
            ) -> ::kiln::__private::SVector<T, #output_size> {
                let _ = params;
                #(#body)*
                ::kiln::__private::SVector::<T, #output_size>::from_column_slice(&#h_last[..])
            }
        }
    }
}

/// `predict_tokens` and `token_inputs` of a model whose first layer reads the `dim` token
/// indices of an `Input(timesteps)`.
fn token_methods(input_size: usize, output_size: usize, dim: usize) -> TokenStream {
    quote! {
        /// The number of distinct tokens (the `Embedding`'s `input_dim`): tokens are `0..VOCABULARY`.
        pub const VOCABULARY: usize = #dim;

        /// [`Self::predict`] of a sequence of tokens, each checked against
        /// [`Self::VOCABULARY`]: an error, never a panic, for one out of range. No allocation.
        #[inline]
        pub fn predict_tokens(
            &self,
            tokens: &[u32; #input_size],
        ) -> ::core::result::Result<::kiln::__private::SVector<T, #output_size>, ::kiln::layers::embedding::TokenOutOfRange> {
            let mut x = [T::default(); #input_size];
            ::kiln::__private::embedding::tokens_to::<T>(tokens, #dim, &mut x)?;
            ::core::result::Result::Ok(Self::__kiln_predict(&self.params, &x))
        }

        /// Samples of tokens (`INPUT_SIZE` each) as the batch input of `fit`, `train_step`,
        /// `evaluate` and the batched passes, every token checked against [`Self::VOCABULARY`].
        pub fn token_inputs(
            tokens: &[u32],
        ) -> ::core::result::Result<::kiln::__private::Vec<T>, ::kiln::layers::embedding::TokenOutOfRange> {
            let mut x = ::kiln::__private::zeroed::<T>(tokens.len()).into_vec();
            ::kiln::__private::embedding::tokens_to::<T>(tokens, #dim, &mut x)?;
            ::core::result::Result::Ok(x)
        }
    }
}

/// `workspace`, `forward_batch`, `forward_batch_mode` and `backward_batch` over batches held
/// as the columns of statically sized matrices.
pub fn batches(model: &Model) -> TokenStream {
    let name = &model.name;
    let ws = workspace::workspace_name(model);
    let (input_size, output_size) = (model.input.size(), model.output().size());
    let last = model.layers.len();
    let (a_last, g_last) = (names::activation(last), names::gradient(last));
    quote! {
        impl<T: ::kiln::Scalar> #name<T> {
            /// Buffers for batches of up to `capacity` samples.
            pub fn workspace(&self, capacity: usize) -> #ws<T> {
                <Self as ::kiln::Model<T>>::workspace(self, capacity)
            }

            /// Forward pass over a batch held as the columns of `x`, in inference mode.
            pub fn forward_batch<'w, const B: usize>(
                &self,
                ws: &'w mut #ws<T>,
                x: &::kiln::__private::SMatrix<T, #input_size, B>,
            ) -> ::kiln::__private::SMatrixView<'w, T, #output_size, B> {
                self.forward_batch_mode(ws, x, ::kiln::Mode::Infer)
            }

            /// Forward pass over a batch in the given mode (training mode applies dropout).
            pub fn forward_batch_mode<'w, const B: usize>(
                &self,
                ws: &'w mut #ws<T>,
                x: &::kiln::__private::SMatrix<T, #input_size, B>,
                mode: ::kiln::Mode,
            ) -> ::kiln::__private::SMatrixView<'w, T, #output_size, B> {
                <Self as ::kiln::Model<T>>::forward(self, ws, x.as_slice(), B, mode);
                ::kiln::__private::SMatrixView::<T, #output_size, B>::from_slice(&ws.#a_last[..#output_size * B])
            }

            /// Backward pass for the batch last run forward: given `∂L/∂output`, fills the
            /// parameter gradients ([`#ws::grads`]) and the input gradient
            /// ([`#ws::input_grad`]), summed over the batch.
            pub fn backward_batch<const B: usize>(
                &self,
                ws: &mut #ws<T>,
                x: &::kiln::__private::SMatrix<T, #input_size, B>,
                grad_output: &::kiln::__private::SMatrix<T, #output_size, B>,
            ) {
                ws.#g_last[..#output_size * B].copy_from_slice(grad_output.as_slice());
                <Self as ::kiln::Model<T>>::backward(self, ws, x.as_slice(), B, ::kiln::GradAt::Output, true);
            }
        }
    }
}

/// `impl kiln::Model`: the constants, and the batched passes' bodies.
pub fn model_impl(model: &Model, passes: &Passes, new_workspace: &TokenStream) -> TokenStream {
    let name = &model.name;
    let ws = workspace::workspace_name(model);
    let (input_size, output_size) = (model.input.size(), model.output().size());
    let (param_count, input_shape) = (model.param_count(), model.input.dims());
    let trainable = model.trainable_count();
    let (name_str, output_steps) = (name.to_string(), output_steps(model));
    let (forward, backward) = (&passes.forward, &passes.backward);
    let update_statistics = &passes.update_statistics;
    let output_activation = &passes.output_activation;
    let output_kind = output_kind(model);
    quote! {
        impl<T: ::kiln::Scalar> ::kiln::Model<T> for #name<T> {
            type Workspace = #ws<T>;
            type Output = #output_kind;
            const NAME: &'static str = #name_str;
            const INPUT_SHAPE: &'static [usize] = &[#(#input_shape),*];
            const INPUT_SIZE: usize = #input_size;
            const OUTPUT_SIZE: usize = #output_size;
            const PARAM_COUNT: usize = #param_count;
            const TRAINABLE_PARAMS: usize = #trainable;
            const OUTPUT_STEPS: usize = #output_steps;
            const OUTPUT_ACTIVATION: ::kiln::OutputActivation = #output_activation;
            const LAYERS: &'static [::kiln::LayerInfo] = Self::LAYERS;
            const SUMMARY: &'static str = Self::SUMMARY;

            fn seeded(seed: u64) -> Self {
                Self::seeded(seed)
            }

            fn params(&self) -> &[T] {
                &self.params
            }

            fn params_mut(&mut self) -> &mut [T] {
                &mut self.params
            }

            fn workspace(&self, capacity: usize) -> #ws<T> {
                #new_workspace
            }

            fn forward(&self, ws: &mut #ws<T>, x: &[T], n: usize, mode: ::kiln::Mode) {
                ::kiln::__private::check_batch(x.len(), #input_size, n, ws.capacity);
                ws.mode = mode;
                let params: &[T] = &self.params;
                let _ = (mode, params);
                #(#forward)*
            }

            fn backward(&self, ws: &mut #ws<T>, x: &[T], n: usize, at: ::kiln::GradAt, input_grad: bool) {
                ::kiln::__private::check_batch(x.len(), #input_size, n, ws.capacity);
                let (params, mode): (&[T], ::kiln::Mode) = (&self.params, ws.mode);
                let _ = (at, input_grad, params, mode);
                #(#backward)*
            }

            fn update_moving_statistics(&mut self, ws: &#ws<T>, n: usize) {
                let params: &mut [T] = &mut self.params;
                let _ = (ws, n, &params);
                #(#update_statistics)*
            }
        }

        impl<T: ::kiln::Scalar> ::kiln::InputWidth<#input_size> for #name<T> {}
        impl<T: ::kiln::Scalar> ::kiln::OutputWidth<#output_size> for #name<T> {}
    }
}

/// The model's `kiln::output` kind, which decides the losses that can train it: one value, a
/// softmax distribution over classes, another vector, or a sequence.
fn output_kind(model: &Model) -> TokenStream {
    let output = model.output();
    let last = &model.layers[model.layers.len() - 1].spec;
    let softmax = matches!(last.output_activation(), Some(Activation::Softmax));
    match (output_steps(model), output.size()) {
        (1, 1) => quote!(::kiln::output::OneValue),
        (1, n) if softmax => quote!(::kiln::output::Classes<#n>),
        (1, n) => quote!(::kiln::output::Vector<#n>),
        (steps, _) => {
            let n = output.last_axis();
            quote!(::kiln::output::Sequence<#steps, #n>)
        }
    }
}
