//! 1-D pooling over channels-last sequences, with Keras' arguments and shape rules:
//!
//! - `MaxPooling1D(pool_size = 2, strides = None, padding = valid, name = "...")` (alias
//!   `MaxPool1D`) and `AveragePooling1D(...)` (alias `AvgPool1D`): `[t, c] → [t′, c]`;
//!   `strides` defaults to `pool_size`. `valid`: `t′ = ⌊(t − k)/s⌋ + 1`, trailing steps that fit
//!   no window are dropped (zero gradient); `same`: `t′ = ⌈t/s⌉`, padded TensorFlow-style, the
//!   padded steps ignored by max and not counted by the average.
//! - `GlobalMaxPooling1D(name = "...")`, `GlobalAveragePooling1D(name = "...")`: `[t, c] → [c]`.
//!
//! A sequence `[t, c]` is stored as a `1 × t × c` image, so these run the 2-D kernels of
//! `kiln::__private::pool` with a window one row high: forward `y = max(window)` (recording the
//! first maximum) or `y = Σ window / count`; backward sends `∂L/∂y` to the recorded step, or
//! `∂L/∂y / count` to each step of the window, accumulating where windows overlap.

use super::conv1d::needs_steps;
use super::pool::{self, axis, padding, Op, Padding};
use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::parse::{Call, Value};
use crate::shape::Shape;
use proc_macro2::{Span, TokenStream};
use quote::quote;

enum Window {
    /// `MaxPooling1D` / `AveragePooling1D`; the span of `pool_size`, if given.
    Local {
        pool: usize,
        strides: usize,
        padding: Padding,
        span: Option<Span>,
    },
    /// `Global*Pooling1D`: one window over the whole sequence.
    Global,
}

pub struct Pool1D {
    op: Op,
    window: Window,
    name: Option<String>,
}

const LOCAL_ARGUMENTS: &[&str] = &["pool_size", "strides", "padding", "name"];
const GLOBAL_ARGUMENTS: &[&str] = &["name"];

pub const MAX: Kind = Kind {
    name: "MaxPooling1D",
    arguments: LOCAL_ARGUMENTS,
    parse: |call| parse_local(call, Op::Max),
};
pub const MAX_ALIAS: Kind = Kind {
    name: "MaxPool1D",
    ..MAX
};
pub const AVERAGE: Kind = Kind {
    name: "AveragePooling1D",
    arguments: LOCAL_ARGUMENTS,
    parse: |call| parse_local(call, Op::Average),
};
pub const AVERAGE_ALIAS: Kind = Kind {
    name: "AvgPool1D",
    ..AVERAGE
};
pub const GLOBAL_MAX: Kind = Kind {
    name: "GlobalMaxPooling1D",
    arguments: GLOBAL_ARGUMENTS,
    parse: |call| parse_global(call, Op::Max),
};
pub const GLOBAL_AVERAGE: Kind = Kind {
    name: "GlobalAveragePooling1D",
    arguments: GLOBAL_ARGUMENTS,
    parse: |call| parse_global(call, Op::Average),
};

fn parse_local(call: &Call, op: Op) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, LOCAL_ARGUMENTS)?;
    let (pool, span) = match args.get("pool_size") {
        Some(v) => (single(v, "the pool size")?, Some(v.span())),
        None => (2, None),
    };
    let strides = match args.get("strides") {
        Some(Value::Ident(i)) if i == "None" => pool,
        Some(v) => single(v, "the stride")?,
        None => pool,
    };
    let padding = match args.get("padding") {
        Some(v) => padding(v, call)?,
        None => Padding::Valid,
    };
    Ok(Box::new(Pool1D {
        op,
        window: Window::Local {
            pool,
            strides,
            padding,
            span,
        },
        name: args.layer_name(),
    }))
}

fn parse_global(call: &Call, op: Op) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, GLOBAL_ARGUMENTS)?;
    Ok(Box::new(Pool1D {
        op,
        window: Window::Global,
        name: args.layer_name(),
    }))
}

