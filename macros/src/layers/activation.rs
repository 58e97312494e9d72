//! `Activation(relu)`: an activation function as a layer of its own; `[s] → [s]`.
//!
//! Backward: `∂L/∂x = ∂L/∂y ⊙ f′(x)` (softmax: `y ⊙ (g − ⟨g, y⟩)` per sample).

use super::{Cx, Kind, LayerSpec};
use crate::activation::Activation;
use crate::args::Args;
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub struct ActivationLayer {
    activation: Activation,
    name: Option<String>,
}

pub const KIND: Kind = Kind {
    name: "Activation",
    arguments: &["activation", "name"],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    let activation = Activation::parse(args.required("activation", "Activation(relu)")?)?;
    let name = args.layer_name();
    Ok(Box::new(ActivationLayer { activation, name }))
}

impl LayerSpec for ActivationLayer {
    fn kind(&self) -> &'static str {
        "Activation"
    }

    fn default_name(&self) -> &'static str {
        "activation"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, call: &Call) -> syn::Result<Shape> {
        if self.activation == Activation::Softmax && !matches!(input, Shape::Vector(_)) {
            return Err(crate::shape::needs_vector(call, "softmax", input));
        }
        Ok(input.clone())
    }

    fn torch_order(&self, _input: &Shape, incoming: TorchOrder) -> TorchOrder {
        incoming
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (x, y, rows) = (cx.input(), cx.output_mut(), activation_rows(cx));
        let act = self.activation.runtime();
        quote!(::kiln::__private::activation::Activation::<T>::forward(&#act, #x, #y, #rows, n);)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (x, y, g, rows) = (cx.input(), cx.output(), cx.grad_out(), activation_rows(cx));
        let (grad_in, at_logits) = (cx.grad_in(), cx.at_logits());
        let act = self.activation.runtime();
        quote! {
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                let g = #g;
                if !(#at_logits) {
                    ::kiln::__private::activation::Activation::<T>::backward(&#act, #x, #y, g, #rows, n);
                }
                grad_in[..#rows * n].copy_from_slice(&g[..#rows * n]);
            }
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (x, y, rows) = (cx.predict_in(), cx.predict_out(), activation_rows(cx));
        let act = self.activation.runtime();
        let buf = cx.predict_buffer();
        quote! {
            let mut #buf = *#x;
            ::kiln::__private::activation::Activation::<T>::apply(&#act, &mut #buf[..], #rows);
            let #y = &#buf;
        }
    }

    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        // Elementwise (softmax only on vectors): a time step at a time is the same function.
        Some(self.predict(cx))
    }

    fn logits(&self, cx: &Cx) -> Option<TokenStream> {
        // The model's own input is not kept in the workspace; losses then use the output alone.
        (!self.activation.is_linear() && cx.index > 0).then(|| cx.input())
    }
}

/// The activation works on one sample (`rows` scalars) at a time.
fn activation_rows(cx: &Cx) -> usize {
    cx.input_size()
}
