//! `Conv2D(filters, kernel_size, strides = (1, 1), padding = valid, activation = linear,
//! use_bias = true, name = "...")`: a 2-D convolution over channels-last images, like Keras.
//!
//! `[h, w, c] → [out_h, out_w, filters]` with, per axis, `valid`: `out = ⌊(in − k)/s⌋ + 1`
//! (the kernel must fit the input), `same`: `out = ⌈in/s⌉`, zero padding
//! `pad_total = max((out − 1)·s + k − in, 0)`, `pad_before = ⌊pad_total/2⌋`.
//!
//! `z = W ⋆ x + b` (cross-correlation), `y = f(z)`, computed as one matrix product per batch over
//! the im2col matrix (see the runtime's `layers::conv2d`). The kernel is Keras'
//! `[kh, kw, c, filters]`; an activation acts on each pixel's `filters` values (softmax
//! normalises over the channels of each pixel, as in Keras).

use super::{im2col, Cx, Kind, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::param::{Param, TorchMap, TorchTensor};
use crate::parse::{Call, Value};
use crate::shape::{needs_image, Shape, TorchOrder};
use crate::suggest::did_you_mean;
use proc_macro2::TokenStream;
use quote::quote;

pub struct Conv2D {
    filters: usize,
    kernel: (usize, usize),
    strides: (usize, usize),
    same: bool,
    activation: Activation,
    use_bias: bool,
    name: Option<String>,
}

/// The resolved sizes of one Conv2D layer (the macro's copy of the runtime's `Conv2dGeometry`).
struct Geometry {
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_h: usize,
    out_w: usize,
    out_c: usize,
    pad_top: usize,
    pad_left: usize,
}

pub const KIND: Kind = Kind {
    name: "Conv2D",
    arguments: &[
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "activation",
        "use_bias",
        "name",
    ],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let filters = args::positive_int(
        args.required("filters", "Conv2D(32, 3, activation = relu)")?,
        "the number of filters",
    )?;
    let kernel = args::positive_pair(
        args.required("kernel_size", "Conv2D(32, kernel_size = 3)")?,
        "the kernel size",
        ["the kernel height", "the kernel width"],
    )?;
    let strides = args.get("strides").map_or(Ok((1, 1)), |v| {
        args::positive_pair(
            v,
            "the strides",
            ["the vertical stride", "the horizontal stride"],
        )
    })?;
    let same = args.get("padding").map_or(Ok(false), padding)?;
    let activation = args
        .get("activation")
        .map_or(Ok(Activation::Linear), Activation::parse)?;
    let use_bias = args
        .get("use_bias")
        .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
    let name = args.layer_name();
    Ok(Box::new(Conv2D {
        filters,
        kernel,
        strides,
        same,
        activation,
        use_bias,
        name,
    }))
}

/// `valid` (false) or `same` (true).
fn padding(value: &Value) -> syn::Result<bool> {
    const PADDINGS: [&str; 2] = ["valid", "same"];
    let accepts = "`Conv2D` accepts `valid` (no padding: the output shrinks by the kernel size) or `same` (zero padding: the output is ⌈input / strides⌉)";
    match args::name(value) {
        Some((name, _)) if name == "valid" => Ok(false),
        Some((name, _)) if name == "same" => Ok(true),
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
                "the padding must be `valid` or `same`, but is {}; {accepts}",
                value.describe()
            ),
        )),
    }
}

impl Conv2D {
    /// The layer's sizes on an image input (checked by [`LayerSpec::output_shape`] first).
    fn geometry(&self, input: &Shape) -> Option<Geometry> {
        let Shape::Image { h, w, c } = *input else {
            return None;
        };
        let ((kh, kw), (sh, sw)) = (self.kernel, self.strides);
        let (out_h, out_w, pad_top, pad_left) = if self.same {
            let (oh, ow) = (h.div_ceil(sh), w.div_ceil(sw));
            let pad_h = ((oh - 1) * sh + kh).saturating_sub(h);
            let pad_w = ((ow - 1) * sw + kw).saturating_sub(w);
            (oh, ow, pad_h / 2, pad_w / 2)
        } else {
            if kh > h || kw > w {
                return None;
            }
            ((h - kh) / sh + 1, (w - kw) / sw + 1, 0, 0)
        };
        Some(Geometry {
            in_h: h,
            in_w: w,
            in_c: c,
            out_h,
            out_w,
            out_c: self.filters,
            pad_top,
            pad_left,
        })
    }

