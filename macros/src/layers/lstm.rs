//! `LSTM(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true,
//! return_sequences = false, name)`: long short-term memory, trained by back-propagation through
//! time (runtime `layers/lstm.rs`).
//!
//! Gates in Keras' order `i, f, c, o` (PyTorch's `i, f, g, o`: the same order): per step
//! `z = W·xₛ + R·hₛ₋₁ + b`, `i, f, o = σ(zᵢ, z_f, z_o)`, `g = tanh(z_c)`,
//! `cₛ = f⊙cₛ₋₁ + i⊙g`, `hₛ = o⊙tanh(cₛ)`. `bias` `[4·units]` starts with ones for the
//! forget gate (Keras' `unit_forget_bias`); PyTorch's two biases are its sum.

use super::recurrent::Recurrent;
use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::Args;
use crate::param::{Init, Param};
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "LSTM",
    arguments: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "return_sequences",
        "name",
    ],
    parse,
};

/// Gate blocks: `i, f, c, o`.
const GATES: usize = 4;

pub struct Lstm(Recurrent);

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    Ok(Box::new(Lstm(Recurrent::parse(&args, KIND.name)?)))
}

/// The workspace buffers of one sample over `steps` steps of `units` units.
struct Buffers {
    /// The activated gates of every step; `∂L/∂z` after backward.
    gates: usize,
    /// The gates' pre-activations.
    pre: usize,
    /// Every step's cell state.
    c: usize,
    /// Every step's hidden state.
    h: usize,
    /// `∂L/∂hₛ` and `∂L/∂cₛ`, carried back a step.
    carry: usize,
}

impl Buffers {
    fn new(steps: usize, units: usize) -> Self {
        Buffers {
            gates: GATES * units * steps,
            pre: GATES * units * steps,
            c: units * steps,
            h: units * steps,
            carry: 2 * units,
        }
    }
}

impl LayerSpec for Lstm {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "lstm"
    }

    fn explicit_name(&self) -> Option<String> {
        self.0.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        self.0.output_shape(KIND.name, input, call)
    }

    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let mut params = self.0.kernels(input, GATES, &[0, 1, 2, 3]);
        if self.0.use_bias {
            let units = self.0.units;
            let init = Init::UnitForgetBias { units };
            params.push(Recurrent::summed_bias(GATES * units, init));
        }
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let b = Buffers::new(super::recurrent::steps_and_features(input).0, self.0.units);
        [
            ("gates", b.gates),
            ("pre", b.pre),
            ("c", b.c),
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
        let [gates, pre, c, h] = ["gates", "pre", "c", "h"].map(|name| cx.scratch(name));
        quote! {
            ::kiln::__private::lstm::forward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #b, #x, &mut #gates[..],
                ::core::option::Option::Some(&mut #pre[..]), &mut #c[..], &mut #h[..], #y,
                #seq, n,
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
        let [gates, pre, c, h, carry] =
            ["gates", "pre", "c", "h", "carry"].map(|name| cx.scratch(name));
        quote! {
            #grads
            ::kiln::__private::lstm::backward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #x, &mut #gates[..], &#pre[..], &#c[..], &#h[..],
                #g, &mut #carry[..], #seq, grad_kernel, grad_recurrent_kernel,
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
        let (gates, c) = (sizes.gates, sizes.c);
        let call = quote! {
            let mut gates = [T::default(); #gates];
            let mut c = [T::default(); #c];
            ::kiln::__private::lstm::forward::<T, _, _, #s, #f, #u>(
                &#act, &#gate, #w, #r, #b, &#x[..], &mut gates, ::core::option::Option::None,
                &mut c, &mut h, &mut #buf, #seq, 1,
            );
        };
        self.0.predict_frame(cx, sizes.h, call)
    }

    fn state(&self, _input: &Shape) -> Vec<(&'static str, usize)> {
        vec![("h", self.0.units), ("c", self.0.units)]
    }

    /// `h` and `c` stay in the stream's state; the output of a step is `hₛ`.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        let (_, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let (act, gate) = self.0.activations();
        let (x, h, c) = (cx.predict_in(), cx.state("h"), cx.state("c"));
        let call = quote! {
            let mut gates = [T::default(); ::kiln::__private::lstm::step_scratch(#u)];
            ::kiln::__private::lstm::step::<T, _, _, #f, #u>(
                &#act, &#gate, #w, #r, #b, &#x[..], &mut #h[..], &mut #c[..], &mut gates,
            );
        };
        Some(self.0.step_output(cx, call))
    }
}
