//! `Flatten()`: an image or sequence as one vector, in Keras' channels-last order
//! (`out[(h·W + w)·C + c] = in[h, w, c]`), which is also kiln's memory order, so the values are
//! copied unchanged; `[h, w, c] → [h·w·c]`. Backward copies the gradient back.

use super::{Cx, Kind, LayerSpec};
use crate::args::Args;
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub struct Flatten {
    name: Option<String>,
}

pub const KIND: Kind = Kind {
    name: "Flatten",
    arguments: &["name"],
    parse,
};

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    Ok(Box::new(Flatten {
        name: args.layer_name(),
    }))
}

impl LayerSpec for Flatten {
    fn kind(&self) -> &'static str {
        "Flatten"
    }

    fn default_name(&self) -> &'static str {
        "flatten"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(Shape::Vector(input.size()))
    }

    /// PyTorch's `nn.Flatten` of its channels-first image.
    fn torch_order(&self, input: &Shape, _incoming: TorchOrder) -> TorchOrder {
        match *input {
            Shape::Image { h, w, c } => TorchOrder::ChannelsFirst { h, w, c },
            _ => TorchOrder::Kiln,
        }
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (x, y, size) = (cx.input(), cx.output_mut(), cx.input_size());
        quote!((#y)[..#size * n].copy_from_slice(&(#x)[..#size * n]);)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (g, grad_in, size) = (cx.grad_out(), cx.grad_in(), cx.input_size());
        quote! {
            if let ::core::option::Option::Some(grad_in) = #grad_in {
                grad_in[..#size * n].copy_from_slice(&(#g)[..#size * n]);
            }
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (x, y) = (cx.predict_in(), cx.predict_out());
        quote!(let #y = #x;)
    }
}
