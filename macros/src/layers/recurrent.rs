//! Recurrent layers, trained by back-propagation through time:
//!
//! - `LSTM(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true,
//!   return_sequences = false, name = "...")`: long short-term memory, gates in Keras' order
//!   `i, f, c, o`, `bias` with ones for the forget gate (runtime `layers/lstm.rs`);
//! - `SimpleRNN(units, activation = tanh, use_bias = true, return_sequences = false, name)`:
//!   `hₛ = activation(W·xₛ + R·hₛ₋₁ + b)` (runtime `layers/simple_rnn.rs`);
//! - `GRU(units, activation = tanh, recurrent_activation = sigmoid, use_bias = true,
//!   return_sequences = false, reset_after = true, name)`: gates in Keras' order `z, r, h`,
//!   `bias` `[2, 3·units]` (input and recurrent biases; runtime `layers/gru.rs`).
//!
//! Activations may be any element-wise function (not softmax). `[t, f] → [units]` (the last
//! hidden state) or, with `return_sequences = true`,
//! `[t, units]`. Parameters as Keras: `kernel` `[f, G·units]` (Glorot uniform),
//! `recurrent_kernel` `[units, G·units]` (orthogonal), `bias` `[G·units]`, with `G` gates.

use super::{Cx, LayerSpec, Scratch};
use crate::activation::Activation;
use crate::args::{self, Args};
use crate::ir::{Init, Param, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote;

/// The recurrent cell.
#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Lstm,
    SimpleRnn,
    Gru,
}

impl Cell {
    /// Keras' class name.
    fn kind(self) -> &'static str {
        match self {
            Cell::Lstm => "LSTM",
            Cell::SimpleRnn => "SimpleRNN",
            Cell::Gru => "GRU",
        }
    }

    /// Blocks of `units` columns in the kernels.
    fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::SimpleRnn => 1,
            Cell::Gru => 3,
        }
    }
}

pub struct Recurrent {
    cell: Cell,
    units: usize,
    /// Of the candidate / cell state (`tanh` by default).
    activation: Activation,
    /// Of the gates (`sigmoid` by default; unused by SimpleRNN).
    recurrent_activation: Activation,
    use_bias: bool,
    return_sequences: bool,
    name: Option<String>,
}

pub fn parse_lstm(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    parse(call, Cell::Lstm)
}

pub fn parse_simple_rnn(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    parse(call, Cell::SimpleRnn)
}

pub fn parse_gru(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    parse(call, Cell::Gru)
}

