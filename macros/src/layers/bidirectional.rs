//! `Bidirectional(layer, merge_mode = concat, name = "...")` with `layer` one of `LSTM(...)`,
//! `GRU(...)`, `SimpleRNN(...)`: the cell run over the sequence and, with weights of its own,
//! over the reversed sequence, like Keras (PyTorch's `bidirectional=True`).
//!
//! `[t, f] → [2·units]` (`[h→ after x₀…x_{t−1}, h← after x_{t−1}…x₀]`) or, with the cell's
//! `return_sequences = true`, `[t, 2·units]` where step `s` is `[h→ₛ, h←ₛ]`, the backward state
//! after `x_{t−1} … xₛ` (Keras reverses the backward sequence back to input order). Backward:
//! `∂L/∂y` split between the directions, each cell's own backward pass, and
//! `∂L/∂x = ∂L/∂x→ + reverse(∂L/∂x←)`.
//!
//! The parameters are Keras' `forward.kernel`, ... then `backward.kernel`, ... (Keras'
//! `forward_lstm/kernel`), PyTorch's `weight_ih_l0`, ... and `weight_ih_l0_reverse`, .... Each
//! direction's code is the cell's own, generated as for a first layer (index 0) inside a block
//! where a local struct with the workspace's field names stands in for `ws`, over this layer's
//! per-direction buffers. A bidirectional layer cannot stream: its backward direction needs
//! the whole sequence first.

use super::{Cx, Kind, LayerSpec, Scratch, Wiring, REGISTRY};
use crate::args::{self, Args};
use crate::param::Param;
use crate::parse::{Call, Value};
use crate::shape::{needs_sequence, Shape, TorchOrder};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub const KIND: Kind = Kind {
    name: "Bidirectional",
    arguments: &["layer", "merge_mode", "name"],
    parse,
};

/// The cells a `Bidirectional` wraps.
const CELLS: [&str; 3] = ["LSTM", "GRU", "SimpleRNN"];

pub struct Bidirectional {
    cell: Box<dyn LayerSpec>,
    name: Option<String>,
}

#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

impl Direction {
    fn prefix(self) -> &'static str {
        match self {
            Direction::Forward => "fwd",
            Direction::Backward => "bwd",
        }
    }
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let layer = args.required("layer", "Bidirectional(LSTM(32))")?;
    let cell = match layer {
        Value::Call(inner) if CELLS.iter().any(|c| inner.name == c) => {
            let kind = REGISTRY
                .iter()
                .find(|k| inner.name == k.name)
                .expect("the cells are registered");
            (kind.parse)(inner)?
        }
        other => {
            return Err(syn::Error::new(
                other.span(),
                format!(
                    "`Bidirectional` wraps a recurrent layer, `LSTM(...)`, `GRU(...)` or `SimpleRNN(...)`, but is given {}",
                    other.describe()
                ),
            ))
        }
    };
    if let Some(mode) = args.get("merge_mode") {
        match args::name(mode) {
            Some((name, _)) if name == "concat" => {}
            _ => {
                return Err(syn::Error::new(
                    mode.span(),
                    format!(
                        "`Bidirectional` merges its directions with `merge_mode = concat` only (the Keras default, PyTorch's `bidirectional=True`), but is given {}",
                        mode.describe()
                    ),
                ))
            }
        }
    }
    Ok(Box::new(Bidirectional {
        cell,
        name: args.layer_name(),
    }))
}

/// `forward.kernel`, `backward.bias`, ...: one direction's name of a cell parameter.
fn direction_name(direction: Direction, name: &str) -> &'static str {
    match (direction, name) {
        (Direction::Forward, "kernel") => "forward.kernel",
        (Direction::Forward, "recurrent_kernel") => "forward.recurrent_kernel",
        (Direction::Forward, "bias") => "forward.bias",
        (Direction::Backward, "kernel") => "backward.kernel",
        (Direction::Backward, "recurrent_kernel") => "backward.recurrent_kernel",
        (Direction::Backward, "bias") => "backward.bias",
        _ => unreachable!("a cell has a kernel, a recurrent kernel and a bias"),
    }
}

/// PyTorch's name of the backward direction's tensor: `weight_ih_l0_reverse`, ...
fn reverse_torch_name(name: &str) -> &'static str {
    match name {
        "weight_ih_l0" => "weight_ih_l0_reverse",
        "weight_hh_l0" => "weight_hh_l0_reverse",
        "bias_ih_l0" => "bias_ih_l0_reverse",
        "bias_hh_l0" => "bias_hh_l0_reverse",
        _ => unreachable!("a cell's PyTorch tensors are weight_ih_l0, ..., bias_hh_l0"),
    }
}

