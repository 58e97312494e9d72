//! 2-D pooling over channels-last images, with Keras' arguments and shape rules:
//!
//! - `MaxPooling2D(pool_size = (2, 2), strides = None, padding = valid, name = "...")` (alias
//!   `MaxPool2D`) and `AveragePooling2D(...)` (alias `AvgPool2D`): `[h, w, c] → [h′, w′, c]`.
//!   `pool_size` and `strides` take an integer or a pair `(height, width)`; `strides` defaults to
//!   `pool_size`. `valid`: `h′ = ⌊(h − k)/s⌋ + 1`, trailing rows that fit no window are dropped
//!   (zero gradient). `same`: `h′ = ⌈h/s⌉`, padded TensorFlow-style
//!   (`pad_total = max((h′ − 1)·s + k − h, 0)`, `pad_top = ⌊pad_total/2⌋`, the rest at the
//!   bottom); padded cells are ignored by max and not counted by the average.
//! - `GlobalMaxPooling2D(name = "...")`, `GlobalAveragePooling2D(name = "...")`:
//!   `[h, w, c] → [c]`, one `h × w` window per channel.
//!
//! Forward: `y = max(window)` (recording the first maximum's index) or `y = Σ window / count`.
//! Backward: max sends `∂L/∂y` to the recorded index; average gives each valid cell
//! `∂L/∂y / count`; both accumulate into a zeroed `∂L/∂x`, since windows may overlap.
//! The kernels are `kiln::__private::pool`.

use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::parse::{Call, Value};
use crate::shape::Shape;
use crate::suggest::did_you_mean;
use proc_macro2::{Span, TokenStream};
use quote::quote;

/// Max or average pooling (shared with `pool1d`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Max,
    Average,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Padding {
    Valid,
    Same,
}

/// A pair `(height, width)` of a window or stride, with the span of the argument that set it.
#[derive(Clone, Copy)]
struct Pair {
    h: usize,
    w: usize,
    span: Option<Span>,
}

enum Window {
    /// `MaxPooling2D` / `AveragePooling2D`.
    Local {
        pool: Pair,
        strides: Pair,
        padding: Padding,
    },
    /// `Global*Pooling2D`: one window covering the whole image.
    Global,
}

pub struct Pool {
    op: Op,
    window: Window,
    name: Option<String>,
}

/// The geometry of one pooling layer (mirrors `kiln::__private::pool::Pool2d`).
struct Geometry {
    h: usize,
    w: usize,
    c: usize,
    out_h: usize,
    out_w: usize,
    pool: (usize, usize),
    strides: (usize, usize),
    pad: (usize, usize),
}

const LOCAL_ARGUMENTS: &[&str] = &["pool_size", "strides", "padding", "name"];
const GLOBAL_ARGUMENTS: &[&str] = &["name"];

pub const MAX: Kind = Kind {
    name: "MaxPooling2D",
    arguments: LOCAL_ARGUMENTS,
    parse: |call| parse_local(call, Op::Max),
};
pub const MAX_ALIAS: Kind = Kind {
    name: "MaxPool2D",
    ..MAX
};
pub const AVERAGE: Kind = Kind {
    name: "AveragePooling2D",
    arguments: LOCAL_ARGUMENTS,
    parse: |call| parse_local(call, Op::Average),
};
pub const AVERAGE_ALIAS: Kind = Kind {
    name: "AvgPool2D",
    ..AVERAGE
};
pub const GLOBAL_MAX: Kind = Kind {
    name: "GlobalMaxPooling2D",
    arguments: GLOBAL_ARGUMENTS,
    parse: |call| parse_global(call, Op::Max),
};
pub const GLOBAL_AVERAGE: Kind = Kind {
    name: "GlobalAveragePooling2D",
    arguments: GLOBAL_ARGUMENTS,
    parse: |call| parse_global(call, Op::Average),
};

fn parse_local(call: &Call, op: Op) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, LOCAL_ARGUMENTS)?;
    let pool = match args.get("pool_size") {
        Some(v) => pair(v, "`pool_size`", "the pool size", "the pool")?,
        None => Pair {
            h: 2,
            w: 2,
            span: None,
        },
    };
    let strides = match args.get("strides") {
        Some(Value::Ident(i)) if i == "None" => pool,
        Some(v) => pair(v, "`strides`", "the stride", "the stride")?,
        None => pool,
    };
    let padding = match args.get("padding") {
        Some(v) => padding(v, call)?,
        None => Padding::Valid,
    };
    Ok(Box::new(Pool {
        op,
        window: Window::Local {
            pool,
            strides,
            padding,
        },
        name: args.layer_name(),
    }))
}

fn parse_global(call: &Call, op: Op) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, GLOBAL_ARGUMENTS)?;
    Ok(Box::new(Pool {
        op,
        window: Window::Global,
        name: args.layer_name(),
    }))
}

