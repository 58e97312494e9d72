//! `GRU(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true,
//! return_sequences = false, reset_after = true, name)`: gated recurrent unit with Keras'
//! `reset_after = true` (PyTorch's `nn.GRU`), trained by back-propagation through time (runtime
//! `layers/gru.rs`).
//!
//! Gates in Keras' order `z, r, h` (PyTorch's `r, z, n`: the first two blocks swapped). `bias`
//! is Keras' `[2, 3·units]`: the input bias, then the recurrent bias, PyTorch's `bias_ih_l0`
//! and `bias_hh_l0`.

use super::recurrent::Recurrent;
use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::param::{Init, Param, TorchMap, TorchTensor};
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "GRU",
    arguments: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "return_sequences",
        "reset_after",
        "name",
    ],
    parse,
};

/// Gate blocks: `z, r, h`.
const GATES: usize = 3;
/// PyTorch's blocks `r, z, n` are Keras' blocks 1, 0, 2.
const TORCH_BLOCKS: [usize; 3] = [1, 0, 2];

pub struct Gru(Recurrent);

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    if let Some(value) = args.get("reset_after") {
        if !args::boolean(value, "`reset_after`")? {
            return Err(syn::Error::new(
                value.span(),
                "kiln's `GRU` supports only `reset_after = true` (Keras' default, and PyTorch's \
                `nn.GRU`); remove the argument",
            ));
        }
    }
    Ok(Box::new(Gru(Recurrent::parse(&args, KIND.name)?)))
}

/// The workspace buffers of one sample over `steps` steps of `units` units.
struct Buffers {
    /// The activated `z, r, n` of every step; the input-side `∂L/∂a` after backward.
    gates: usize,
    /// Their pre-activations; the recurrent-side `∂L/∂q` after backward.
    pre: usize,
    /// Every step's `q_h = (R·hₛ₋₁ + bᵣ)_h`.
    qh: usize,
    /// Every step's hidden state.
    h: usize,
    /// `∂L/∂hₛ`, carried back a step.
    carry: usize,
}

impl Buffers {
    fn new(steps: usize, units: usize) -> Self {
        Buffers {
            gates: GATES * units * steps,
            pre: GATES * units * steps,
            qh: units * steps,
            h: units * steps,
            carry: units,
        }
    }
}

impl LayerSpec for Gru {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "gru"
    }

    fn explicit_name(&self) -> Option<String> {
        self.0.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        self.0.output_shape(KIND.name, input, call)
    }

    /// Each row of `bias [2, 3·units]` is one of PyTorch's biases, gate blocks reordered.
    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let mut params = self.0.kernels(input, GATES, &TORCH_BLOCKS);
        if self.0.use_bias {
            let (u, len) = (self.0.units, GATES * self.0.units);
            let row = |name: &'static str, row: usize| {
                let map = TorchMap::permuted(vec![GATES, u], vec![0, 1])
                    .reorder_blocks(0, TORCH_BLOCKS.to_vec())
                    .at(row * len);
                TorchTensor::new(name, vec![len], map)
            };
            let torch = vec![row("bias_ih_l0", 0), row("bias_hh_l0", 1)];
            params.push(Param::new("bias", vec![2, len], Init::Zeros, torch));
        }
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let b = Buffers::new(super::recurrent::steps_and_features(input).0, self.0.units);
        [
            ("gates", b.gates),
            ("pre", b.pre),
            ("qh", b.qh),
            ("h", b.h),
            ("carry", b.carry),
        ]
        .map(|(name, per_sample)| Scratch::Buffer { name, per_sample })
        .into()
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let (act, gate) = self.0.activations();
        let (x, y, seq) = (cx.input(), cx.output_mut(), self.0.return_sequences);
        let [gates, pre, qh, h] = ["gates", "pre", "qh", "h"].map(|name| cx.scratch(name));
        quote! {
            ::kiln::__private::gru::forward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #b, #x, &mut #gates[..], &mut #pre[..],
                &mut #qh[..], &mut #h[..], #y, #seq, n,
            );
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, _) = self.0.weights(cx);
        let (act, gate) = self.0.activations();
        let (x, g, seq) = (cx.input(), cx.grad_out(), self.0.return_sequences);
        let (grads, grad_bias, grad_in) =
            (cx.bind_param_grads(), self.0.grad_bias(cx), cx.grad_in());
        let [gates, pre, qh, h, carry] =
            ["gates", "pre", "qh", "h", "carry"].map(|name| cx.scratch(name));
        quote! {
            #grads
            ::kiln::__private::gru::backward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #x, &mut #gates[..], &#qh[..], &#h[..],
                &mut #pre[..], #g, &mut #carry[..], #seq, grad_kernel, grad_recurrent_kernel,
                #grad_bias, #grad_in, n,
            );
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let (act, gate) = self.0.activations();
        let (x, buf, seq) = (
            cx.predict_in(),
            cx.predict_buffer(),
            self.0.return_sequences,
        );
        let sizes = Buffers::new(s, u);
        let (gates, pre, qh) = (sizes.gates, sizes.pre, sizes.qh);
        let call = quote! {
            let mut gates = [T::default(); #gates];
            let mut pre = [T::default(); #pre];
            let mut qh = [T::default(); #qh];
            ::kiln::__private::gru::forward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #b, &#x[..], &mut gates, &mut pre, &mut qh, &mut h,
                &mut #buf, #seq, 1,
            );
        };
        self.0.predict_frame(cx, sizes.h, call)
    }

    fn state(&self, _input: &Shape) -> Vec<(&'static str, usize)> {
        vec![("h", self.0.units)]
    }

    /// `h` stays in the stream's state; the output of a step is `hₛ`.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        let (_, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let (act, gate) = self.0.activations();
        let (x, h) = (cx.predict_in(), cx.state("h"));
        let call = quote! {
            let mut scratch = [T::default(); ::kiln::__private::gru::step_scratch(#u)];
            ::kiln::__private::gru::step::<T, _, _, #f, #u>(
                &#act, &#gate, #w, #r, #b, &#x[..], &mut #h[..], &mut scratch,
            );
        };
        Some(self.0.step_output(cx, call))
    }
}
