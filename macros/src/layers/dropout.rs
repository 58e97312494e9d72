//! `Dropout(rate, seed = ...)`: inverted dropout, active in training only; `[s] → [s]`.
//!
//! Training: `m ~ Bernoulli(1 − rate) / (1 − rate)`, `y = x ⊙ m`, `∂L/∂x = ∂L/∂y ⊙ m`.
//! Inference: `y = x`.

use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::parse::{Call, Value};
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub struct Dropout {
    rate: f64,
    name: Option<String>,
}

pub const KIND: Kind = Kind {
    name: "Dropout",
    arguments: &["rate", "name"],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let value: &Value = args.required("rate", "Dropout(0.5)")?;
    let rate = args::number(value, "the dropout rate")?;
    if !(0.0..1.0).contains(&rate) {
        return Err(syn::Error::new(
            value.span(),
            format!("the dropout rate is the fraction of inputs dropped and must lie in [0, 1), but is `{rate:?}`"),
        ));
    }
    let name = args.layer_name();
    Ok(Box::new(Dropout { rate, name }))
}

impl LayerSpec for Dropout {
    fn kind(&self) -> &'static str {
        "Dropout"
    }

    fn default_name(&self) -> &'static str {
        "dropout"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(input.clone())
    }

    fn torch_order(&self, _input: &Shape, incoming: TorchOrder) -> TorchOrder {
        incoming
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        vec![
            Scratch::Buffer {
                name: "mask",
                per_sample: input.size(),
            },
            Scratch::Rng { name: "rng" },
        ]
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (x, y, size, rate) = (cx.input(), cx.output_mut(), cx.input_size(), self.rate);
        let (mask, rng) = (cx.scratch("mask"), cx.scratch("rng"));
        quote!(::kiln::__private::dropout::forward::<T>(#x, #y, &mut #mask[..], &mut #rng, #rate, #size * n, mode);)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (g, grad_in, size) = (cx.grad_out(), cx.grad_in(), cx.input_size());
        let mask = cx.scratch("mask");
        quote! {
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                ::kiln::__private::dropout::backward::<T>(#g, grad_in, &#mask[..], #size * n);
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
