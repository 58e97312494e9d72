//! `BatchNormalization(axis = -1, momentum = 0.99, epsilon = 1e-3, center = true, scale = true,
//! convention = keras, name)`: each feature (vectors), channel (images) or feature of every
//! time step (sequences) normalised over the batch (runtime `layers/batch_normalization.rs`).
//!
//! Training normalises with the batch's mean and biased variance (a partial last batch with
//! exactly its own samples) and back-propagates through them; the training step then moves
//! the non-trainable `moving_mean` and `moving_variance` as Keras does,
//! `moving = momentum·moving + (1 − momentum)·batch`. Inference (and `predict`) uses the moving
//! statistics. `convention = pytorch` is `BatchNorm1d`/`2d`'s arithmetic: defaults
//! `momentum = 0.9` (PyTorch's `momentum = 0.1`) and `epsilon = 1e-5`, and the unbiased batch
//! variance in the moving update. Parameters: `gamma` [c] (ones, PyTorch `weight`), `beta`
//! [c] (`bias`), `moving_mean` [c] (`running_mean`), `moving_variance` [c] (`running_var`).

use super::{Cx, Kind, LayerSpec, Scratch};
use crate::args::{self, Args};
use crate::param::{Init, Param, TorchTensor};
use crate::parse::{Call, Value};
use crate::shape::{Shape, TorchOrder};
use crate::suggest::did_you_mean;
use proc_macro2::TokenStream;
use quote::quote;

pub const KIND: Kind = Kind {
    name: "BatchNormalization",
    arguments: &[
        "axis",
        "momentum",
        "epsilon",
        "center",
        "scale",
        "convention",
        "name",
    ],
    parse,
};

pub struct BatchNormalization {
    momentum: f64,
    epsilon: f64,
    center: bool,
    scale: bool,
    /// PyTorch's unbiased batch variance in the moving update.
    unbiased: bool,
    name: Option<String>,
}

fn parse(call: &Call) -> syn::Result<Box<dyn LayerSpec>> {
    let args = Args::new(call, KIND.arguments)?;
    if let Some(axis) = args.get("axis") {
        args::last_axis(axis)?;
    }
    let pytorch = args.get("convention").map_or(Ok(false), convention)?;
    let momentum = match args.get("momentum") {
        Some(value) => momentum(value)?,
        None if pytorch => 0.9,
        None => 0.99,
    };
    let epsilon = match args.get("epsilon") {
        Some(value) => args::epsilon(value)?,
        None if pytorch => 1e-5,
        None => 1e-3,
    };
    let flag = |name: &str| {
        args.get(name)
            .map_or(Ok(true), |v| args::boolean(v, &format!("`{name}`")))
    };
    Ok(Box::new(BatchNormalization {
        momentum,
        epsilon,
        center: flag("center")?,
        scale: flag("scale")?,
        unbiased: pytorch,
        name: args.layer_name(),
    }))
}

/// `keras` (false) or `pytorch` (true).
fn convention(value: &Value) -> syn::Result<bool> {
    const CONVENTIONS: [&str; 2] = ["keras", "pytorch"];
    match args::name(value) {
        Some((name, _)) if name == "keras" => Ok(false),
        Some((name, _)) if name == "pytorch" => Ok(true),
        Some((name, span)) => Err(syn::Error::new(
            span,
            format!(
                "unknown convention `{name}`{}; `BatchNormalization` follows `keras` (momentum 0.99, epsilon 1e-3, biased variance) or `pytorch` (momentum 0.9 in Keras' spelling, epsilon 1e-5, unbiased variance in the moving update)",
                did_you_mean(&name, CONVENTIONS)
            ),
        )),
        None => Err(syn::Error::new(
            value.span(),
            format!("the convention must be `keras` or `pytorch`, but is {}", value.describe()),
        )),
    }
}

/// Keras' `momentum`, the weight of the old moving value: in `[0, 1]`.
fn momentum(value: &Value) -> syn::Result<f64> {
    let momentum = args::number(value, "`momentum`")?;
    if (0.0..=1.0).contains(&momentum) {
        return Ok(momentum);
    }
    Err(syn::Error::new(
        value.span(),
        format!(
            "`momentum` is the weight Keras keeps of the old moving statistics and must lie in [0, 1], but is `{momentum:?}` (PyTorch's momentum m is Keras' 1 − m)"
        ),
    ))
}

impl BatchNormalization {
    /// Channels and rows per sample: the last axis, and how many rows of it a sample has.
    fn sizes(input: &Shape) -> (usize, usize) {
        let c = input.last_axis();
        (c, input.size() / c)
    }

    fn affine(&self, cx: &Cx) -> (TokenStream, TokenStream) {
        (cx.optional_param("gamma"), cx.optional_param("beta"))
    }

    fn moving(&self, cx: &Cx) -> (TokenStream, TokenStream) {
        (
            cx.param_slice("moving_mean"),
            cx.param_slice("moving_variance"),
        )
    }
}

