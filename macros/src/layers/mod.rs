//! One module per layer kind, each holding its arguments, shape rule, and forward and backward
//! code generation. Adding a layer means one new module here, its kernels in the runtime's
//! `layers/`, and one line in [`REGISTRY`].

mod activation;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod pool;
mod recurrent;

use crate::activation::Activation;
use crate::ir::{Layer, Param, Shape};
use crate::parse::Call;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Reads a layer's arguments into its spec.
pub type Parser = fn(&Call) -> syn::Result<Box<dyn LayerSpec>>;

/// Every layer kind `model!` knows, by its Keras class name.
pub const REGISTRY: &[(&str, Parser)] = &[
    ("Dense", dense::parse),
    ("Dropout", dropout::parse),
    ("Activation", activation::parse),
    ("Flatten", flatten::parse),
    ("Conv2D", conv2d::parse),
    ("MaxPooling2D", pool::parse_max),
    ("MaxPool2D", pool::parse_max),
    ("AveragePooling2D", pool::parse_average),
    ("AvgPool2D", pool::parse_average),
    ("GlobalMaxPooling2D", pool::parse_global_max),
    ("GlobalAveragePooling2D", pool::parse_global_average),
    ("LSTM", recurrent::parse_lstm),
    ("SimpleRNN", recurrent::parse_simple_rnn),
    ("GRU", recurrent::parse_gru),
];

/// What a layer kind tells the compiler.
pub trait LayerSpec {
    /// Keras' class name, shown in summaries: `Dense`.
    fn kind(&self) -> &'static str;

    /// Prefix of default instance names: `dense` gives `dense`, `dense_1`, ...
    fn default_name(&self) -> &'static str;

    /// An explicit `name = "..."` argument, if given.
    fn explicit_name(&self) -> Option<String> {
        None
    }

    /// The shape rule: the output for `input`, or an error spanned at `call` saying how to fix it.
    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape>;

    /// Parameter tensors, in the order they are stored (offsets are filled in later).
    fn params(&self, _input: &Shape, _output: &Shape) -> Vec<Param> {
        Vec::new()
    }

    /// Extra per-sample workspace buffers (beyond the layer's output and its gradient).
    fn scratch(&self, _input: &Shape, _output: &Shape) -> Vec<Scratch> {
        Vec::new()
    }

    /// How many modules the layer is in the equivalent PyTorch `nn.Sequential`: its place there
    /// numbers its tensors (`0.weight`). A fused non-linear activation is a module of its own.
    fn torch_modules(&self) -> usize {
        1
    }

    /// The activation producing this layer's output, if the layer ends in one.
    fn output_activation(&self) -> Option<Activation> {
        None
    }

    /// Batched forward over `n` samples (`mode` is in scope).
    fn forward(&self, cx: &Cx) -> TokenStream;

    /// Batched backward over `n` samples: reads the output gradient, writes parameter gradients
    /// and (where [`Cx::grad_in`] says so) the input gradient.
    fn backward(&self, cx: &Cx) -> TokenStream;

    /// Single-sample inference on stack arrays: binds [`Cx::predict_out`] (a `&[T; N]`) from
    /// [`Cx::predict_in`].
    fn predict(&self, cx: &Cx) -> TokenStream;

    /// Arrays a recurrent layer keeps between streaming steps (its hidden state): names and
    /// lengths, fields of the model's `State` struct.
    fn state(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// One time step of streaming inference, like [`LayerSpec::predict`] but with every
    /// sequence shape read as one step of it ([`Cx::input_size`] says so) and the recurrent
    /// state in `state` ([`Cx::state`]). `None` when the layer cannot run step by step: it mixes
    /// time steps (Flatten of a sequence), or is not defined on sequences. By default layers
    /// after the recurrent ones (vector inputs) step as they predict.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        matches!(cx.layer.input, Shape::Vector(_)).then(|| self.predict(cx))
    }

    /// The workspace field holding the input of the output activation (the logits), when this
    /// layer's output activation is not linear.
    fn logits(&self, _cx: &Cx) -> Option<TokenStream> {
        None
    }
}

/// A workspace buffer a layer needs besides its output.
pub enum Scratch {
    /// `per_sample` scalars per sample of the batch.
    Buffer {
        name: &'static str,
        per_sample: usize,
    },
    /// `per_sample` `u32` indices per sample of the batch (max-pooling's argmax), a
    /// `Box<[u32]>` workspace field.
    Indices {
        name: &'static str,
        per_sample: usize,
    },
    /// A random stream (dropout masks), seeded from the workspace seed.
    Rng { name: &'static str },
}

/// Where a layer's generated code finds its inputs, outputs, parameters and buffers.
pub struct Cx<'a> {
    pub index: usize,
    pub layer: &'a Layer,
    pub is_last: bool,
    /// Generating streaming `step` code: a sequence input is one time step of it.
    pub step: bool,
}

