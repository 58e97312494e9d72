//! The passes: each layer's batched forward and backward code in order, its single-sample
//! `predict` code, and what the losses need to know of the output.

use crate::ir::Model;
use crate::layers::Cx;
use crate::names;
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::quote;

/// Every layer's [`Cx`], for batched passes and `predict` (`step = false`) or for streaming.
pub fn contexts(model: &Model, step: bool) -> Vec<Cx<'_>> {
    let last = model.layers.len();
    model
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| Cx {
            index,
            input_shape: &layer.input,
            output_shape: &layer.output,
            params: &layer.params,
            wiring: layer.wiring,
            is_last: index + 1 == last,
            step,
        })
        .collect()
}

/// The generated code of every pass.
pub struct Passes {
    /// The body of `Model::forward`, layer after layer.
    pub forward: Vec<TokenStream>,
    /// The body of `Model::backward`, last layer first.
    pub backward: Vec<TokenStream>,
    /// The body of `predict`, binding `hL` from `h0`.
    pub predict: Vec<TokenStream>,
    /// The body of `Model::update_moving_statistics`.
    pub update_statistics: Vec<TokenStream>,
    /// `Model::OUTPUT_ACTIVATION`.
    pub output_activation: TokenStream,
    /// The workspace slice a loss reads as the logits.
    pub logits: TokenStream,
}

impl Passes {
    pub fn of(model: &Model) -> Passes {
        let cxs = contexts(model, false);
        let last = cxs.last().expect("a checked model has layers");
        let (output_activation, logits) = output_activation(model, last);
        Passes {
            forward: cxs
                .iter()
                .map(|cx| model.layers[cx.index].spec.forward(cx))
                .collect(),
            backward: cxs
                .iter()
                .rev()
                .map(|cx| model.layers[cx.index].spec.backward(cx))
                .collect(),
            predict: cxs
                .iter()
                .map(|cx| model.layers[cx.index].spec.predict(cx))
                .collect(),
            update_statistics: cxs
                .iter()
                .map(|cx| model.layers[cx.index].spec.update_moving_statistics(cx))
                .collect(),
            output_activation,
            logits,
        }
    }
}

/// The output activation the losses may fuse with, and the logits they then read. The fused
/// softmax / sigmoid cross-entropy paths treat the output as one distribution; a sequence
/// output (one per time step) takes the general path.
fn output_activation(model: &Model, last: &Cx) -> (TokenStream, TokenStream) {
    let spec = &model.layers[last.index].spec;
    let a_last = names::activation(model.layers.len());
    let fusable = !matches!(last.output_shape, Shape::Sequence { .. });
    match (spec.output_activation(), spec.logits(last)) {
        (Some(act), Some(logits)) if fusable => (act.output_kind(), logits),
        (Some(act), _) if !act.is_linear() => (
            quote!(::kiln::OutputActivation::Other),
            quote!(&ws.#a_last[..]),
        ),
        _ => (
            quote!(::kiln::OutputActivation::Linear),
            quote!(&ws.#a_last[..]),
        ),
    }
}

/// Time steps of one output sample: `t` for a sequence output, else 1.
pub fn output_steps(model: &Model) -> usize {
    match *model.output() {
        Shape::Sequence { t, .. } => t,
        _ => 1,
    }
}
