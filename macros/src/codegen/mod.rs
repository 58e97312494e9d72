//! Code generation from a checked [`Model`]: the parameter struct, its workspace, and the
//! forward, backward and single-sample passes, all with sizes fixed at compile time.

mod summary;

use crate::ir::{Init, Model, Shape};
use crate::layers::{scratch_field, Cx, Scratch};
use crate::parse::ModelDecl;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub fn generate(model: &Model) -> TokenStream {
    let Model {
        attrs, vis, name, ..
    } = model;
    let ws_name = format_ident!("{}Workspace", name);
    let input_size = model.input.size();
    let output_size = model.output().size();
    let param_count = model.param_count();
    let input_shape = model.input.dims();
    let name_str = name.to_string();
    let summary = summary::summary(model);
    let last = model.layers.len();

    let cxs: Vec<Cx> = model
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| Cx {
            index,
            layer,
            is_last: index + 1 == last,
            step: false,
        })
        .collect();
    let streaming = streaming(model);

    // Workspace fields: activations a1..aL (a0 is the caller's input), gradients g0..gL, scratch.
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    for (i, layer) in model.layers.iter().enumerate() {
        let a = format_ident!("a{}", i + 1);
        let size = layer.output.size();
        fields.push(quote!(#a: ::kiln::__private::Box<[T]>));
        inits.push(quote!(#a: ::kiln::__private::zeroed(#size * capacity)));
        for scratch in layer.spec.scratch(&layer.input, &layer.output) {
            match scratch {
                Scratch::Buffer { name, per_sample } => {
                    let f = scratch_field(i, name);
                    fields.push(quote!(#f: ::kiln::__private::Box<[T]>));
                    inits.push(quote!(#f: ::kiln::__private::zeroed(#per_sample * capacity)));
                }
                Scratch::Indices { name, per_sample } => {
                    let f = scratch_field(i, name);
                    fields.push(quote!(#f: ::kiln::__private::Box<[u32]>));
                    inits.push(
                        quote!(#f: ::kiln::__private::zeroed_indices(#per_sample * capacity)),
                    );
                }
                Scratch::Rng { name } => {
                    let f = scratch_field(i, name);
                    let stream = i as u64;
                    fields.push(quote!(#f: ::kiln::Rng));
                    inits.push(quote!(#f: ::kiln::Rng::derive(seed, #stream)));
                }
            }
        }
    }
    // The random streams: (field, stream index), in layer order.
    let rngs: Vec<_> = model
        .layers
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| {
            layer
                .spec
                .scratch(&layer.input, &layer.output)
                .into_iter()
                .filter_map(move |s| match s {
                    Scratch::Rng { name } => Some((scratch_field(i, name), i as u64)),
                    Scratch::Buffer { .. } | Scratch::Indices { .. } => None,
                })
        })
        .collect();
    let reseeds: Vec<TokenStream> = rngs
        .iter()
        .map(|(f, stream)| quote!(self.#f = ::kiln::Rng::derive(seed, #stream);))
        .collect();
    let rng_fields: Vec<_> = rngs.iter().map(|(f, _)| f).collect();
    let mut grads = Vec::new();
    let mut grad_inits = Vec::new();
    for i in 0..=last {
        let g = format_ident!("g{}", i);
        let size = if i == 0 {
            input_size
        } else {
            model.layers[i - 1].output.size()
        };
        grads.push(quote!(#g: ::kiln::__private::Box<[T]>));
        grad_inits.push(quote!(#g: ::kiln::__private::zeroed(#size * capacity)));
    }

    let forward: Vec<TokenStream> = cxs.iter().map(|cx| cx.layer.spec.forward(cx)).collect();
    let backward: Vec<TokenStream> = cxs
        .iter()
        .rev()
        .map(|cx| cx.layer.spec.backward(cx))
        .collect();
    let predict: Vec<TokenStream> = cxs.iter().map(|cx| cx.layer.spec.predict(cx)).collect();
    let h_last = format_ident!("h{}", last);
    let a_last = format_ident!("a{}", last);
    let g_last = format_ident!("g{}", last);

    let last_cx = cxs.last().expect("a checked model has layers");
    // The fused softmax / sigmoid cross-entropy paths treat the output as one distribution; a
    // sequence output (one per time step) takes the general path.
    let fusable = !matches!(last_cx.layer.output, Shape::Sequence { .. });
    let output_steps = match last_cx.layer.output {
        Shape::Sequence { t, .. } => t,
        _ => 1,
    };
    let (output_activation, logits) = match (
        last_cx.layer.spec.output_activation(),
        last_cx.layer.spec.logits(last_cx),
    ) {
        (Some(act), Some(logits)) if fusable => (act.output_kind(), logits),
        (Some(act), _) if !act.is_linear() => (
            quote!(::kiln::OutputActivation::Other),
            quote!(&ws.#a_last[..]),
        ),
        _ => (
            quote!(::kiln::OutputActivation::Linear),
            quote!(&ws.#a_last[..]),
        ),
    };

    let inits_params: Vec<TokenStream> = model
        .layers
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| {
            layer.params.iter().filter_map(move |p| {
                let (a, b) = (p.offset, p.offset + p.len());
                let stream = i as u64;
                match p.init {
                    Init::GlorotUniform { fan_in, fan_out } => Some(quote! {
                        ::kiln::__private::init::glorot_uniform(&mut params[#a..#b], #fan_in, #fan_out, &mut ::kiln::Rng::derive(seed, #stream));
                    }),
                    Init::Zeros => None,
                    // A stream of its own, apart from the layer's Glorot-uniform kernel.
                    Init::Orthogonal { rows, cols } => {
                        let stream = stream | (1 << 32);
                        Some(quote! {
                            ::kiln::__private::init::orthogonal(&mut params[#a..#b], #rows, #cols, &mut ::kiln::Rng::derive(seed, #stream));
                        })
                    }
                    Init::UnitForgetBias { units } => Some(quote! {
                        ::kiln::__private::init::unit_forget_bias(&mut params[#a..#b], #units);
                    }),
                }
            })
        })
        .collect();

    let mut torch_index = 0;
    let layer_infos = model.layers.iter().map(|layer| {
        let (lname, kind) = (&layer.name, layer.spec.kind());
        let shape = layer.output.dims();
        let params = layer.params.iter().map(|p| {
            let pname = format!("{}.{}", layer.name, p.name);
            let (shape, tnames, tshape) = (&p.shape, p.torch_names, &p.torch_shape);
            let (offset, len) = (p.offset, p.len());
            quote!(::kiln::ParamInfo { name: #pname, shape: &[#(#shape),*], torch_names: &[#(#tnames),*], torch_shape: &[#(#tshape),*], offset: #offset, len: #len })
        });
        let index = torch_index;
        torch_index += layer.spec.torch_modules();
        quote!(::kiln::LayerInfo { name: #lname, kind: #kind, output_shape: &[#(#shape),*], torch_index: #index, params: &[#(#params),*] })
    }).collect::<Vec<_>>();

    let (ws_state_field, ws_state_init, stream_items) = match &streaming {
        Some(stream) => {
            let state = &stream.state;
            (
                quote!(state: #state<T>,),
                quote!(state: ::core::default::Default::default(),),
                stream.items(model, &ws_name),
            )
        }
        None => (TokenStream::new(), TokenStream::new(), TokenStream::new()),
    };

    let doc_ws = format!(
        "Buffers for batched forward and backward passes of [`{name}`]: every activation, gradient and scratch buffer, allocated once for up to `capacity` samples."
    );

    quote! {
        #(#attrs)*
        #vis struct #name<T: ::kiln::Scalar = f32> {
            params: ::kiln::__private::Box<[T]>,
        }

        #[doc = #doc_ws]
        #vis struct #ws_name<T: ::kiln::Scalar = f32> {
            capacity: usize,
            grads: ::kiln::__private::Box<[T]>,
            #(#fields,)*
            #(#grads,)*
            #ws_state_field
        }

        #stream_items

        const _: () = {
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
                /// Number of trainable parameters.
                pub const PARAM_COUNT: usize = #param_count;
                /// Every layer with its output shape and parameter tensors.
                pub const LAYERS: &'static [::kiln::LayerInfo] = &[#(#layer_infos),*];
                /// The Keras-style summary table, computed at compile time.
                pub const SUMMARY: &'static str = #summary;

                /// A new model over scalar type `T`, initialised from `seed`.
                pub fn seeded(seed: u64) -> Self {
                    let mut params: ::kiln::__private::Box<[T]> = ::kiln::__private::zeroed(#param_count);
                    #(#inits_params)*
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

                #[inline(always)]
                fn __kiln_predict(
                    params: &[T],
                    h0: &[T; #input_size],
                ) -> ::kiln::__private::SVector<T, #output_size> {
                    let _ = params;
                    #(#predict)*
                    ::kiln::__private::SVector::<T, #output_size>::from_column_slice(&#h_last[..])
                }

                /// Buffers for batches of up to `capacity` samples.
                pub fn workspace(&self, capacity: usize) -> #ws_name<T> {
                    <Self as ::kiln::Model<T>>::workspace(self, capacity)
                }

                /// Forward pass over a batch held as the columns of `x`, in inference mode.
                pub fn forward_batch<'w, const B: usize>(
                    &self,
                    ws: &'w mut #ws_name<T>,
                    x: &::kiln::__private::SMatrix<T, #input_size, B>,
                ) -> ::kiln::__private::SMatrixView<'w, T, #output_size, B> {
                    self.forward_batch_mode(ws, x, ::kiln::Mode::Infer)
                }

                /// Forward pass over a batch in the given mode (training mode applies dropout).
                pub fn forward_batch_mode<'w, const B: usize>(
                    &self,
                    ws: &'w mut #ws_name<T>,
                    x: &::kiln::__private::SMatrix<T, #input_size, B>,
                    mode: ::kiln::Mode,
                ) -> ::kiln::__private::SMatrixView<'w, T, #output_size, B> {
                    <Self as ::kiln::Model<T>>::forward(self, ws, x.as_slice(), B, mode);
                    ::kiln::__private::SMatrixView::<T, #output_size, B>::from_slice(&ws.#a_last[..#output_size * B])
                }

                /// Backward pass for the batch last run forward: given `∂L/∂output`, fills the
                /// parameter gradients ([`#ws_name::grads`]) and the input gradient
                /// ([`#ws_name::input_grad`]), summed over the batch.
                pub fn backward_batch<const B: usize>(
                    &self,
                    ws: &mut #ws_name<T>,
                    x: &::kiln::__private::SMatrix<T, #input_size, B>,
                    grad_output: &::kiln::__private::SMatrix<T, #output_size, B>,
                ) {
                    ws.#g_last[..#output_size * B].copy_from_slice(grad_output.as_slice());
                    <Self as ::kiln::Model<T>>::backward(self, ws, x.as_slice(), B, ::kiln::GradAt::Output, true);
                }
            }

            impl<T: ::kiln::Scalar> ::kiln::Model<T> for #name<T> {
                type Workspace = #ws_name<T>;
                const NAME: &'static str = #name_str;
                const INPUT_SHAPE: &'static [usize] = &[#(#input_shape),*];
                const INPUT_SIZE: usize = #input_size;
                const OUTPUT_SIZE: usize = #output_size;
                const PARAM_COUNT: usize = #param_count;
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

                fn workspace(&self, capacity: usize) -> #ws_name<T> {
                    let seed = 0u64;
                    #ws_name {
                        capacity,
                        grads: ::kiln::__private::zeroed(#param_count),
                        #(#inits,)*
                        #(#grad_inits,)*
                        #ws_state_init
                    }
                }

                fn forward(&self, ws: &mut #ws_name<T>, x: &[T], n: usize, mode: ::kiln::Mode) {
                    ::kiln::__private::check_batch(x.len(), #input_size, n, ws.capacity);
                    let params: &[T] = &self.params;
                    let _ = (mode, params);
                    #(#forward)*
                }

                fn backward(&self, ws: &mut #ws_name<T>, x: &[T], n: usize, at: ::kiln::GradAt, input_grad: bool) {
                    ::kiln::__private::check_batch(x.len(), #input_size, n, ws.capacity);
                    let params: &[T] = &self.params;
                    let _ = (at, input_grad, params);
                    #(#backward)*
                }
            }

            impl<T: ::kiln::Scalar> #ws_name<T> {
                /// Parameter gradients from the last backward pass, flat, in the model's layout.
                pub fn grads(&self) -> &[T] {
                    &self.grads
                }

                /// `∂L/∂input` from the last backward pass that asked for it (`INPUT_SIZE` per sample).
                pub fn input_grad(&self) -> &[T] {
                    &self.g0
                }
            }

            impl<T: ::kiln::Scalar> ::kiln::Workspace<T> for #ws_name<T> {
                fn capacity(&self) -> usize {
                    self.capacity
                }

                fn output(&self) -> &[T] {
                    &self.#a_last
                }

                fn input_grad(&self) -> &[T] {
                    &self.g0
                }

                fn grads(&self) -> &[T] {
                    &self.grads
                }

                fn grads_mut(&mut self) -> &mut [T] {
                    &mut self.grads
                }

                fn loss_views(&mut self) -> ::kiln::LossViews<'_, T> {
                    let ws = self;
                    ::kiln::LossViews { logits: #logits, output: &ws.#a_last[..], output_grad: &mut ws.#g_last[..] }
                }

                fn reseed(&mut self, seed: u64) {
                    let _ = seed;
                    #(#reseeds)*
                }

                fn rngs(&self) -> ::kiln::__private::Vec<&::kiln::Rng> {
                    ::kiln::__private::Vec::from([#(&self.#rng_fields),*])
                }

                fn rngs_mut(&mut self) -> ::kiln::__private::Vec<&mut ::kiln::Rng> {
                    ::kiln::__private::Vec::from([#(&mut self.#rng_fields),*])
                }
            }
        };
    }
}

/// Streaming inference for a model over sequences whose every layer can run one time step at a
/// time: the `State` struct with each recurrent layer's kept arrays, and each layer's step code.
struct Streaming {
    state: Ident,
    fields: Vec<(Ident, usize)>,
    steps: Vec<TokenStream>,
}

fn streaming(model: &Model) -> Option<Streaming> {
    if !matches!(model.input, Shape::Sequence { .. }) {
        return None;
    }
    let last = model.layers.len();
    let mut steps = Vec::new();
    let mut fields = Vec::new();
    for (index, layer) in model.layers.iter().enumerate() {
        let cx = Cx {
            index,
            layer,
            is_last: index + 1 == last,
            step: true,
        };
        steps.push(layer.spec.step(&cx)?);
        for (name, len) in layer.spec.state() {
            fields.push((scratch_field(index, name), len));
        }
    }
    Some(Streaming {
        state: format_ident!("{}State", model.name),
        fields,
        steps,
    })
}

impl Streaming {
    /// The `State` struct, its impls, and `step` on the model.
    fn items(&self, model: &Model, ws_name: &Ident) -> TokenStream {
        let Streaming {
            state: state_name,
            fields,
            steps,
        } = self;
        let Model { vis, name, .. } = model;
        let Shape::Sequence { f, .. } = model.input else {
            unreachable!("streaming models take sequences")
        };
        // A sequence output (`return_sequences = true` last) gives one time step per step.
        let output_size = match *model.output() {
            Shape::Sequence { f, .. } => f,
            ref shape => shape.size(),
        };
        let h_last = format_ident!("h{}", model.layers.len());
        let param_count = model.param_count();
        let field_inits = fields
            .iter()
            .map(|(n, len)| quote!(#n: [T::default(); #len]));
        let field_decls = fields.iter().map(|(n, len)| quote!(#n: [T; #len]));
        let doc = format!(
            "The state [`{name}::step`] keeps between time steps: every recurrent layer's hidden \
            state, zero at the start of a stream. Lives on the stack (no allocation); the model's \
            workspace holds one too."
        );
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            #vis struct #state_name<T: ::kiln::Scalar = f32> {
                #(#field_decls,)*
            }

            const _: () = {
                impl<T: ::kiln::Scalar> ::core::default::Default for #state_name<T> {
                    fn default() -> Self {
                        Self { #(#field_inits,)* }
                    }
                }

                impl<T: ::kiln::Scalar> #state_name<T> {
                    /// Forgets the stream: every state back to zero, as before the first step.
                    pub fn reset_state(&mut self) {
                        *self = ::core::default::Default::default();
                    }
                }

                impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state_name<T>> for #state_name<T> {
                    fn as_mut(&mut self) -> &mut Self {
                        self
                    }
                }

                impl<T: ::kiln::Scalar> ::core::convert::AsMut<#state_name<T>> for #ws_name<T> {
                    fn as_mut(&mut self) -> &mut #state_name<T> {
                        &mut self.state
                    }
                }

                impl<T: ::kiln::Scalar> #ws_name<T> {
                    /// Forgets the stream [`#name::step`] runs through this workspace.
                    pub fn reset_state(&mut self) {
                        self.state.reset_state();
                    }
                }

                impl<T: ::kiln::Scalar> #name<T> {
                    /// Scalars in one time step of the input (`features`).
                    pub const STEP_INPUT_SIZE: usize = #f;

                    /// Streaming inference: feeds one time step `x` (`features` scalars), carrying
                    /// every recurrent layer's state in `state` (a workspace or a
                    /// [`#state_name`]), and returns what [`Self::predict`] would give for the
                    /// whole stream so far (with a sequence output, this step's part of it). No
                    /// allocation.
                    #[inline]
                    pub fn step<S, X>(&self, state: &mut S, x: &X) -> ::kiln::__private::SVector<T, #output_size>
                    where
                        S: ::core::convert::AsMut<#state_name<T>> + ?::core::marker::Sized,
                        X: ::kiln::Input<T, #f> + ?::core::marker::Sized,
                    {
                        Self::__kiln_step(&self.params, state.as_mut(), ::kiln::Input::<T, #f>::as_array(x))
                    }

                    /// [`Self::step`] with the parameters borrowed from anywhere, like
                    /// [`Self::predict_with`]: no model value, no allocation.
                    #[inline]
                    pub fn step_with<S, X>(params: &[T; #param_count], state: &mut S, x: &X) -> ::kiln::__private::SVector<T, #output_size>
                    where
                        S: ::core::convert::AsMut<#state_name<T>> + ?::core::marker::Sized,
                        X: ::kiln::Input<T, #f> + ?::core::marker::Sized,
                    {
                        Self::__kiln_step(params, state.as_mut(), ::kiln::Input::<T, #f>::as_array(x))
                    }

                    #[inline(always)]
                    fn __kiln_step(params: &[T], state: &mut #state_name<T>, h0: &[T; #f]) -> ::kiln::__private::SVector<T, #output_size> {
                        let _ = params;
                        #(#steps)*
                        let _ = state;
                        ::kiln::__private::SVector::<T, #output_size>::from_column_slice(&#h_last[..])
                    }
                }
            };
        }
    }
}

/// What is still emitted when a model fails to check, so that the user sees the model's error
/// and not a cascade of "cannot find type" errors (thiserror's `fallback`).
pub fn fallback(decl: &ModelDecl) -> TokenStream {
    let ModelDecl {
        attrs, vis, name, ..
    } = decl;
    quote! {
        #(#attrs)*
        #vis struct #name<T = f32>(::core::marker::PhantomData<T>);
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