/// An integer `k` (meaning `(k, k)`) or a pair `(h, w)` of positive integers. `whole` names the
/// integer in messages ("the pool size"), `what` the pair's elements ("the pool" height/width).
fn pair(value: &Value, arg: &str, whole: &str, what: &str) -> syn::Result<Pair> {
    let span = Some(value.span());
    match value {
        Value::Tuple(items, _) => match items.as_slice() {
            [h, w] => Ok(Pair {
                h: args::positive_int(h, &format!("{what} height"))?,
                w: args::positive_int(w, &format!("{what} width"))?,
                span,
            }),
            _ => Err(syn::Error::new(
                value.span(),
                format!(
                    "{arg} takes an integer or a pair `(height, width)`, but is {}",
                    value.describe()
                ),
            )),
        },
        _ => {
            let k = args::positive_int(value, whole)?;
            Ok(Pair { h: k, w: k, span })
        }
    }
}

pub(super) fn padding(value: &Value, call: &Call) -> syn::Result<Padding> {
    const KNOWN: [&str; 2] = ["valid", "same"];
    let Some((name, span)) = args::name(value) else {
        return Err(syn::Error::new(
            value.span(),
            format!(
                "`padding` must be `valid` or `same`, but is {}",
                value.describe()
            ),
        ));
    };
    match name.to_lowercase().as_str() {
        "valid" => Ok(Padding::Valid),
        "same" => Ok(Padding::Same),
        _ => Err(syn::Error::new(
            span,
            format!(
                "unknown padding `{name}`{}; `{}` takes `padding = valid` (no padding, windows that do not fit are dropped) or `padding = same` (output size ⌈input / stride⌉)",
                did_you_mean(&name, KNOWN),
                call.name
            ),
        )),
    }
}

/// Keras' output size and padding before, along one axis.
pub(super) fn axis(len: usize, k: usize, s: usize, padding: Padding) -> (usize, usize) {
    match padding {
        Padding::Valid if len < k => (0, 0),
        Padding::Valid => ((len - k) / s + 1, 0),
        Padding::Same => {
            let out = len.div_ceil(s);
            let total = ((out - 1) * s + k).saturating_sub(len);
            (out, total / 2)
        }
    }
}

impl Pool {
    fn geometry(&self, input: &Shape) -> Option<Geometry> {
        let Shape::Image { h, w, c } = *input else {
            return None;
        };
        Some(match &self.window {
            Window::Global => Geometry {
                h,
                w,
                c,
                out_h: 1,
                out_w: 1,
                pool: (h, w),
                strides: (h, w),
                pad: (0, 0),
            },
            Window::Local {
                pool,
                strides,
                padding,
            } => {
                let (out_h, pad_top) = axis(h, pool.h, strides.h, *padding);
                let (out_w, pad_left) = axis(w, pool.w, strides.w, *padding);
                Geometry {
                    h,
                    w,
                    c,
                    out_h,
                    out_w,
                    pool: (pool.h, pool.w),
                    strides: (strides.h, strides.w),
                    pad: (pad_top, pad_left),
                }
            }
        })
    }

    /// The geometry as a `kiln::__private::pool::Pool2d` literal.
    fn runtime_geometry(&self, cx: &Cx) -> TokenStream {
        let g = self
            .geometry(cx.input_shape)
            .expect("the shape check accepted an image");
        let Geometry {
            h,
            w,
            c,
            out_h,
            out_w,
            ..
        } = g;
        let ((pool_h, pool_w), (stride_h, stride_w), (pad_top, pad_left)) =
            (g.pool, g.strides, g.pad);
        quote! {
            &::kiln::__private::pool::Pool2d {
                h: #h, w: #w, c: #c, out_h: #out_h, out_w: #out_w,
                pool_h: #pool_h, pool_w: #pool_w, stride_h: #stride_h, stride_w: #stride_w,
                pad_top: #pad_top, pad_left: #pad_left,
            }
        }
    }
}