impl Bidirectional {
    /// `(t, f, out_steps, units)`: the input's steps and features, the output's steps (1 for a
    /// last state) and the cell's units.
    fn sizes(&self, cx: &Cx) -> (usize, usize, usize, usize) {
        let Shape::Sequence { t, f } = *cx.input_shape else {
            unreachable!("the shape rule accepted a sequence")
        };
        match *cx.output_shape {
            Shape::Sequence { f: width, .. } => (t, f, t, width / 2),
            ref vector => (t, f, 1, vector.size() / 2),
        }
    }

    /// The cell's output shape (half this layer's).
    fn cell_output(&self, cx: &Cx) -> Shape {
        match *cx.output_shape {
            Shape::Sequence { t, f } => Shape::Sequence { t, f: f / 2 },
            ref vector => Shape::Vector(vector.size() / 2),
        }
    }

    /// One direction's parameters under the cell's own names (the layer's offsets kept).
    fn cell_params(&self, cx: &Cx, direction: Direction) -> Vec<Param> {
        let half = cx.params.len() / 2;
        let params = match direction {
            Direction::Forward => &cx.params[..half],
            Direction::Backward => &cx.params[half..],
        };
        params
            .iter()
            .map(|p| Param {
                name: p.name.rsplit('.').next().expect("a direction's name"),
                ..p.clone()
            })
            .collect()
    }

    /// The names of the cell's workspace buffers, all plain buffers.
    fn cell_scratch(&self, input: &Shape, output: &Shape) -> Vec<(&'static str, usize)> {
        self.cell
            .scratch(input, output)
            .into_iter()
            .map(|s| match s {
                Scratch::Buffer { name, per_sample } => (name, per_sample),
                _ => unreachable!("a recurrent cell keeps plain buffers"),
            })
            .collect()
    }

    /// `ws.lI_<dir>_<name>`.
    fn buffer(cx: &Cx, direction: Direction, name: &str) -> TokenStream {
        cx.scratch(&format!("{}_{name}", direction.prefix()))
    }

    /// The cell's code `body`, generated for a layer at index 0, run over this direction's
    /// buffers: `x` is `input`, and a local `ws` has the workspace's field names (`a1`, `g1`,
    /// `g0`, `grads`, `l0_*`) pointing at this layer's `<dir>_*` buffers.
    fn in_view(
        &self,
        cx: &Cx,
        direction: Direction,
        input: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let cell_out = self.cell_output(cx);
        let names: Vec<&str> = self
            .cell_scratch(cx.input_shape, &cell_out)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let fields: Vec<Ident> = names.iter().map(|n| format_ident!("l0_{}", n)).collect();
        let buffers: Vec<TokenStream> = names
            .iter()
            .map(|n| Self::buffer(cx, direction, n))
            .collect();
        let [y, gy, gx] = ["y", "gy", "gx"].map(|n| Self::buffer(cx, direction, n));
        quote! {{
            #[allow(dead_code)]
            struct View<'a, T> { a1: &'a mut [T], g1: &'a mut [T], g0: &'a mut [T], grads: &'a mut [T], #(#fields: &'a mut [T],)* }
            let x: &[T] = #input;
            let ws = &mut View {
                a1: &mut #y[..], g1: &mut #gy[..], g0: &mut #gx[..], grads: &mut ws.grads[..],
                #(#fields: &mut #buffers[..],)*
            };
            let input_grad = true;
            let _ = input_grad;
            #body
        }}
    }

    /// The cell's [`Cx`] for one direction, as a first layer.
    fn cell_cx<'a>(&self, cx: &Cx<'a>, output: &'a Shape, params: &'a [Param]) -> Cx<'a> {
        Cx {
            index: 0,
            input_shape: cx.input_shape,
            output_shape: output,
            params,
            wiring: Wiring::Chain,
            is_last: false,
            step: false,
        }
    }
}

