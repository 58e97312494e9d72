//! `Residual { layers... }` and `Residual(shortcut = Layer(...)) { layers... }`: a residual
//! block, `y = F(x) + x`, or `y = F(x) + S(x)` with a projection shortcut `S` for a block that
//! changes the shape (`shortcut = Conv2D(64, 1, strides = 2)`), where `F` is the block's layers.
//! Any layers may be inside, blocks too. The shapes of `F(x)` and `x` (or `S(x)`) must agree,
//! checked at compile time.
//!
//! In the model's chain the block is its opening layer (`residual`: the block's input, copied
//! once), the block's layers, the shortcut (reading the block's input), and an `Add` (`add`)
//! joining the branches. Backward: `∂L/∂F(x) = ∂L/∂y`, and the gradient reaching the block's
//! input is `∂F/∂x·∂L/∂y + ∂L/∂y` (through `S` with a shortcut), summed in the opening layer.
//! Its PyTorch twin is a module holding the block's layers as an `nn.Sequential` (`2.0.weight`)
//! and the shortcut as `shortcut` (`2.shortcut.weight`), whose forward returns
//! `body(x) + shortcut(x)`.

use super::{resolve, Closing, Cx, Kind, LayerSpec, Scratch};
use crate::args::Args;
use crate::names;
use crate::parse::{Call, Value};
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "Residual",
    arguments: &["shortcut", "name"],
    parse,
};

/// The block's opening layer.
pub struct Residual {
    /// The projection shortcut's call.
    shortcut: Option<Call>,
    name: Option<String>,
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let shortcut = match args.get("shortcut") {
        Some(Value::Call(layer)) => {
            resolve(layer)?;
            Some(layer.clone())
        }
        Some(other) => {
            return Err(syn::Error::new(
                other.span(),
                format!(
                    "`shortcut` is the layer applied to the block's input, e.g. `shortcut = Conv2D(64, 1, strides = 2)`, but is {}",
                    other.describe()
                ),
            ))
        }
        None => None,
    };
    if call.body.is_none() {
        return Err(call.error(
            "`Residual` wraps a block of layers in braces: `Residual { Dense(64, activation = relu), Dense(64) }`",
        ));
    }
    Ok(Box::new(Residual {
        shortcut,
        name: args.layer_name(),
    }))
}

impl LayerSpec for Residual {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "residual"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(input.clone())
    }

    fn takes_block(&self) -> bool {
        true
    }

    /// The gradient arriving at the block's input through the shortcut.
    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        vec![Scratch::Buffer {
            name: "skip",
            per_sample: input.size(),
        }]
    }

    fn close_block(
        &self,
        call: &Call,
        open: usize,
        block_input: &Shape,
        branch_output: &Shape,
    ) -> Option<Vec<Closing>> {
        let mut closing = Vec::new();
        if let Some(call) = &self.shortcut {
            let spec = resolve(call).expect("resolved when parsed");
            closing.push(Closing {
                spec,
                shortcut: true,
                call: call.clone(),
            });
        }
        let add = Add {
            open,
            projected: self.shortcut.is_some(),
            block_input: block_input.clone(),
            branch_output: branch_output.clone(),
        };
        closing.push(Closing {
            spec: Box::new(add),
            shortcut: false,
            call: call.clone(),
        });
        Some(closing)
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (x, y, size) = (cx.input(), cx.output_mut(), cx.input_size());
        quote!((#y)[..#size * n].copy_from_slice(&(#x)[..#size * n]);)
    }

    /// `∂L/∂x` = the gradient through the block's layers plus the shortcut's.
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (g, grad_in, size, skip) = (
            cx.grad_out(),
            cx.grad_in(),
            cx.input_size(),
            cx.scratch("skip"),
        );
        quote! {
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                for ((d, a), b) in grad_in[..#size * n].iter_mut().zip(&(#g)[..#size * n]).zip(&#skip[..#size * n]) {
                    *d = *a + *b;
                }
            }
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (x, y) = (cx.predict_in(), cx.predict_out());
        quote!(let #y = #x;)
    }

    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.predict(cx))
    }
}

/// Joins a residual block's branches: `y = F(x) + x`, or `F(x) + S(x)` after a shortcut (which
/// is then this layer's input, `F(x)` the one before it).
struct Add {
    /// The index of the block's opening layer, whose output is the block's input.
    open: usize,
    projected: bool,
    block_input: Shape,
    branch_output: Shape,
}

impl Add {
    /// The activation index of the other addend: the block's input, or `F(x)` before a
    /// shortcut.
    fn other(&self, cx: &Cx) -> usize {
        if self.projected {
            cx.index - 1
        } else {
            self.open + 1
        }
    }
}

impl LayerSpec for Add {
    fn kind(&self) -> &'static str {
        "Add"
    }

    fn default_name(&self) -> &'static str {
        "add"
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        let (branch, block) = (&self.branch_output, &self.block_input);
        if self.projected && input != branch {
            return Err(call.error(format!(
                "the shortcut of this `Residual` block turns its input, {} {}, into {} {}, but the block's layers give {} {}; the two are added, so they must agree: change the shortcut's size or strides",
                block.describe(), block.keras(), input.describe(), input.keras(), branch.describe(), branch.keras()
            )));
        }
        if !self.projected && branch != block {
            let shortcut = match branch {
                Shape::Image { c, .. } => format!("Conv2D({c}, 1, strides = ...)"),
                other => format!("Dense({})", other.last_axis()),
            };
            return Err(call.error(format!(
                "the layers of this `Residual` block turn its input, {} {}, into {} {}, which cannot be added to the input; end the block with the input's shape, or give the block a shortcut that maps the input to the same shape: `Residual(shortcut = {shortcut}) {{ ... }}`",
                block.describe(), block.keras(), branch.describe(), branch.keras()
            )));
        }
        Ok(input.clone())
    }

    fn torch_modules(&self) -> usize {
        0
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (x, y, size) = (cx.input(), cx.output_mut(), cx.input_size());
        let other = names::activation(self.other(cx));
        quote! {
            for ((y, a), b) in (#y)[..#size * n].iter_mut().zip(&(#x)[..#size * n]).zip(&ws.#other[..#size * n]) {
                *y = *a + *b;
            }
        }
    }

    /// Both addends receive `∂L/∂y`.
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (g, grad_in, size) = (cx.grad_out(), cx.grad_in(), cx.input_size());
        let other_grad = if self.projected {
            names::gradient(cx.index - 1)
        } else {
            names::scratch(self.open, "skip")
        };
        quote! {
            let g = #g;
            ws.#other_grad[..#size * n].copy_from_slice(&g[..#size * n]);
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                grad_in[..#size * n].copy_from_slice(&g[..#size * n]);
            }
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (x, y, buf) = (cx.predict_in(), cx.predict_out(), cx.predict_buffer());
        let other = names::value(self.other(cx));
        quote! {
            let mut #buf = *#x;
            for (a, b) in #buf.iter_mut().zip(#other.iter()) {
                *a += *b;
            }
            let #y = &#buf;
        }
    }

    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.predict(cx))
    }
}