impl LayerSpec for Pool {
    fn kind(&self) -> &'static str {
        match (self.op, &self.window) {
            (Op::Max, Window::Local { .. }) => "MaxPooling2D",
            (Op::Average, Window::Local { .. }) => "AveragePooling2D",
            (Op::Max, Window::Global) => "GlobalMaxPooling2D",
            (Op::Average, Window::Global) => "GlobalAveragePooling2D",
        }
    }

    fn default_name(&self) -> &'static str {
        match (self.op, &self.window) {
            (Op::Max, Window::Local { .. }) => "max_pooling2d",
            (Op::Average, Window::Local { .. }) => "average_pooling2d",
            (Op::Max, Window::Global) => "global_max_pooling2d",
            (Op::Average, Window::Global) => "global_average_pooling2d",
        }
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    /// A global pool is `nn.AdaptiveMaxPool2d(1)` / `nn.AdaptiveAvgPool2d(1)` then `nn.Flatten()`.
    fn torch_modules(&self) -> usize {
        match self.window {
            Window::Local { .. } => 1,
            Window::Global => 2,
        }
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        let Some(g) = self.geometry(input) else {
            return Err(call.error(format!(
                "`{}` needs an image input `[h, w, c]`, but receives {} {}",
                call.name,
                input.describe(),
                input.keras()
            )));
        };
        if input.size() > u32::MAX as usize {
            return Err(call.error(format!(
                "`{}` supports inputs of at most {} scalars per sample, but receives {}",
                call.name,
                u32::MAX,
                input.size()
            )));
        }
        if let Window::Local { pool, .. } = &self.window {
            if g.out_h == 0 || g.out_w == 0 {
                let span = pool.span.unwrap_or(call.span);
                return Err(syn::Error::new(
                    span,
                    format!(
                        "the {}×{} pool window of `{}` is larger than its input, {} {}, so with `padding = valid` the output would be empty ({}×{}); use `padding = same` or a smaller `pool_size`",
                        pool.h,
                        pool.w,
                        call.name,
                        input.describe(),
                        input.keras(),
                        g.out_h,
                        g.out_w
                    ),
                ));
            }
        }
        Ok(match self.window {
            Window::Global => Shape::Vector(g.c),
            Window::Local { .. } => Shape::Image {
                h: g.out_h,
                w: g.out_w,
                c: g.c,
            },
        })
    }

    fn scratch(&self, _input: &Shape, output: &Shape) -> Vec<Scratch> {
        scratch(self.op, output)
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        forward(self.op, self.runtime_geometry(cx), cx)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        backward(self.op, self.runtime_geometry(cx), cx)
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        predict(self.op, self.runtime_geometry(cx), cx)
    }
}

/// The workspace of a pooling layer (2-D, or 1-D on the same kernels): max-pooling keeps each
/// output's argmax.
pub(super) fn scratch(op: Op, output: &Shape) -> Vec<Scratch> {
    match op {
        Op::Max => vec![Scratch::Indices {
            name: "argmax",
            per_sample: output.size(),
        }],
        Op::Average => Vec::new(),
    }
}

/// The batched forward pass of a pooling layer whose runtime geometry (`&Pool2d`) is `g`.
pub(super) fn forward(op: Op, g: TokenStream, cx: &Cx) -> TokenStream {
    let (x, y) = (cx.input(), cx.output_mut());
    match op {
        Op::Max => {
            let argmax = cx.scratch("argmax");
            quote!(::kiln::__private::pool::max_forward::<T>(#g, #x, #y, &mut #argmax[..], n);)
        }
        Op::Average => quote!(::kiln::__private::pool::avg_forward::<T>(#g, #x, #y, n);),
    }
}

/// The batched backward pass: ∂L/∂x from ∂L/∂y through the argmax or the averaging.
pub(super) fn backward(op: Op, g: TokenStream, cx: &Cx) -> TokenStream {
    let (grad_y, grad_in) = (cx.grad_out(), cx.grad_in());
    let call = match op {
        Op::Max => {
            let argmax = cx.scratch("argmax");
            quote!(::kiln::__private::pool::max_backward::<T>(#g, #grad_y, grad_in, &#argmax[..], n);)
        }
        Op::Average => {
            quote!(::kiln::__private::pool::avg_backward::<T>(#g, #grad_y, grad_in, n);)
        }
    };
    quote! {
        if let ::core::option::Option::Some(grad_in) = #grad_in {
            #call
        }
    }
}

/// Single-sample inference on the stack.
pub(super) fn predict(op: Op, g: TokenStream, cx: &Cx) -> TokenStream {
    let (x, y, buf) = (cx.predict_in(), cx.predict_out(), cx.predict_buffer());
    let o = cx.output_shape.size();
    let kernel = match op {
        Op::Max => quote!(max_predict),
        Op::Average => quote!(avg_predict),
    };
    quote! {
        let mut #buf = [T::default(); #o];
        ::kiln::__private::pool::#kernel::<T>(#g, &#x[..], &mut #buf[..]);
        let #y = &#buf;
    }
}

#[cfg(test)]
mod tests {
    use super::{axis, Padding};

    #[test]
    fn output_sizes_and_padding_follow_keras() {
        assert_eq!(axis(7, 2, 2, Padding::Valid), (3, 0));
        assert_eq!(axis(7, 3, 1, Padding::Valid), (5, 0));
        assert_eq!(axis(1, 2, 2, Padding::Valid), (0, 0));
        // ceil(7/2) = 4; pad_total = 3·2 + 2 − 7 = 1 → 0 before, 1 after.
        assert_eq!(axis(7, 2, 2, Padding::Same), (4, 0));
        // ceil(6/1) = 6; pad_total = 5 + 3 − 6 = 2 → 1 before.
        assert_eq!(axis(6, 3, 1, Padding::Same), (6, 1));
        // ceil(5/2) = 3; pad_total = 4 + 4 − 5 = 3 → 1 before, 2 after.
        assert_eq!(axis(5, 4, 2, Padding::Same), (3, 1));
        // A window larger than the image is fine under `same`.
        assert_eq!(axis(2, 3, 2, Padding::Same), (1, 0));
    }
}