    /// The layer as the shared im2col code generator sees it.
    fn conv(&self, cx: &Cx) -> im2col::Conv {
        let g = self.geometry_of(cx);
        im2col::Conv {
            kernels: quote::format_ident!("conv2d"),
            geometry: self.geometry_const(&g),
            filters: g.out_c,
            positions: g.out_h * g.out_w,
            activation: self.activation,
            use_bias: self.use_bias,
        }
    }

    fn geometry_of(&self, cx: &Cx) -> Geometry {
        self.geometry(cx.input_shape)
            .expect("the shape rule accepted this input")
    }

    /// `const G: Conv2dGeometry = ...;`, for the generated code.
    fn geometry_const(&self, g: &Geometry) -> TokenStream {
        let Geometry {
            in_h,
            in_w,
            in_c,
            out_h,
            out_w,
            out_c,
            pad_top,
            pad_left,
        } = *g;
        let ((kh, kw), (sh, sw)) = (self.kernel, self.strides);
        quote! {
            const G: ::kiln::__private::conv2d::Conv2dGeometry = ::kiln::__private::conv2d::Conv2dGeometry {
                in_h: #in_h, in_w: #in_w, in_c: #in_c, out_h: #out_h, out_w: #out_w, out_c: #out_c,
                kh: #kh, kw: #kw, sh: #sh, sw: #sw, pad_top: #pad_top, pad_left: #pad_left,
            };
        }
    }

    /// `K·P`: the im2col matrix's size per sample.
    fn cols_per_sample(&self, input: &Shape, output: &Shape) -> usize {
        let (Shape::Image { c, .. }, Shape::Image { h, w, .. }) = (input, output) else {
            unreachable!("Conv2D maps images to images")
        };
        self.kernel.0 * self.kernel.1 * c * h * w
    }
}

impl LayerSpec for Conv2D {
    fn kind(&self) -> &'static str {
        "Conv2D"
    }

    fn default_name(&self) -> &'static str {
        "conv2d"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        let Shape::Image { h, w, .. } = *input else {
            return Err(needs_image(call, "`Conv2D`", input));
        };
        let (kh, kw) = self.kernel;
        if !self.same && (kh > h || kw > w) {
            let which = match (kh > h, kw > w) {
                (true, true) => "taller and wider than",
                (true, false) => "taller than",
                _ => "wider than",
            };
            let (rows, columns) = (kh.min(h), kw.min(w));
            return Err(call.error(format!(
                "the {kh}×{kw} kernel of `Conv2D` is {which} its input, {} {}, so with `padding = valid` its output would be empty; use `padding = same`, or a kernel of at most {rows}×{columns}",
                input.describe(),
                input.keras(),
            )));
        }
        let g = self.geometry(input).expect("checked above");
        Ok(Shape::Image {
            h: g.out_h,
            w: g.out_w,
            c: g.out_c,
        })
    }

    /// `kernel [kh, kw, c, filters]` is PyTorch's `Conv2d.weight [filters, c, kh, kw]` with
    /// its axes permuted.
    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let Shape::Image { c, .. } = *input else {
            unreachable!("the shape rule accepted an image")
        };
        let ((kh, kw), f) = (self.kernel, self.filters);
        let weight = TorchTensor::new(
            "weight",
            vec![f, c, kh, kw],
            TorchMap::permuted(vec![kh, kw, c, f], vec![3, 2, 0, 1]),
        );
        Param::kernel_and_bias(
            vec![kh, kw, c, f],
            weight,
            (kh * kw * c, kh * kw * f),
            f,
            self.use_bias,
        )
    }

    fn scratch(&self, input: &Shape, output: &Shape) -> Vec<Scratch> {
        let per_sample = self.cols_per_sample(input, output);
        im2col::scratch(per_sample, output.size(), self.activation)
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

    /// Convolves directly on the stack; softmax normalises each pixel's channels.
    fn predict(&self, cx: &Cx) -> TokenStream {
        self.conv(cx).predict(cx)
    }

    fn logits(&self, cx: &Cx) -> Option<TokenStream> {
        im2col::logits(self.activation, cx)
    }
}