/// A positive integer, or Keras' one-element tuple `(2,)`.
fn single(value: &Value, what: &str) -> syn::Result<usize> {
    match value {
        Value::Tuple(items, _) if items.len() == 1 => args::positive_int(&items[0], what),
        Value::Tuple(items, span) => Err(syn::Error::new(
            *span,
            format!(
                "{what} of a 1-D pool is one integer (`2`, or `(2,)`), but is a tuple of {} values",
                items.len()
            ),
        )),
        other => args::positive_int(other, what),
    }
}

impl Pool1D {
    /// `(t, c, out_t, pool, strides, pad_left)` on a sequence input.
    fn geometry(&self, input: &Shape) -> Option<(usize, usize, usize, usize, usize, usize)> {
        let Shape::Sequence { t, f: c } = *input else {
            return None;
        };
        Some(match self.window {
            Window::Global => (t, c, 1, t, t, 0),
            Window::Local {
                pool,
                strides,
                padding,
                ..
            } => {
                let (out, pad) = axis(t, pool, strides, padding);
                (t, c, out, pool, strides, pad)
            }
        })
    }

    /// The geometry as a one-row `kiln::__private::pool::Pool2d` literal.
    fn runtime_geometry(&self, cx: &Cx) -> TokenStream {
        let (t, c, out_t, pool, stride, pad) = self
            .geometry(cx.input_shape)
            .expect("the shape check accepted a sequence");
        quote! {
            &::kiln::__private::pool::Pool2d {
                h: 1, w: #t, c: #c, out_h: 1, out_w: #out_t,
                pool_h: 1, pool_w: #pool, stride_h: 1, stride_w: #stride,
                pad_top: 0, pad_left: #pad,
            }
        }
    }
}

impl LayerSpec for Pool1D {
    fn kind(&self) -> &'static str {
        match (self.op, &self.window) {
            (Op::Max, Window::Local { .. }) => "MaxPooling1D",
            (Op::Average, Window::Local { .. }) => "AveragePooling1D",
            (Op::Max, Window::Global) => "GlobalMaxPooling1D",
            (Op::Average, Window::Global) => "GlobalAveragePooling1D",
        }
    }

    fn default_name(&self) -> &'static str {
        match (self.op, &self.window) {
            (Op::Max, Window::Local { .. }) => "max_pooling1d",
            (Op::Average, Window::Local { .. }) => "average_pooling1d",
            (Op::Max, Window::Global) => "global_max_pooling1d",
            (Op::Average, Window::Global) => "global_average_pooling1d",
        }
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    /// A global pool is `nn.AdaptiveMaxPool1d(1)` / `nn.AdaptiveAvgPool1d(1)` then `nn.Flatten()`.
    fn torch_modules(&self) -> usize {
        match self.window {
            Window::Local { .. } => 1,
            Window::Global => 2,
        }
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        let what = format!("`{}`", call.name);
        let Some((t, c, out_t, ..)) = self.geometry(input) else {
            return Err(needs_steps(call, &what, input));
        };
        if input.size() > u32::MAX as usize {
            return Err(call.error(format!(
                "{what} supports inputs of at most {} scalars per sample, but receives {}",
                u32::MAX,
                input.size()
            )));
        }
        if let Window::Local { pool, span, .. } = self.window {
            if out_t == 0 {
                return Err(syn::Error::new(
                    span.unwrap_or(call.span),
                    format!(
                        "the pool window of {what}, {pool} steps, is longer than its input, {} {}, so with `padding = valid` the output would be empty; use `padding = same` or a `pool_size` of at most {t}",
                        input.describe(),
                        input.keras(),
                    ),
                ));
            }
        }
        Ok(match self.window {
            Window::Global => Shape::Vector(c),
            Window::Local { .. } => Shape::Sequence { t: out_t, f: c },
        })
    }

    fn scratch(&self, _input: &Shape, output: &Shape) -> Vec<Scratch> {
        pool::scratch(self.op, output)
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        pool::forward(self.op, self.runtime_geometry(cx), cx)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        pool::backward(self.op, self.runtime_geometry(cx), cx)
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        pool::predict(self.op, self.runtime_geometry(cx), cx)
    }
}
