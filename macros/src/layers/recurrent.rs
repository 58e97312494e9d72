//! What the recurrent layers (`lstm`, `gru`, `simple_rnn`) share: their common arguments,
//! the shape rule, the kernels' parameters and PyTorch layout, and the pieces of their
//! generated calls.
//!
//! `[t, f] → [units]` (the last hidden state) or, with `return_sequences = true`,
//! `[t, units]`. A cell of `G` gate blocks has Keras' `kernel` `[f, G·units]` (Glorot uniform)
//! and `recurrent_kernel` `[units, G·units]` (orthogonal), which are PyTorch's
//! `weight_ih_l0 [G·units, f]` and `weight_hh_l0 [G·units, units]` transposed. Activations may
//! be any element-wise function (not softmax). Every cell starts from a zero state.

use super::Cx;
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::param::{Init, Param, TorchMap, TorchTensor};
use crate::parse::Call;
use crate::shape::{needs_sequence, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// The arguments every recurrent layer takes.
pub struct Recurrent {
    pub units: usize,
    /// Of the candidate / cell state (`tanh` by default).
    pub activation: Activation,
    /// Of the gates (`sigmoid` by default; SimpleRNN has none).
    pub recurrent_activation: Activation,
    pub use_bias: bool,
    pub return_sequences: bool,
    pub name: Option<String>,
}

impl Recurrent {
    /// Reads the common arguments of `kind` (`"LSTM"`) from `args`.
    pub fn parse(args: &Args, kind: &str) -> syn::Result<Recurrent> {
        let example = format!("{kind}(32)");
        let units = args::positive_int(args.required("units", &example)?, "the number of units")?;
        let mut activations = [Activation::Tanh, Activation::Sigmoid];
        for (slot, arg) in activations
            .iter_mut()
            .zip(["activation", "recurrent_activation"])
        {
            if let Some(value) = args.get(arg) {
                let activation = Activation::parse(value)?;
                if activation == Activation::Softmax {
                    return Err(syn::Error::new(
                        value.span(),
                        format!(
                            "`{arg} = softmax` mixes a recurrent layer's units; `{kind}` takes \
                            element-wise activations (tanh, sigmoid, relu, ...)"
                        ),
                    ));
                }
                *slot = activation;
            }
        }
        let [activation, recurrent_activation] = activations;
        let use_bias = args
            .get("use_bias")
            .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
        let return_sequences = args
            .get("return_sequences")
            .map_or(Ok(false), |v| args::boolean(v, "`return_sequences`"))?;
        Ok(Recurrent {
            units,
            activation,
            recurrent_activation,
            use_bias,
            return_sequences,
            name: args.layer_name(),
        })
    }

    /// The shape rule of `kind`.
    pub fn output_shape(&self, kind: &str, input: &Shape, call: &Call) -> syn::Result<Shape> {
        match *input {
            Shape::Sequence { t, .. } if self.return_sequences => {
                Ok(Shape::Sequence { t, f: self.units })
            }
            Shape::Sequence { .. } => Ok(Shape::Vector(self.units)),
            ref other => Err(needs_sequence(call, &format!("`{kind}`"), other)),
        }
    }

    /// `kernel` and `recurrent_kernel` of a cell with `gates` blocks; PyTorch orders the blocks
    /// `torch_blocks` (block `b` of PyTorch's is Keras' block `torch_blocks[b]`).
    pub fn kernels(&self, input: &Shape, gates: usize, torch_blocks: &[usize]) -> Vec<Param> {
        let (f, u) = (steps_and_features(input).1, self.units);
        let transposed = |rows: usize, name: &'static str| {
            let map = TorchMap::permuted(vec![rows, gates, u], vec![1, 2, 0]);
            let map = if torch_blocks.iter().enumerate().all(|(b, &k)| b == k) {
                map
            } else {
                map.reorder_blocks(1, torch_blocks.to_vec())
            };
            vec![TorchTensor::new(name, vec![gates * u, rows], map)]
        };
        let glorot = Init::GlorotUniform {
            fan_in: f,
            fan_out: gates * u,
        };
        let orthogonal = Init::Orthogonal {
            rows: u,
            cols: gates * u,
        };
        vec![
            Param::new(
                "kernel",
                vec![f, gates * u],
                glorot,
                transposed(f, "weight_ih_l0"),
            ),
            Param::new(
                "recurrent_kernel",
                vec![u, gates * u],
                orthogonal,
                transposed(u, "weight_hh_l0"),
            ),
        ]
    }

    /// Keras' one `bias` of `len` values, which PyTorch splits into a sum `bias_ih_l0 +
    /// bias_hh_l0` (loading adds them; saving writes the bias and zeros).
    pub fn summed_bias(len: usize, init: Init) -> Param {
        let torch = vec![
            TorchTensor::new("bias_ih_l0", vec![len], TorchMap::identity(len)),
            TorchTensor::summed("bias_hh_l0", vec![len]),
        ];
        Param::new("bias", vec![len], init, torch)
    }

    /// Steps, features and units of the layer in `cx`.
    pub fn sizes(&self, cx: &Cx) -> (usize, usize, usize) {
        let (t, f) = steps_and_features(cx.input_shape);
        (t, f, self.units)
    }

    /// The kernel, recurrent kernel and optional bias slices.
    pub fn weights(&self, cx: &Cx) -> (TokenStream, TokenStream, TokenStream) {
        (
            cx.param_slice("kernel"),
            cx.param_slice("recurrent_kernel"),
            cx.optional_param("bias"),
        )
    }

    /// The runtime values of `activation` and `recurrent_activation`.
    pub fn activations(&self) -> (TokenStream, TokenStream) {
        (
            self.activation.runtime(),
            self.recurrent_activation.runtime(),
        )
    }

    /// `Some(grad_bias)` or `None`, after `cx.bind_param_grads()`.
    pub fn grad_bias(&self, cx: &Cx) -> TokenStream {
        cx.grad_bias(self.use_bias)
    }

    /// The end of a `step`: the new hidden state `h` (in the stream's state) is the output.
    pub fn step_output(&self, cx: &Cx, call: TokenStream) -> TokenStream {
        let (y, buf, h, u) = (
            cx.predict_out(),
            cx.predict_buffer(),
            cx.state("h"),
            self.units,
        );
        quote! {
            {
                #call
            }
            let #buf: [T; #u] = #h;
            let #y = &#buf;
        }
    }

    /// The frame of a single-sample `predict` through a cell: the output buffer, a stack array
    /// `h` of every step's hidden state (`states` scalars), then `call`.
    pub fn predict_frame(&self, cx: &Cx, states: usize, call: TokenStream) -> TokenStream {
        let (y, buf, out) = (
            cx.predict_out(),
            cx.predict_buffer(),
            cx.output_shape.size(),
        );
        quote! {
            let mut #buf = [T::default(); #out];
            {
                let mut h = [T::default(); #states];
                #call
            }
            let #y = &#buf;
        }
    }
}

/// `(timesteps, features)` of a recurrent layer's input.
pub fn steps_and_features(input: &Shape) -> (usize, usize) {
    match *input {
        Shape::Sequence { t, f } => (t, f),
        _ => unreachable!("the shape rule admits only sequences"),
    }
}
