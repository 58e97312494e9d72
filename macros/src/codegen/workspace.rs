//! The workspace: one struct holding every activation, gradient and scratch buffer of a batch
//! (allocated once, for up to `capacity` samples), and its `kiln::Workspace` impl.

use crate::ir::Model;
use crate::layers::Scratch;
use crate::names;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// The workspace's fields: declarations, and their initialisers in `Model::workspace`.
pub struct Fields {
    decls: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    /// The random streams (dropout masks): field and stream index, in layer order.
    rngs: Vec<(Ident, u64)>,
}

impl Fields {
    /// Activations `a1..aL` (`a0` is the caller's input), each layer's scratch, and the
    /// gradients `g0..gL`.
    pub fn of(model: &Model) -> Fields {
        let mut fields = Fields {
            decls: Vec::new(),
            inits: Vec::new(),
            rngs: Vec::new(),
        };
        for (i, layer) in model.layers.iter().enumerate() {
            fields.buffer(names::activation(i + 1), layer.output.size());
            for scratch in layer.spec.scratch(&layer.input, &layer.output) {
                fields.scratch(i, scratch);
            }
        }
        fields.buffer(names::gradient(0), model.input.size());
        for (i, layer) in model.layers.iter().enumerate() {
            fields.buffer(names::gradient(i + 1), layer.output.size());
        }
        fields
    }

    fn buffer(&mut self, field: Ident, per_sample: usize) {
        self.decls.push(quote!(#field: ::kiln::__private::Box<[T]>));
        self.inits
            .push(quote!(#field: ::kiln::__private::zeroed(#per_sample * capacity)));
    }

    fn scratch(&mut self, layer: usize, scratch: Scratch) {
        match scratch {
            Scratch::Buffer { name, per_sample } => {
                self.buffer(names::scratch(layer, name), per_sample);
            }
            Scratch::Batch { name, len } => {
                let f = names::scratch(layer, name);
                self.decls.push(quote!(#f: ::kiln::__private::Box<[T]>));
                self.inits.push(quote!(#f: ::kiln::__private::zeroed(#len)));
            }
            Scratch::Indices { name, per_sample } => {
                let f = names::scratch(layer, name);
                self.decls.push(quote!(#f: ::kiln::__private::Box<[u32]>));
                self.inits
                    .push(quote!(#f: ::kiln::__private::zeroed_indices(#per_sample * capacity)));
            }
            Scratch::Rng { name } => {
                let (f, stream) = (names::scratch(layer, name), layer as u64);
                self.decls.push(quote!(#f: ::kiln::Rng));
                self.inits
                    .push(quote!(#f: ::kiln::Rng::derive(seed, #stream)));
                self.rngs.push((f, stream));
            }
        }
    }
}

/// The workspace struct; `state` is the streaming state's field, if the model streams.
pub fn declaration(model: &Model, fields: &Fields, state: Option<&Ident>) -> TokenStream {
    let (vis, name) = (&model.vis, &model.name);
    let ws = workspace_name(model);
    let decls = &fields.decls;
    let state = state.map(|s| quote!(state: #s<T>,));
    let doc = format!(
        "Buffers for batched forward and backward passes of [`{name}`]: every activation, gradient and scratch buffer, allocated once for up to `capacity` samples."
    );
    quote! {
        #[doc = #doc]
        #vis struct #ws<T: ::kiln::Scalar = f32> {
            capacity: usize,
            /// The mode of the last forward pass, which backward differentiates.
            mode: ::kiln::Mode,
            grads: ::kiln::__private::Box<[T]>,
            #(#decls,)*
            #state
        }
    }
}

/// The body of `Model::workspace(&self, capacity)`.
pub fn constructor(model: &Model, fields: &Fields, streams: bool) -> TokenStream {
    let ws = workspace_name(model);
    let (inits, param_count) = (&fields.inits, model.param_count());
    let state = streams.then(|| quote!(state: ::core::default::Default::default(),));
    quote! {
        let seed = 0u64;
        #ws {
            capacity,
            mode: ::kiln::Mode::Infer,
            grads: ::kiln::__private::zeroed(#param_count),
            #(#inits,)*
            #state
        }
    }
}

/// The workspace's inherent accessors and its `kiln::Workspace` impl.
pub fn impls(model: &Model, fields: &Fields, logits: &TokenStream) -> TokenStream {
    let ws = workspace_name(model);
    let (a_last, g_last) = (
        names::activation(model.layers.len()),
        names::gradient(model.layers.len()),
    );
    let reseeds = fields
        .rngs
        .iter()
        .map(|(f, stream)| quote!(self.#f = ::kiln::Rng::derive(seed, #stream);));
    let rngs: Vec<&Ident> = fields.rngs.iter().map(|(f, _)| f).collect();
    let rng_count = rngs.len();
    let rng_arms = rngs
        .iter()
        .enumerate()
        .map(|(i, f)| quote!(#i => ::core::option::Option::Some(&mut self.#f),));
    quote! {
        impl<T: ::kiln::Scalar> #ws<T> {
            /// Parameter gradients from the last backward pass, flat, in the model's layout.
            pub fn grads(&self) -> &[T] {
                &self.grads
            }

            /// `∂L/∂input` from the last backward pass that asked for it (`INPUT_SIZE` per sample).
            pub fn input_grad(&self) -> &[T] {
                &self.g0
            }
        }

        impl<T: ::kiln::Scalar> ::kiln::Workspace<T> for #ws<T> {
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
                ::kiln::__private::Vec::from([#(&self.#rngs),*])
            }

            fn rngs_mut(&mut self) -> ::kiln::__private::Vec<&mut ::kiln::Rng> {
                ::kiln::__private::Vec::from([#(&mut self.#rngs),*])
            }

            fn rng_count(&self) -> usize {
                #rng_count
            }

            fn rng_mut(&mut self, index: usize) -> ::core::option::Option<&mut ::kiln::Rng> {
                match index {
                    #(#rng_arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

/// `NameWorkspace`.
pub fn workspace_name(model: &Model) -> Ident {
    quote::format_ident!("{}Workspace", model.name)
}
