//! `Embedding(input_dim, output_dim, name = "...")`: token indices to learned vectors, like
//! Keras, as a model's first layer over `Input(timesteps)`.
//!
//! `[t] → [t, output_dim]`, `y[s] = E[x[s]]` with `E` Keras' `embeddings`
//! `[input_dim, output_dim]` (PyTorch's `Embedding.weight`, the same layout). Backward:
//! `∂L/∂E[i] = Σ_{s : x[s] = i} ∂L/∂y[s]` (repeated tokens accumulate); tokens get no gradient.
//! The model's `predict_tokens` takes `&[u32; t]` and returns the runtime's `TokenOutOfRange`
//! for a token `≥ input_dim`. The kernels are the runtime's `layers::embedding`.

use super::{Cx, Kind, LayerSpec};
use crate::args::{self, Args};
use crate::param::{Init, Param};
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "Embedding",
    arguments: &["input_dim", "output_dim", "name"],
    parse,
};

pub struct Embedding {
    input_dim: usize,
    output_dim: usize,
    name: Option<String>,
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let input_dim = args::positive_int(
        args.required("input_dim", "Embedding(1000, 32)")?,
        "the vocabulary size `input_dim`",
    )?;
    if input_dim > u32::MAX as usize {
        return Err(call.error(format!(
            "`Embedding` takes `u32` tokens, so `input_dim` is at most {}",
            u32::MAX
        )));
    }
    let output_dim = args::positive_int(
        args.required("output_dim", "Embedding(1000, output_dim = 32)")?,
        "the embedding size `output_dim`",
    )?;
    Ok(Box::new(Embedding {
        input_dim,
        output_dim,
        name: args.layer_name(),
    }))
}

impl Embedding {
    fn steps(cx: &Cx) -> usize {
        cx.input_shape.size()
    }

    /// The call of the runtime's forward (`x`, `y` slices of `n` samples).
    fn gather(&self, cx: &Cx, x: TokenStream, y: TokenStream, n: TokenStream) -> TokenStream {
        let (table, dim, out, t) = (
            cx.param_slice("embeddings"),
            self.input_dim,
            self.output_dim,
            Self::steps(cx),
        );
        quote!(::kiln::__private::embedding::forward::<T>(#table, #dim, #out, #x, #y, #t, #n);)
    }
}

impl LayerSpec for Embedding {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "embedding"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        match *input {
            Shape::Vector(t) => Ok(Shape::Sequence {
                t,
                f: self.output_dim,
            }),
            ref other => Err(call.error(format!(
                "`Embedding` reads a sequence of token indices, declared `Input(timesteps)` (e.g. `Input(20)` for 20 tokens) as the model's first entry, but receives {} {}",
                other.describe(),
                other.keras()
            ))),
        }
    }

    /// `embeddings [input_dim, output_dim]`, PyTorch's `weight` as it is. Initialised
    /// Glorot-uniform (Keras draws U(−0.05, 0.05)).
    fn params(&self, _input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let (rows, cols) = (self.input_dim, self.output_dim);
        let init = Init::GlorotUniform {
            fan_in: rows,
            fan_out: cols,
        };
        vec![Param::same_in_torch(
            "embeddings",
            vec![rows, cols],
            init,
            "weight",
        )]
    }

    fn tokens(&self) -> Option<usize> {
        Some(self.input_dim)
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        // The first layer (`check` makes sure): it reads the model's input.
        self.gather(cx, cx.input(), cx.output_mut(), quote!(n))
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (dim, out, t) = (self.input_dim, self.output_dim, Self::steps(cx));
        let (x, g, grads, grad_in) = (
            cx.input(),
            cx.grad_out(),
            cx.bind_param_grads(),
            cx.grad_in(),
        );
        quote! {
            #grads
            ::kiln::__private::embedding::backward::<T>(#dim, #out, #x, #g, grad_embeddings, #t, n);
            // Tokens are not differentiable: their gradient is zero.
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                grad_in[..#t * n].fill(T::default());
            }
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (x, y, buf, o) = (
            cx.predict_in(),
            cx.predict_out(),
            cx.predict_buffer(),
            cx.output_shape.size(),
        );
        let gather = self.gather(cx, quote!(&#x[..]), quote!(&mut #buf[..]), quote!(1));
        quote! {
            let mut #buf = [T::default(); #o];
            #gather
            let #y = &#buf;
        }
    }
}