impl LayerSpec for BatchNormalization {
    fn kind(&self) -> &'static str {
        KIND.name
    }

    fn default_name(&self) -> &'static str {
        "batch_normalization"
    }

    fn explicit_name(&self) -> Option<String> {
        self.name.clone()
    }

    fn output_shape(&self, input: &Shape, _call: &Call) -> syn::Result<Shape> {
        Ok(input.clone())
    }

    fn params(&self, input: &Shape, _output: &Shape, _torch_input: TorchOrder) -> Vec<Param> {
        let c = input.last_axis();
        let mut params = Param::scale_and_shift(c, self.scale, self.center);
        let mean = Param::same_in_torch("moving_mean", vec![c], Init::Zeros, "running_mean");
        let var = Param::same_in_torch("moving_variance", vec![c], Init::Ones, "running_var")
            .non_negative();
        // PyTorch's count of training batches, kept so that its files round-trip.
        let batches = Param::new(
            "num_batches_tracked",
            vec![],
            Init::Zeros,
            vec![TorchTensor::counter("num_batches_tracked")],
        );
        params.extend([mean, var, batches].map(Param::non_trainable));
        params
    }

    fn scratch(&self, input: &Shape, _output: &Shape) -> Vec<Scratch> {
        let c = input.last_axis();
        let mut scratch = vec![Scratch::Buffer {
            name: "xhat",
            per_sample: input.size(),
        }];
        // The batch's statistics, `1/√(σ² + ε)`, and backward's two sums per channel.
        for (name, len) in [("mean", c), ("var", c), ("inv_std", c), ("sums", 2 * c)] {
            scratch.push(Scratch::Batch { name, len });
        }
        scratch
    }

    fn forward(&self, cx: &Cx) -> TokenStream {
        let (c, rows) = Self::sizes(cx.input_shape);
        let ((gamma, beta), (mm, mv)) = (self.affine(cx), self.moving(cx));
        let (x, y, eps) = (cx.input(), cx.output_mut(), self.epsilon);
        let [xhat, mean, var, inv_std] = ["xhat", "mean", "var", "inv_std"].map(|n| cx.scratch(n));
        quote! {
            if mode == ::kiln::Mode::Train {
                ::kiln::__private::batch_normalization::forward_train::<T>(
                    #c, #rows * n, #x, #gamma, #beta, T::of(#eps), &mut #mean[..], &mut #var[..],
                    &mut #inv_std[..], &mut #xhat[..], #y,
                );
            } else {
                ::kiln::__private::batch_normalization::forward_infer::<T>(
                    #c, #rows * n, #x, #gamma, #beta, T::of(#eps), #mm, #mv, &mut #inv_std[..],
                    &mut #xhat[..], #y,
                );
            }
        }
    }

    fn backward(&self, cx: &Cx) -> TokenStream {
        let (c, rows) = Self::sizes(cx.input_shape);
        let (gamma, _) = self.affine(cx);
        let (g, grad_in, grads) = (cx.grad_out(), cx.grad_in(), cx.bind_param_grads());
        let [xhat, inv_std, sums] = ["xhat", "inv_std", "sums"].map(|n| cx.scratch(n));
        let (grad_gamma, grad_beta) = (cx.grad_param("gamma"), cx.grad_param("beta"));
        quote! {
            #grads
            ::kiln::__private::batch_normalization::backward::<T>(
                #c, #rows * n, mode == ::kiln::Mode::Train, #gamma, &#xhat[..], &#inv_std[..], #g,
                &mut #sums[..], #grad_gamma, #grad_beta, #grad_in,
            );
        }
    }

    fn update_moving_statistics(&self, cx: &Cx) -> TokenStream {
        let (c, rows) = Self::sizes(cx.input_shape);
        let start = cx
            .params
            .iter()
            .find(|p| p.name == "moving_mean")
            .map(|p| p.offset);
        let start = start.expect("BatchNormalization has moving statistics");
        let (momentum, unbiased) = (self.momentum, self.unbiased);
        let (mean, var) = (cx.scratch("mean"), cx.scratch("var"));
        // `moving_mean`, `moving_variance`, then the batch count, consecutive.
        let end = start + 2 * c;
        quote! {
            let (moving_mean, moving_var) = params[#start..#end].split_at_mut(#c);
            ::kiln::__private::batch_normalization::update_moving::<T>(
                #c, #rows * n, T::of(#momentum), #unbiased, &#mean[..], &#var[..], moving_mean,
                moving_var,
            );
            params[#end] += T::one();
        }
    }

    fn predict(&self, cx: &Cx) -> TokenStream {
        let c = cx.input_shape.last_axis();
        let ((gamma, beta), (mm, mv)) = (self.affine(cx), self.moving(cx));
        let (x, y, buf, len) = (
            cx.predict_in(),
            cx.predict_out(),
            cx.predict_buffer(),
            cx.input_size(),
        );
        let eps = self.epsilon;
        quote! {
            let mut #buf = [T::default(); #len];
            ::kiln::__private::batch_normalization::predict::<T>(
                #c, &#x[..], #gamma, #beta, T::of(#eps), #mm, #mv, &mut #buf,
            );
            let #y = &#buf;
        }
    }

    /// One time step is rows of the same features.
    fn step(&self, cx: &Cx) -> Option<TokenStream> {
        Some(self.predict(cx))
    }
}
