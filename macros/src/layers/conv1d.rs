//! `Conv1D(filters, kernel_size, strides = 1, padding = valid, dilation_rate = 1,
//! activation = linear, use_bias = true, name = "...")`: a 1-D convolution over channels-last
//! sequences, like Keras.
//!
//! `[t, c] → [out_t, filters]`; with the span `d·(k − 1) + 1`: `valid`
//! `out_t = ⌊(t − span)/s⌋ + 1` (the span must fit the input), `same` `out_t = ⌈t/s⌉` (zeros
//! split as TensorFlow does, the odd one after), `causal` `out_t = ⌈t/s⌉` with `d·(k − 1)` zeros
//! before the input, so output step `p` depends on input steps `≤ p·s` only. Keras refuses
//! `strides > 1` with `dilation_rate > 1`, and so does kiln.
//!
//! `z[p] = b + Σ_j W_j·x[p·s + j·d − pad_left]`, `y = f(z)`, as one matrix product per batch
//! over the im2col matrix (the runtime's `layers::conv1d`). The kernel is Keras' `[k, c, filters]`
//! (PyTorch's `Conv1d.weight [filters, c, k]`). A causal, stride-1 Conv1D streams: `step` keeps
//! the last `d·(k − 1)` input steps in the model's state.

use super::{im2col, Cx, Kind, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::param::{Param, TorchMap, TorchTensor};
use crate::parse::{Call, Value};
use crate::shape::{Shape, TorchOrder};
use crate::suggest::did_you_mean;
use proc_macro2::TokenStream;
use quote::quote;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Padding {
    Valid,
    Same,
    Causal,
}

pub struct Conv1D {
    filters: usize,
    kernel: usize,
    strides: usize,
    padding: Padding,
    dilation: usize,
    activation: Activation,
    use_bias: bool,
    name: Option<String>,
}

/// The resolved sizes of one Conv1D layer (the macro's copy of the runtime's `Conv1dGeometry`).
struct Geometry {
    in_t: usize,
    in_c: usize,
    out_t: usize,
    pad_left: usize,
}

pub const KIND: Kind = Kind {
    name: "Conv1D",
    arguments: &[
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "dilation_rate",
        "activation",
        "use_bias",
        "name",
    ],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let filters = args::positive_int(
        args.required("filters", "Conv1D(32, 3, activation = relu)")?,
        "the number of filters",
    )?;
    let kernel = single(
        args.required("kernel_size", "Conv1D(32, kernel_size = 3)")?,
        "the kernel size",
    )?;
    let strides = args
        .get("strides")
        .map_or(Ok(1), |v| single(v, "the stride"))?;
    let padding = args.get("padding").map_or(Ok(Padding::Valid), padding)?;
    let dilation = args
        .get("dilation_rate")
        .map_or(Ok(1), |v| single(v, "the dilation rate"))?;
    if strides > 1 && dilation > 1 {
        return Err(call.error(format!(
            "`Conv1D` cannot combine `strides = {strides}` with `dilation_rate = {dilation}` (Keras refuses it too); use `strides = 1` with the dilation, or `dilation_rate = 1` with the stride"
        )));
    }
    let activation = args
        .get("activation")
        .map_or(Ok(Activation::Linear), Activation::parse)?;
    let use_bias = args
        .get("use_bias")
        .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
    Ok(Box::new(Conv1D {
        filters,
        kernel,
        strides,
        padding,
        dilation,
        activation,
        use_bias,
        name: args.layer_name(),
    }))
}

/// A positive integer, or Keras' one-element tuple `(3,)`.
fn single(value: &Value, what: &str) -> syn::Result<usize> {
    match value {
        Value::Tuple(items, _) if items.len() == 1 => args::positive_int(&items[0], what),
        Value::Tuple(items, span) => Err(syn::Error::new(
            *span,
            format!(
                "{what} of `Conv1D` is one integer (`3`, or `(3,)`), but is a tuple of {} values",
                items.len()
            ),
        )),
        other => args::positive_int(other, what),
    }
}

fn padding(value: &Value) -> syn::Result<Padding> {
    const PADDINGS: [&str; 3] = ["valid", "same", "causal"];
    let accepts = "`Conv1D` accepts `valid` (no padding: the output shrinks by the kernel's span), `same` (zero padding: the output is ⌈input / strides⌉) or `causal` (zeros before the input: each output step sees only the steps up to it)";
    match args::name(value) {
        Some((name, _)) if name == "valid" => Ok(Padding::Valid),
        Some((name, _)) if name == "same" => Ok(Padding::Same),
        Some((name, _)) if name == "causal" => Ok(Padding::Causal),
        Some((name, span)) => Err(syn::Error::new(
            span,
            format!(
                "unknown padding `{name}`{}; {accepts}",
                did_you_mean(&name, PADDINGS)
            ),
        )),
        None => Err(syn::Error::new(
            value.span(),
            format!(
                "the padding must be `valid`, `same` or `causal`, but is {}; {accepts}",
                value.describe()
            ),
        )),
    }
}

/// The error for a layer over time steps (`what`: Conv1D, a 1-D pool) placed where its input is
/// no sequence.
pub(super) fn needs_steps(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Image { .. } => "for images use the 2-D layer (`Conv2D`, `MaxPooling2D`, ...)",
        _ => "declare a sequence input `Input(timesteps, channels)`, e.g. `Input(100, 1)` for 100 steps of one channel; after a recurrent layer, give it `return_sequences = true`",
    };
    call.error(format!(
        "{what} slides along time steps and needs a sequence input [timesteps, channels], but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}

impl Conv1D {
    /// Steps from the first tap to the last: `d·(k − 1) + 1`.
    fn span(&self) -> usize {
        self.dilation * (self.kernel - 1) + 1
    }

    /// The layer's sizes on a sequence input, or `None` if it is no sequence or `valid` does
    /// not fit it.
    fn geometry(&self, input: &Shape) -> Option<Geometry> {
        let Shape::Sequence { t, f: c } = *input else {
            return None;
        };
        let (span, s) = (self.span(), self.strides);
        let (out_t, pad_left) = match self.padding {
            Padding::Valid if span > t => return None,
            Padding::Valid => ((t - span) / s + 1, 0),
            Padding::Same => {
                let out = t.div_ceil(s);
                (out, ((out - 1) * s + span).saturating_sub(t) / 2)
            }
            Padding::Causal => (t.div_ceil(s), span - 1),
        };
        Some(Geometry {
            in_t: t,
            in_c: c,
            out_t,
            pad_left,
        })
    }

    fn geometry_of(&self, cx: &Cx) -> Geometry {
        self.geometry(cx.input_shape)
            .expect("the shape rule accepted this input")
    }

    /// `const G: Conv1dGeometry = ...;`, for the generated code.
    fn geometry_const(&self, g: &Geometry) -> TokenStream {
        let Geometry {
            in_t,
            in_c,
            out_t,
            pad_left,
        } = *g;
        let (out_c, k, stride, dilation) = (self.filters, self.kernel, self.strides, self.dilation);
        quote! {
            const G: ::kiln::__private::conv1d::Conv1dGeometry = ::kiln::__private::conv1d::Conv1dGeometry {
                in_t: #in_t, in_c: #in_c, out_t: #out_t, out_c: #out_c,
                k: #k, stride: #stride, dilation: #dilation, pad_left: #pad_left,
            };
        }
    }

    /// Whether `step` can run this layer one time step at a time: causal and stride 1.
    fn streams(&self) -> bool {
        self.padding == Padding::Causal && self.strides == 1
    }

    /// The layer as the shared im2col code generator sees it.
    fn conv(&self, cx: &Cx) -> im2col::Conv {
        let g = self.geometry_of(cx);
        im2col::Conv {
            kernels: quote::format_ident!("conv1d"),
            geometry: self.geometry_const(&g),
            filters: self.filters,
            positions: g.out_t,
            activation: self.activation,
            use_bias: self.use_bias,
        }
    }
}

impl LayerSpec for Conv1D {
    fn kind(&self) -> &'static str {
        "Conv1D"
    }

    fn default_name(&self) -> &'static str {
        "conv1d"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        let Shape::Sequence { t, .. } = *input else {
            return Err(needs_steps(call, "`Conv1D`", input));
        };
        let Some(g) = self.geometry(input) else {
            let (k, d, span) = (self.kernel, self.dilation, self.span());
            let kernel = if d == 1 {
                format!("{k} steps")
            } else {
                format!("{k} taps {d} steps apart (a span of {span} steps)")
            };
            return Err(call.error(format!(
                "the kernel of `Conv1D`, {kernel}, is longer than its input, {} {}, so with `padding = valid` the output would be empty; use `padding = same` or `padding = causal`, or a kernel spanning at most {t} steps",
                input.describe(),
                input.keras(),
            )));
        };
        Ok(Shape::Sequence {
            t: g.out_t,
            f: self.filters,
        })
    }

    /// `kernel [k, c, filters]` is PyTorch's `Conv1d.weight [filters, c, k]` with its axes
    /// reversed.
    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let Shape::Sequence { f: c, .. } = *input else {
            unreachable!("the shape rule accepted a sequence")
        };
        let (k, f) = (self.kernel, self.filters);
        let weight = TorchTensor::new(
            "weight",
            vec![f, c, k],
            TorchMap::permuted(vec![k, c, f], vec![2, 1, 0]),
        );
        Param::kernel_and_bias(vec![k, c, f], weight, (k * c, k * f), f, self.use_bias)
    }

    fn scratch(&self, input: &Shape, output: &Shape) -> Vec<Scratch> {
        let (Shape::Sequence { f: c, .. }, Shape::Sequence { t: out_t, .. }) = (input, output)
        else {
            unreachable!("Conv1D maps sequences to sequences")
        };
        im2col::scratch(self.kernel * c * out_t, output.size(), self.activation)
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn torch_modules(&self) -> usize {
        1 + usize::from(!self.activation.is_linear())
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        self.conv(cx).forward(cx)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        self.conv(cx).backward(cx)
    }

    /// Convolves directly on the stack; softmax normalises each step's channels.
    fn predict(&self, cx: &Cx) -> TokenStream {
        self.conv(cx).predict(cx)
    }

    /// The last `d·(k − 1)` input steps and the ring's cursor.
    fn state(&self, input: &Shape) -> Vec<(&'static str, usize)> {
        match *input {
            Shape::Sequence { f: c, .. } if self.streams() => {
                vec![("ring", (self.kernel - 1) * self.dilation * c + 1)]
            }
            _ => Vec::new(),
        }
    }

    /// One output step from the input step and the kept ones (the activation applied there);
    /// only causal, stride 1.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        if !self.streams() {
            return None;
        }
        let g = self.geometry_of(cx);
        let geometry = self.geometry_const(&g);
        let (c, f) = (g.in_c, self.filters);
        let (x, y, buf) = (cx.predict_in(), cx.predict_out(), cx.predict_buffer());
        let (w, b, ring) = (
            cx.param_slice("kernel"),
            cx.optional_param("bias"),
            cx.state("ring"),
        );
        let act = self.activation.runtime();
        Some(quote! {
            let mut #buf = [T::default(); #f];
            {
                #geometry
                ::kiln::__private::conv1d::step::<T, _, #c, #f>(&#act, &G, #w, #b, &#x[..], &mut #ring[..], &mut #buf);
            }
            let #y = &#buf;
        })
    }

    fn logits(&self, cx: &Cx) -> Option<TokenStream> {
        im2col::logits(self.activation, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::{Conv1D, Padding};
    use crate::activation::Activation;
    use crate::shape::Shape;

    fn out(t: usize, k: usize, s: usize, d: usize, padding: Padding) -> Option<(usize, usize)> {
        let layer = Conv1D {
            filters: 1,
            kernel: k,
            strides: s,
            padding,
            dilation: d,
            activation: Activation::Linear,
            use_bias: true,
            name: None,
        };
        layer
            .geometry(&Shape::Sequence { t, f: 1 })
            .map(|g| (g.out_t, g.pad_left))
    }

    #[test]
    fn output_lengths_follow_keras() {
        assert_eq!(out(10, 3, 1, 1, Padding::Valid), Some((8, 0)));
        assert_eq!(out(10, 3, 2, 1, Padding::Valid), Some((4, 0)));
        // span 2·(5 − 1) + 1 = 9.
        assert_eq!(out(10, 5, 1, 2, Padding::Valid), Some((2, 0)));
        assert_eq!(out(8, 5, 1, 2, Padding::Valid), None);
        // same: ⌈10/1⌉, pad_total = 9 + 5 − 10 − ... = span − 1 = 4 → 2 before.
        assert_eq!(out(10, 3, 1, 2, Padding::Same), Some((10, 2)));
        // ⌈7/2⌉ = 4, pad_total = 3·2 + 4 − 7 = 3 → 1 before, 2 after.
        assert_eq!(out(7, 4, 2, 1, Padding::Same), Some((4, 1)));
        assert_eq!(out(7, 3, 1, 4, Padding::Causal), Some((7, 8)));
        assert_eq!(out(7, 3, 2, 1, Padding::Causal), Some((4, 2)));
    }
}
