//! `SimpleRNN(units, activation = tanh, use_bias = true, return_sequences = false, name)`:
//! `hₛ = activation(W·xₛ + R·hₛ₋₁ + b)`, trained by back-propagation through time (runtime
//! `layers/simple_rnn.rs`). PyTorch's `nn.RNN`; its two biases are Keras' one bias summed.

use super::recurrent::Recurrent;
use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::Args;
use crate::param::{Init, Param};
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "SimpleRNN",
    arguments: &[
        "units",
        "activation",
        "use_bias",
        "return_sequences",
        "name",
    ],
    parse,
};

pub struct SimpleRnn(Recurrent);

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    Ok(Box::new(SimpleRnn(Recurrent::parse(&args, KIND.name)?)))
}

/// The workspace buffers of one sample over `steps` steps of `units` units.
struct Buffers {
    /// Every step's pre-activation; `∂L/∂z` after backward.
    pre: usize,
    /// Every step's hidden state.
    h: usize,
    /// `∂L/∂hₛ`, carried back a step.
    carry: usize,
}

impl Buffers {
    fn new(steps: usize, units: usize) -> Self {
        Buffers {
            pre: units * steps,
            h: units * steps,
            carry: units,
        }
    }
}

impl LayerSpec for SimpleRnn {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "simple_rnn"
    }

    fn explicit_name(&self) -> Option<String> {
        self.0.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        self.0.output_shape(KIND.name, input, call)
    }

    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let mut params = self.0.kernels(input, 1, &[0]);
        if self.0.use_bias {
            params.push(Recurrent::summed_bias(self.0.units, Init::Zeros));
        }
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let b = Buffers::new(super::recurrent::steps_and_features(input).0, self.0.units);
        [("pre", b.pre), ("h", b.h), ("carry", b.carry)]
            .map(|(name, per_sample)| Scratch::Buffer { name, per_sample })
            .into()
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let act = self.0.activation.runtime();
        let (x, y, seq) = (cx.input(), cx.output_mut(), self.0.return_sequences);
        let (pre, h) = (cx.scratch("pre"), cx.scratch("h"));
        quote! {
            ::kiln::__private::simple_rnn::forward::<T, _, #s, #f, #u>(
                &#act, #w, #r, #b, #x, &mut #pre[..], &mut #h[..], #y, #seq, n,
            );
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, _) = self.0.weights(cx);
        let act = self.0.activation.runtime();
        let (x, g, seq) = (cx.input(), cx.grad_out(), self.0.return_sequences);
        let (grads, grad_bias, grad_in) =
            (cx.bind_param_grads(), self.0.grad_bias(cx), cx.grad_in());
        let [pre, h, carry] = ["pre", "h", "carry"].map(|name| cx.scratch(name));
        quote! {
            #grads
            ::kiln::__private::simple_rnn::backward::<T, _, #s, #f, #u>(
                &#act, #w, #r, #x, &#h[..], &mut #pre[..], #g, &mut #carry[..], #seq,
                grad_kernel, grad_recurrent_kernel, #grad_bias, #grad_in, n,
            );
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.0.sizes(cx);
        let (w, r, b) = self.0.weights(cx);
        let act = self.0.activation.runtime();
        let (x, buf, seq) = (
            cx.predict_in(),
            cx.predict_buffer(),
            self.0.return_sequences,
        );
        let sizes = Buffers::new(s, u);
        let pre = sizes.pre;
        let call = quote! {
            let mut pre = [T::default(); #pre];
            ::kiln::__private::simple_rnn::forward::<T, _, #s, #f, #u>(
                &#act, #w, #r, #b, &#x[..], &mut pre, &mut h, &mut #buf, #seq, 1,
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
        let act = self.0.activation.runtime();
        let (x, h) = (cx.predict_in(), cx.state("h"));
        let call = quote! {
            let mut z = [T::default(); ::kiln::__private::simple_rnn::step_scratch(#u)];
            ::kiln::__private::simple_rnn::step::<T, _, #f, #u>(
                &#act, #w, #r, #b, &#x[..], &mut #h[..], &mut z,
            );
        };
        Some(self.0.step_output(cx, call))
    }
}