impl Cx<'_> {
    fn act(&self, i: usize) -> Ident {
        format_ident!("a{}", i)
    }

    /// `&ws.aI[..]`: this layer's input activations (the caller's `x` for the first layer).
    pub fn input(&self) -> TokenStream {
        if self.index == 0 {
            return quote!(&x[..]);
        }
        let a = self.act(self.index);
        quote!(&ws.#a[..])
    }

    /// `&mut ws.aI+1[..]`: this layer's output activations.
    pub fn output_mut(&self) -> TokenStream {
        let a = self.act(self.index + 1);
        quote!(&mut ws.#a[..])
    }

    /// `&ws.aI+1[..]`.
    pub fn output(&self) -> TokenStream {
        let a = self.act(self.index + 1);
        quote!(&ws.#a[..])
    }

    /// `&mut ws.gI+1[..]`: ∂L/∂output, which the layer may overwrite.
    pub fn grad_out(&self) -> TokenStream {
        let g = format_ident!("g{}", self.index + 1);
        quote!(&mut ws.#g[..])
    }

    /// `Option<&mut [T]>` for ∂L/∂input: always wanted inside the network, only on request for
    /// the model's own input.
    pub fn grad_in(&self) -> TokenStream {
        let g = format_ident!("g{}", self.index);
        if self.index == 0 {
            quote!(if input_grad { ::core::option::Option::Some(&mut ws.#g[..]) } else { ::core::option::Option::None })
        } else {
            quote!(::core::option::Option::Some(&mut ws.#g[..]))
        }
    }

    /// A boolean expression: true when the loss already gave ∂L/∂logits for this layer's output
    /// activation (fused softmax / sigmoid cross-entropy), so its derivative must be skipped.
    pub fn at_logits(&self) -> TokenStream {
        if self.is_last {
            quote!(at == ::kiln::GradAt::Logits)
        } else {
            quote!(false)
        }
    }

    fn param(&self, name: &str) -> &Param {
        self.layer
            .params
            .iter()
            .find(|p| p.name == name)
            .expect("layer declares this parameter")
    }

    /// `&params[a..b]`: every pass binds `params` to the model's flat parameter slice.
    pub fn param_slice(&self, name: &str) -> TokenStream {
        let p = self.param(name);
        let (a, b) = (p.offset, p.offset + p.len());
        quote!(&params[#a..#b])
    }

    /// Binds `grad_<name>` to `&mut [T]` for each of this layer's parameters (disjoint slices
    /// of the flat gradient buffer).
    pub fn bind_param_grads(&self) -> TokenStream {
        let Some(first) = self.layer.params.first() else {
            return TokenStream::new();
        };
        let start = first.offset;
        let mut out = quote!(let rest = &mut ws.grads[#start..];);
        for p in &self.layer.params {
            let name = format_ident!("grad_{}", p.name);
            let len = p.len();
            out.extend(quote!(let (#name, rest) = rest.split_at_mut(#len);));
        }
        out.extend(quote!(let _ = rest;));
        out
    }

    /// `Some(grad_bias)` or `None`: the bias gradient bound by [`Cx::bind_param_grads`], if any.
    pub fn grad_bias(&self, use_bias: bool) -> TokenStream {
        if use_bias {
            quote!(::core::option::Option::Some(grad_bias))
        } else {
            quote!(::core::option::Option::None)
        }
    }

    /// `∂L/∂output ← ∂L/∂output ⊙ f′(z)` in place for a layer whose output activation `act` is
    /// fused (pre-activation in scratch `z`), over `samples` groups of `rows` values; skipped
    /// when the loss already gave `∂L/∂logits`, and nothing at all for a linear activation.
    pub fn activation_backward(
        &self,
        act: Activation,
        rows: usize,
        samples: TokenStream,
    ) -> TokenStream {
        if act.is_linear() {
            return TokenStream::new();
        }
        let (z, y, g, at_logits) = (
            self.scratch("z"),
            self.output(),
            self.grad_out(),
            self.at_logits(),
        );
        let act = act.runtime();
        quote! {
            if !(#at_logits) {
                ::kiln::__private::act::Activation::<T>::backward(&#act, &#z[..], #y, #g, #rows, #samples);
            }
        }
    }

    /// `ws.lI_name`: a scratch buffer, index buffer or random stream of this layer.
    pub fn scratch(&self, name: &str) -> TokenStream {
        let f = scratch_field(self.index, name);
        quote!(ws.#f)
    }

    /// `bufI+1`: a stack array a layer may fill in `predict` before binding its output to it.
    pub fn predict_buffer(&self) -> Ident {
        format_ident!("buf{}", self.index + 1)
    }

    /// `hI`: the single-sample input in `predict`, a `&[T; N]`.
    pub fn predict_in(&self) -> Ident {
        format_ident!("h{}", self.index)
    }

    /// `hI+1`: the single-sample output (`&[T; N]`) that `predict` must bind.
    pub fn predict_out(&self) -> Ident {
        format_ident!("h{}", self.index + 1)
    }

    /// Scalars in one input sample; in `step` code, in one time step of a sequence.
    pub fn input_size(&self) -> usize {
        match self.layer.input {
            Shape::Sequence { f, .. } if self.step => f,
            ref shape => shape.size(),
        }
    }

    /// `state.lI_name`: an array of this layer's streaming state ([`LayerSpec::state`]).
    pub fn state(&self, name: &str) -> TokenStream {
        let f = scratch_field(self.index, name);
        quote!(state.#f)
    }
}

pub fn scratch_field(layer: usize, name: &str) -> Ident {
    format_ident!("l{}_{}", layer, name)
}
