//! `LayerNormalization(axis = -1, epsilon = 1e-3, center = true, scale = true, name)`: every
//! sample's last axis normalised on its own (each time step of a sequence, each pixel of an
//! image), with a learned `gamma` (ones, PyTorch `weight`) and `beta` (`bias`) per feature
//! (runtime `layers/layer_normalization.rs`). PyTorch's `LayerNorm(features, eps)`; note its
//! default `eps` is 1e-5 where Keras' is 1e-3.

use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::param::Param;
use crate::parse::Call;
use crate::shape::{Shape, TorchOrder};
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "LayerNormalization",
    arguments: &["axis", "epsilon", "center", "scale", "name"],
    parse,
};

pub struct LayerNormalization {
    epsilon: f64,
    center: bool,
    scale: bool,
    name: Option<String>,
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    if let Some(axis) = args.get("axis") {
        args::last_axis(axis)?;
    }
    let epsilon = args.get("epsilon").map_or(Ok(1e-3), args::epsilon)?;
    let flag = |name: &str| {
        args.get(name)
            .map_or(Ok(true), |v| args::boolean(v, &format!("`{name}`")))
    };
    Ok(Box::new(LayerNormalization {
        epsilon,
        center: flag("center")?,
        scale: flag("scale")?,
        name: args.layer_name(),
    }))
}

impl LayerSpec for LayerNormalization {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "layer_normalization"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(input.clone())
    }

    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        Param::scale_and_shift(input.last_axis(), self.scale, self.center)
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        vec![
            Scratch::Buffer {
                name: "xhat",
                per_sample: input.size(),
            },
            Scratch::Buffer {
                name: "inv_std",
                per_sample: input.size() / input.last_axis(),
            },
        ]
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let f = cx.input_shape.last_axis();
        let rows = cx.input_shape.size() / f;
        let (gamma, beta) = (cx.optional_param("gamma"), cx.optional_param("beta"));
        let (x, y, eps) = (cx.input(), cx.output_mut(), self.epsilon);
        let (xhat, inv_std) = (cx.scratch("xhat"), cx.scratch("inv_std"));
        quote! {
            ::kiln::__private::layer_normalization::forward::<T>(
                #f, #rows * n, #x, #gamma, #beta, T::of(#eps), &mut #inv_std[..], &mut #xhat[..], #y,
            );
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let f = cx.input_shape.last_axis();
        let rows = cx.input_shape.size() / f;
        let gamma = cx.optional_param("gamma");
        let (g, grad_in, grads) = (cx.grad_out(), cx.grad_in(), cx.bind_param_grads());
        let (xhat, inv_std) = (cx.scratch("xhat"), cx.scratch("inv_std"));
        let grad_gamma = cx.grad_param("gamma");
        let grad_beta = cx.grad_param("beta");
        quote! {
            #grads
            ::kiln::__private::layer_normalization::backward::<T>(
                #f, #rows * n, #gamma, &#xhat[..], &#inv_std[..], #g, #grad_gamma, #grad_beta,
                #grad_in,
            );
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let f = cx.input_shape.last_axis();
        let (gamma, beta) = (cx.optional_param("gamma"), cx.optional_param("beta"));
        let (x, y, buf, len) = (
            cx.predict_in(),
            cx.predict_out(),
            cx.predict_buffer(),
            cx.input_size(),
        );
        let eps = self.epsilon;
        quote! {
            let mut #buf = [T::default(); #len];
            ::kiln::__private::layer_normalization::predict::<T>(
                #f, &#x[..], #gamma, #beta, T::of(#eps), &mut #buf,
            );
            let #y = &#buf;
        }
    }

    /// Each time step is normalised on its own.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.predict(cx))
    }
}
