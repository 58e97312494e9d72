//! `LSTM(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true,
//! return_sequences = false, name = "...")`: a long short-term memory layer, trained by
//! back-propagation through time.
//!
//! `[t, f] → [units]` (the last hidden state) or, with `return_sequences = true`,
//! `[t, units]`. Parameters as Keras: `kernel` `[f, 4·units]` (Glorot uniform),
//! `recurrent_kernel` `[units, 4·units]` (orthogonal), `bias` `[4·units]` (ones for the forget
//! gate), gates in Keras' order `i, f, c, o`. The kernels live in the runtime's `layers/lstm.rs`.

use super::{Cx, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::ir::{Init, Param, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote;

pub struct Lstm {
    units: usize,
    use_bias: bool,
    return_sequences: bool,
    name: Option<String>,
}

pub fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(
        call,
        &[
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "return_sequences",
            "name",
        ],
    )?;
    let units = args::positive_int(args.required("units", "LSTM(32)")?, "the number of units")?;
    for (arg, expected) in [
        ("activation", Activation::Tanh),
        ("recurrent_activation", Activation::Sigmoid),
    ] {
        if let Some(value) = args.get(arg) {
            if Activation::parse(value)? != expected {
                let name = if expected == Activation::Tanh {
                    "tanh"
                } else {
                    "sigmoid"
                };
                return Err(syn::Error::new(
                    value.span(),
                    format!("kiln's `LSTM` supports only `{arg} = {name}` (Keras' default); remove the argument"),
                ));
            }
        }
    }
    let use_bias = args
        .get("use_bias")
        .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
    let return_sequences = args
        .get("return_sequences")
        .map_or(Ok(false), |v| args::boolean(v, "`return_sequences`"))?;
    Ok(Box::new(Lstm {
        units,
        use_bias,
        return_sequences,
        name: args.layer_name(),
    }))
}

/// The error for a recurrent layer (`what`) placed after a layer without a sequence output.
pub fn needs_sequence(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Vector(_) => {
            "declare a sequence input `Input(timesteps, features)`, e.g. `Input(10, 1)` for 10 steps \
            of one feature; after another recurrent layer, give that one `return_sequences = true`"
        }
        Shape::Image { .. } => {
            "a recurrent layer steps through time: declare a sequence input \
            `Input(timesteps, features)`, e.g. `Input(10, 1)`"
        }
        Shape::Sequence { .. } => unreachable!("a sequence is a sequence input"),
    };
    call.error(format!(
        "{what} needs a sequence input [timesteps, features], but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}

impl LayerSpec for Lstm {
    fn kind(&self) -> &'static str {
        "LSTM"
    }

    fn default_name(&self) -> &'static str {
        "lstm"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        match *input {
            Shape::Sequence { t, .. } if self.return_sequences => {
                Ok(Shape::Sequence { t, f: self.units })
            }
            Shape::Sequence { .. } => Ok(Shape::Vector(self.units)),
            ref other => Err(needs_sequence(call, "`LSTM`", other)),
        }
    }

    fn params(&self, input: &Shape, _output: &Shape) -> Vec<Param> {
        let (f, u) = (features(input), self.units);
        let mut params = vec![
            Param {
                name: "kernel",
                shape: vec![f, 4 * u],
                torch_name: "weight_ih_l0",
                torch_shape: vec![4 * u, f],
                init: Init::GlorotUniform {
                    fan_in: f,
                    fan_out: 4 * u,
                },
                offset: 0,
            },
            Param {
                name: "recurrent_kernel",
                shape: vec![u, 4 * u],
                torch_name: "weight_hh_l0",
                torch_shape: vec![4 * u, u],
                init: Init::Orthogonal {
                    rows: u,
                    cols: 4 * u,
                },
                offset: 0,
            },
        ];
        if self.use_bias {
            params.push(Param {
                name: "bias",
                shape: vec![4 * u],
                torch_name: "bias_ih_l0",
                torch_shape: vec![4 * u],
                init: Init::UnitForgetBias { units: u },
                offset: 0,
            });
        }
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let (t, u) = (steps(input), self.units);
        vec![
            Scratch::Buffer {
                name: "gates",
                per_sample: 4 * u * t,
            },
            Scratch::Buffer {
                name: "c",
                per_sample: u * t,
            },
            Scratch::Buffer {
                name: "h",
                per_sample: u * t,
            },
            Scratch::Buffer {
                name: "carry",
                per_sample: 2 * u,
            },
        ]
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.sizes(cx);
        let (w, r, b) = self.weights(cx);
        let (x, y) = (cx.input(), cx.output_mut());
        let (gates, c, h) = (cx.scratch("gates"), cx.scratch("c"), cx.scratch("h"));
        let seq = self.return_sequences;
        quote! {
            ::kiln::__private::lstm::forward::<T, #s, #f, #u>(
                #w, #r, #b, #x, &mut #gates[..], &mut #c[..], &mut #h[..], #y, #seq, n,
            );
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.sizes(cx);
        let (w, r, _) = self.weights(cx);
        let x = cx.input();
        let g = cx.grad_out();
        let grads = cx.bind_param_grads();
        let grad_bias = if self.use_bias {
            quote!(::core::option::Option::Some(grad_bias))
        } else {
            quote!(::core::option::Option::None)
        };
        let grad_in = cx.grad_in();
        let (gates, c, h, carry) = (
            cx.scratch("gates"),
            cx.scratch("c"),
            cx.scratch("h"),
            cx.scratch("carry"),
        );
        let seq = self.return_sequences;
        quote! {
            #grads
            ::kiln::__private::lstm::backward::<T, #s, #f, #u>(
                #w, #r, #x, &mut #gates[..], &#c[..], &#h[..], #g, &mut #carry[..], #seq,
                grad_kernel, grad_recurrent_kernel, #grad_bias, #grad_in, n,
            );
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.sizes(cx);
        let (w, r, b) = self.weights(cx);
        let (x, y) = (cx.predict_in(), cx.predict_out());
        let buf = cx.predict_buffer();
        let out = cx.layer.output.size();
        let (gates, states) = (4 * u * s, u * s);
        let seq = self.return_sequences;
        quote! {
            let mut #buf = [T::default(); #out];
            {
                let mut gates = [T::default(); #gates];
                let mut c = [T::default(); #states];
                let mut h = [T::default(); #states];
                ::kiln::__private::lstm::forward::<T, #s, #f, #u>(
                    #w, #r, #b, &#x[..], &mut gates, &mut c, &mut h, &mut #buf, #seq, 1,
                );
            }
            let #y = &#buf;
        }
    }
}

impl Lstm {
    /// Steps, features and units.
    fn sizes(&self, cx: &Cx) -> (usize, usize, usize) {
        (
            steps(&cx.layer.input),
            features(&cx.layer.input),
            self.units,
        )
    }

    fn weights(&self, cx: &Cx) -> (TokenStream, TokenStream, TokenStream) {
        let bias = if self.use_bias {
            let b = cx.param_slice("bias");
            quote!(::core::option::Option::Some(#b))
        } else {
            quote!(::core::option::Option::None)
        };
        (
            cx.param_slice("kernel"),
            cx.param_slice("recurrent_kernel"),
            bias,
        )
    }
}

fn steps(input: &Shape) -> usize {
    match *input {
        Shape::Sequence { t, .. } => t,
        _ => unreachable!("the shape rule admits only sequences"),
    }
}

fn features(input: &Shape) -> usize {
    match *input {
        Shape::Sequence { f, .. } => f,
        _ => unreachable!("the shape rule admits only sequences"),
    }
}
