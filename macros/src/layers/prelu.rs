//! `PReLU(name)`: `y = x` where `x > 0`, else `α·x`, with one learned `alpha` per feature of a
//! vector, per channel of an image (Keras' `PReLU(shared_axes = [1, 2])`) or per feature of a
//! sequence's steps (`shared_axes = [1]`), starting at zero like Keras' `alpha_initializer =
//! zeros` (runtime `layers/prelu.rs`). PyTorch's `PReLU(num_parameters = c)`, `weight` [c], on
//! vectors and NCHW images (on `[B, T, F]` sequences PyTorch's would act on `T`).

use super::{Cx, Kind, LayerSpec};
use crate::args::Args;
use crate::param::{Init, Param};
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "PReLU",
    arguments: &["name"],
    parse,
};

pub struct PRelu {
    name: Option<String>,
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    Ok(Box::new(PRelu {
        name: args.layer_name(),
    }))
}

impl LayerSpec for PRelu {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "p_re_lu"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(input.clone())
    }

    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let c = input.last_axis();
        vec![Param::same_in_torch(
            "alpha",
            vec![c],
            Init::Zeros,
            "weight",
        )]
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (c, size) = (cx.input_shape.last_axis(), cx.input_shape.size());
        let (x, y, alpha) = (cx.input(), cx.output_mut(), cx.param_slice("alpha"));
        quote!(::kiln::__private::prelu::forward::<T>(#c, #size * n, #x, #alpha, #y);)
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (c, size) = (cx.input_shape.last_axis(), cx.input_shape.size());
        let (x, g, alpha) = (cx.input(), cx.grad_out(), cx.param_slice("alpha"));
        let (grads, grad_in) = (cx.bind_param_grads(), cx.grad_in());
        quote! {
            #grads
            ::kiln::__private::prelu::backward::<T>(#c, #size * n, #x, #alpha, #g, grad_alpha, #grad_in);
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let (c, len) = (cx.input_shape.last_axis(), cx.input_size());
        let (x, y, buf, alpha) = (
            cx.predict_in(),
            cx.predict_out(),
            cx.predict_buffer(),
            cx.param_slice("alpha"),
        );
        quote! {
            let mut #buf = [T::default(); #len];
            ::kiln::__private::prelu::forward::<T>(#c, #len, &#x[..], #alpha, &mut #buf);
            let #y = &#buf;
        }
    }

    /// Element-wise: one time step at a time is the same function.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.predict(cx))
    }
}
