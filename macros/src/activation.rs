//! Activation functions by name: `relu`, `"relu"`, `leaky_relu(alpha = 0.1)`, `elu(1.0)`.

use crate::args::{self, Args};
use crate::parse::Value;
use crate::suggest::did_you_mean;
use proc_macro2::TokenStream;
use quote::quote;

/// An element-wise (or, for softmax, per-sample) activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Linear,
    Relu,
    LeakyRelu { alpha: f64 },
    Elu { alpha: f64 },
    Sigmoid,
    Tanh,
    Softmax,
    Softplus,
    Silu,
    HardSigmoid,
}

/// Every name `activation = ...` accepts.
pub const NAMES: &[&str] = &[
    "linear",
    "relu",
    "leaky_relu",
    "elu",
    "sigmoid",
    "tanh",
    "softmax",
    "softplus",
    "silu",
    "swish",
    "hard_sigmoid",
];

impl Activation {
    /// Reads `relu`, `"relu"` or a call such as `leaky_relu(alpha = 0.1)`.
    pub fn parse(value: &Value) -> syn::Result<Activation> {
        let (name, span, call) = match value {
            Value::Call(call) => (call.name.to_string(), call.name.span(), Some(call)),
            other => match args::name(other) {
                Some((name, span)) => (name, span, None),
                None => {
                    return Err(syn::Error::new(
                        other.span(),
                        format!(
                            "expected an activation such as `relu`, but found {}",
                            other.describe()
                        ),
                    ))
                }
            },
        };
        let alpha = |default: f64| -> syn::Result<f64> {
            let Some(call) = call else { return Ok(default) };
            let args = Args::new(call, &["alpha"])?;
            args.get("alpha")
                .map_or(Ok(default), |v| args::number(v, "`alpha`"))
        };
        let activation =
            match name.as_str() {
                "linear" | "None" => Activation::Linear,
                "relu" => Activation::Relu,
                // Keras' `LeakyReLU` layer defaults to 0.3.
                "leaky_relu" => Activation::LeakyRelu { alpha: alpha(0.3)? },
                "elu" => Activation::Elu { alpha: alpha(1.0)? },
                "sigmoid" => Activation::Sigmoid,
                "tanh" => Activation::Tanh,
                "softmax" => Activation::Softmax,
                "softplus" => Activation::Softplus,
                "silu" | "swish" => Activation::Silu,
                "hard_sigmoid" => Activation::HardSigmoid,
                // A learned activation is a layer of its own.
                "prelu" | "PReLU" => return Err(syn::Error::new(
                    span,
                    "`PReLU` learns one slope per feature, so it is a layer, not an activation: \
                    write the layer without an activation and `PReLU()` after it, e.g. \
                    `Dense(64), PReLU()`",
                )),
                _ => {
                    return Err(syn::Error::new(
                        span,
                        format!(
                            "unknown activation `{name}`{}; kiln knows {}",
                            did_you_mean(&name, NAMES.iter().copied()),
                            NAMES
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            };
        if call.is_some()
            && !matches!(
                activation,
                Activation::LeakyRelu { .. } | Activation::Elu { .. }
            )
        {
            return Err(syn::Error::new(
                span,
                format!("`{name}` takes no arguments: write `{name}`"),
            ));
        }
        Ok(activation)
    }

    pub fn is_linear(&self) -> bool {
        *self == Activation::Linear
    }

    /// The runtime value implementing it: `::kiln::__private::activation::Relu`.
    pub fn runtime(&self) -> TokenStream {
        match *self {
            Activation::Linear => quote!(::kiln::__private::activation::Linear),
            Activation::Relu => quote!(::kiln::__private::activation::Relu),
            Activation::LeakyRelu { alpha } => {
                quote!(::kiln::__private::activation::LeakyRelu { alpha: #alpha })
            }
            Activation::Elu { alpha } => {
                quote!(::kiln::__private::activation::Elu { alpha: #alpha })
            }
            Activation::Sigmoid => quote!(::kiln::__private::activation::Sigmoid),
            Activation::Tanh => quote!(::kiln::__private::activation::Tanh),
            Activation::Softmax => quote!(::kiln::__private::activation::Softmax),
            Activation::Softplus => quote!(::kiln::__private::activation::Softplus),
            Activation::Silu => quote!(::kiln::__private::activation::Silu),
            Activation::HardSigmoid => quote!(::kiln::__private::activation::HardSigmoid),
        }
    }

    /// What losses need to know about it when it produces the model's output.
    pub fn output_kind(&self) -> TokenStream {
        match self {
            Activation::Linear => quote!(::kiln::OutputActivation::Linear),
            Activation::Sigmoid => quote!(::kiln::OutputActivation::Sigmoid),
            Activation::Softmax => quote!(::kiln::OutputActivation::Softmax),
            _ => quote!(::kiln::OutputActivation::Other),
        }
    }
}