fn parse(call: &Call, cell: Cell) -> syn::Result<Box<dyn LayerSpec>> {
    let names: &[&'static str] = match cell {
        Cell::Lstm => &[
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "return_sequences",
            "name",
        ],
        Cell::SimpleRnn => &[
            "units",
            "activation",
            "use_bias",
            "return_sequences",
            "name",
        ],
        Cell::Gru => &[
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "return_sequences",
            "reset_after",
            "name",
        ],
    };
    let args = Args::new(call, names)?;
    let example = format!("{}(32)", cell.kind());
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
                        "`{arg} = softmax` mixes a recurrent layer's units; `{}` takes \
                        element-wise activations (tanh, sigmoid, relu, ...)",
                        cell.kind()
                    ),
                ));
            }
            *slot = activation;
        }
    }
    let [activation, recurrent_activation] = activations;
    if let Some(value) = args.get("reset_after") {
        if !args::boolean(value, "`reset_after`")? {
            return Err(syn::Error::new(
                value.span(),
                "kiln's `GRU` supports only `reset_after = true` (Keras' default, and PyTorch's \
                `nn.GRU`); remove the argument",
            ));
        }
    }
    let use_bias = args
        .get("use_bias")
        .map_or(Ok(true), |v| args::boolean(v, "`use_bias`"))?;
    let return_sequences = args
        .get("return_sequences")
        .map_or(Ok(false), |v| args::boolean(v, "`return_sequences`"))?;
    Ok(Box::new(Recurrent {
        cell,
        units,
        activation,
        recurrent_activation,
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

impl LayerSpec for Recurrent {
    fn kind(&self) -> &'static str {
        self.cell.kind()
    }

    fn default_name(&self) -> &'static str {
        match self.cell {
            Cell::Lstm => "lstm",
            Cell::SimpleRnn => "simple_rnn",
            Cell::Gru => "gru",
        }
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
            ref other => Err(needs_sequence(
                call,
                &format!("`{}`", self.cell.kind()),
                other,
            )),
        }
    }

    fn params(&self, input: &Shape, _output: &Shape) -> Vec<Param> {
        let (f, u, g) = (features(input), self.units, self.cell.gates());
        let mut params = vec![
            Param {
                name: "kernel",
                shape: vec![f, g * u],
                torch_names: &["weight_ih_l0"],
                torch_shape: vec![g * u, f],
                init: Init::GlorotUniform {
                    fan_in: f,
                    fan_out: g * u,
                },
                offset: 0,
            },
            Param {
                name: "recurrent_kernel",
                shape: vec![u, g * u],
                torch_names: &["weight_hh_l0"],
                torch_shape: vec![g * u, u],
                init: Init::Orthogonal {
                    rows: u,
                    cols: g * u,
                },
                offset: 0,
            },
        ];
        if self.use_bias && self.cell == Cell::Gru {
            // Keras' `[2, 3·units]`: the input bias, then the recurrent bias, PyTorch's two.
            params.push(Param {
                name: "bias",
                shape: vec![2, g * u],
                torch_names: &["bias_ih_l0", "bias_hh_l0"],
                torch_shape: vec![g * u],
                init: Init::Zeros,
                offset: 0,
            });
        } else if self.use_bias {
            // One Keras bias, the sum of PyTorch's two.
            params.push(Param {
                name: "bias",
                shape: vec![g * u],
                torch_names: &["bias_ih_l0", "bias_hh_l0"],
                torch_shape: vec![g * u],
                init: match self.cell {
                    Cell::Lstm => Init::UnitForgetBias { units: u },
                    Cell::SimpleRnn | Cell::Gru => Init::Zeros,
                },
                offset: 0,
            });
        }
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let (t, u, g) = (steps(input), self.units, self.cell.gates());
        // SimpleRNN: `gates` holds the pre-activations, then ∂L/∂z in backward; `carry` ∂L/∂h.
        let mut buffers = vec![
            Scratch::Buffer {
                name: "gates",
                per_sample: g * u * t,
            },
            Scratch::Buffer {
                name: "h",
                per_sample: u * t,
            },
            Scratch::Buffer {
                name: "carry",
                per_sample: 2 * u,
            },
        ];
        match self.cell {
            Cell::Lstm => {
                buffers.push(Scratch::Buffer {
                    name: "c",
                    per_sample: u * t,
                });
                buffers.push(Scratch::Buffer {
                    name: "pre",
                    per_sample: g * u * t,
                });
            }
            Cell::SimpleRnn => {}
            Cell::Gru => {
                buffers.push(Scratch::Buffer {
                    name: "qh",
                    per_sample: u * t,
                });
                buffers.push(Scratch::Buffer {
                    name: "delta",
                    per_sample: g * u * t,
                });
            }
        }
        buffers
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.sizes(cx);
        let (w, r, b) = self.weights(cx);
        let (act, gate) = self.activations();
        let (x, y) = (cx.input(), cx.output_mut());
        let (gates, h) = (cx.scratch("gates"), cx.scratch("h"));
        let seq = self.return_sequences;
        match self.cell {
            Cell::Lstm => {
                let (c, pre) = (cx.scratch("c"), cx.scratch("pre"));
                quote! {
                    ::kiln::__private::lstm::forward::<T, _, _, #s, #f, #u>(
                        &#act, &#gate, #w, #r, #b, #x, &mut #gates[..],
                        ::core::option::Option::Some(&mut #pre[..]), &mut #c[..], &mut #h[..], #y,
                        #seq, n,
                    );
                }
            }
            Cell::SimpleRnn => quote! {
                ::kiln::__private::simple_rnn::forward::<T, _, #s, #f, #u>(
                    &#act, #w, #r, #b, #x, &mut #gates[..], &mut #h[..], #y, #seq, n,
                );
            },
            Cell::Gru => {
                let (qh, delta) = (cx.scratch("qh"), cx.scratch("delta"));
                quote! {
                    ::kiln::__private::gru::forward::<T, _, _, #s, #f, #u>(
                        &#act, &#gate, #w, #r, #b, #x, &mut #gates[..], &mut #delta[..],
                        &mut #qh[..], &mut #h[..], #y, #seq, n,
                    );
                }
            }
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
        let (gates, h, carry) = (cx.scratch("gates"), cx.scratch("h"), cx.scratch("carry"));
        let seq = self.return_sequences;
        let (act, gate) = self.activations();
        let call = match self.cell {
            Cell::Lstm => {
                let (c, pre) = (cx.scratch("c"), cx.scratch("pre"));
                quote! {
                    ::kiln::__private::lstm::backward::<T, _, _, #s, #f, #u>(
                        &#act, &#gate, #w, #r, #x, &mut #gates[..], &#pre[..], &#c[..], &#h[..],
                        #g, &mut #carry[..], #seq, grad_kernel, grad_recurrent_kernel,
                        #grad_bias, #grad_in, n,
                    );
                }
            }
            Cell::SimpleRnn => quote! {
                ::kiln::__private::simple_rnn::backward::<T, _, #s, #f, #u>(
                    &#act, #w, #r, #x, &#h[..], &mut #gates[..], #g, &mut #carry[..], #seq,
                    grad_kernel, grad_recurrent_kernel, #grad_bias, #grad_in, n,
                );
            },
            Cell::Gru => {
                let (qh, delta) = (cx.scratch("qh"), cx.scratch("delta"));
                quote! {
                    ::kiln::__private::gru::backward::<T, _, _, #s, #f, #u>(
                        &#act, &#gate, #w, #r, #x, &mut #gates[..], &#qh[..], &#h[..],
                        &mut #delta[..], #g,
                        &mut #carry[..], #seq, grad_kernel, grad_recurrent_kernel, #grad_bias,
                        #grad_in, n,
                    );
                }
            }
        };
        quote! {
            #grads
            #call
        }
    }

    fn state(&self) -> Vec<(&'static str, usize)> {
        match self.cell {
            Cell::Lstm => vec![("h", self.units), ("c", self.units)],
            Cell::SimpleRnn | Cell::Gru => vec![("h", self.units)],
        }
    }

    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.step_code(cx))
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (s, f, u) = self.sizes(cx);
        let (w, r, b) = self.weights(cx);
        let (x, y) = (cx.predict_in(), cx.predict_out());
        let buf = cx.predict_buffer();
        let out = cx.layer.output.size();
        let (gates, states) = (self.cell.gates() * u * s, u * s);
        let seq = self.return_sequences;
        let (act, gate) = self.activations();
        let call = match self.cell {
            Cell::Lstm => quote! {
                let mut gates = [T::default(); #gates];
                let mut c = [T::default(); #states];
                ::kiln::__private::lstm::forward::<T, _, _, #s, #f, #u>(
                    &#act, &#gate, #w, #r, #b, &#x[..], &mut gates, ::core::option::Option::None,
                    &mut c, &mut h, &mut #buf, #seq, 1,
                );
            },
            Cell::SimpleRnn => quote! {
                let mut pre = [T::default(); #states];
                ::kiln::__private::simple_rnn::forward::<T, _, #s, #f, #u>(
                    &#act, #w, #r, #b, &#x[..], &mut pre, &mut h, &mut #buf, #seq, 1,
                );
            },
            Cell::Gru => quote! {
                let mut gates = [T::default(); #gates];
                let mut pre = [T::default(); #gates];
                let mut qh = [T::default(); #states];
                ::kiln::__private::gru::forward::<T, _, _, #s, #f, #u>(
                    &#act, &#gate, #w, #r, #b, &#x[..], &mut gates, &mut pre, &mut qh, &mut h,
                    &mut #buf, #seq, 1,
                );
            },
        };
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

impl Recurrent {
    /// Streaming inference: `h` (and LSTM's `c`) stay in the model's `State`; the output of a
    /// step is `hₛ`, with or without `return_sequences`.
    fn step_code(&self, cx: &Cx) -> TokenStream {
        let (_, f, u) = self.sizes(cx);
        let (w, r, b) = self.weights(cx);
        let (x, y) = (cx.predict_in(), cx.predict_out());
        let buf = cx.predict_buffer();
        let h = cx.state("h");
        let (act, gate) = self.activations();
        let call = match self.cell {
            Cell::Lstm => {
                let (c, gates) = (cx.state("c"), 4 * u);
                quote! {
                    let mut gates = [T::default(); #gates];
                    ::kiln::__private::lstm::step::<T, _, _, #f, #u>(
                        &#act, &#gate, #w, #r, #b, &#x[..], &mut #h[..], &mut #c[..], &mut gates,
                    );
                }
            }
            Cell::SimpleRnn => quote! {
                let mut z = [T::default(); #u];
                ::kiln::__private::simple_rnn::step::<T, _, #f, #u>(
                    &#act, #w, #r, #b, &#x[..], &mut #h[..], &mut z,
                );
            },
            Cell::Gru => {
                let gates = 7 * u;
                quote! {
                    let mut gates = [T::default(); #gates];
                    ::kiln::__private::gru::step::<T, _, _, #f, #u>(
                        &#act, &#gate, #w, #r, #b, &#x[..], &mut #h[..], &mut gates,
                    );
                }
            }
        };
        quote! {
            {
                #call
            }
            let #buf: [T; #u] = #h;
            let #y = &#buf;
        }
    }

    /// The runtime values of `activation` and `recurrent_activation`.
    fn activations(&self) -> (TokenStream, TokenStream) {
        (
            self.activation.runtime(),
            self.recurrent_activation.runtime(),
        )
    }

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