impl LayerSpec for Bidirectional {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "bidirectional"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        if !matches!(input, Shape::Sequence { .. }) {
            return Err(needs_sequence(call, "`Bidirectional`", input));
        }
        Ok(match self.cell.output_shape(input, call)? {
            Shape::Sequence { t, f } => Shape::Sequence { t, f: 2 * f },
            other => Shape::Vector(2 * other.size()),
        })
    }

    /// The cell's parameters twice: `forward.*`, then `backward.*` (PyTorch `*_reverse`).
    fn params(&self, input: &Shape, output: &Shape, torch_input: TorchOrder) -> Vec<Param> {
        let cell = self.cell.params(input, output, torch_input);
        let forward = cell.iter().map(|p| Param {
            name: direction_name(Direction::Forward, p.name),
            ..p.clone()
        });
        let backward = cell.iter().map(|p| {
            let mut p = p.clone();
            p.name = direction_name(Direction::Backward, p.name);
            for t in &mut p.torch {
                t.name = reverse_torch_name(t.name);
            }
            p
        });
        forward.chain(backward).collect()
    }

    /// Per direction: the cell's buffers, its output `y` and gradient `gy`, its input gradient
    /// `gx`; and `xr`, the reversed input.
    fn scratch(&self, input: &Shape, output: &Shape) -> Vec<Scratch> {
        let half = match *output {
            Shape::Sequence { t, f } => Shape::Sequence { t, f: f / 2 },
            ref vector => Shape::Vector(vector.size() / 2),
        };
        let mut scratch = vec![Scratch::Buffer {
            name: "xr",
            per_sample: input.size(),
        }];
        for direction in [Direction::Forward, Direction::Backward] {
            let own = [
                ("y", half.size()),
                ("gy", half.size()),
                ("gx", input.size()),
            ];
            for (name, per_sample) in own.into_iter().chain(self.cell_scratch(input, &half)) {
                // A name per direction, for the workspace's field (compile time only).
                let name: &'static str =
                    Box::leak(format!("{}_{name}", direction.prefix()).into_boxed_str());
                scratch.push(Scratch::Buffer { name, per_sample });
            }
        }
        scratch
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (t, f, steps, u) = self.sizes(cx);
        let cell_out = self.cell_output(cx);
        let (input, xr, y) = (cx.input(), cx.scratch("xr"), cx.output_mut());
        let mut out = quote! {
            {
                let input: &[T] = #input;
                ::kiln::__private::bidirectional::reverse_steps::<T>(input, &mut #xr[..], #t, #f, n);
            }
        };
        for (direction, x) in [
            (Direction::Forward, input.clone()),
            (Direction::Backward, quote!(&#xr[..])),
        ] {
            let params = self.cell_params(cx, direction);
            let body = self.cell.forward(&self.cell_cx(cx, &cell_out, &params));
            out.extend(self.in_view(cx, direction, x, body));
        }
        let [fy, by] = [Direction::Forward, Direction::Backward].map(|d| Self::buffer(cx, d, "y"));
        out.extend(quote! {
            ::kiln::__private::bidirectional::concat::<T>(&#fy[..], &#by[..], #y, #steps, #u, n);
        });
        out
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (t, f, steps, u) = self.sizes(cx);
        let cell_out = self.cell_output(cx);
        let (input, xr, g, grad_in) = (cx.input(), cx.scratch("xr"), cx.grad_out(), cx.grad_in());
        let [fgy, bgy] =
            [Direction::Forward, Direction::Backward].map(|d| Self::buffer(cx, d, "gy"));
        let [fgx, bgx] =
            [Direction::Forward, Direction::Backward].map(|d| Self::buffer(cx, d, "gx"));
        let mut out = quote! {
            ::kiln::__private::bidirectional::split::<T>(#g, &mut #fgy[..], &mut #bgy[..], #steps, #u, n);
        };
        for (direction, x) in [
            (Direction::Forward, input.clone()),
            (Direction::Backward, quote!(&#xr[..])),
        ] {
            let params = self.cell_params(cx, direction);
            let body = self.cell.backward(&self.cell_cx(cx, &cell_out, &params));
            out.extend(self.in_view(cx, direction, x, body));
        }
        out.extend(quote! {
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                ::kiln::__private::bidirectional::add_reversed::<T>(&#fgx[..], &#bgx[..], grad_in, #t, #f, n);
            }
        });
        out
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (t, f, steps, u) = self.sizes(cx);
        let cell_out = self.cell_output(cx);
        let (x, y, buf) = (cx.predict_in(), cx.predict_out(), cx.predict_buffer());
        let (i, half, o) = (t * f, cell_out.size(), cx.output_shape.size());
        let mut halves = Vec::new();
        for (direction, input) in [
            (Direction::Forward, quote!(input)),
            (Direction::Backward, quote!(&reversed)),
        ] {
            let params = self.cell_params(cx, direction);
            let body = self.cell.predict(&self.cell_cx(cx, &cell_out, &params));
            halves.push(quote! {{
                let h0: &[T; #i] = #input;
                #body
                *h1
            }});
        }
        let [forward, backward] = [&halves[0], &halves[1]];
        quote! {
            let mut #buf = [T::default(); #o];
            {
                let input: &[T; #i] = #x;
                let mut reversed = [T::default(); #i];
                ::kiln::__private::bidirectional::reverse_steps::<T>(&input[..], &mut reversed, #t, #f, 1);
                let forward: [T; #half] = #forward;
                let backward: [T; #half] = #backward;
                ::kiln::__private::bidirectional::concat::<T>(&forward, &backward, &mut #buf, #steps, #u, 1);
            }
            let #y = &#buf;
        }
    }
}
