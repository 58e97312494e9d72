//! The parameters: their initialisation in `seeded`, and the `LAYERS` table that summaries,
//! `param(name)` and weight files read (each tensor's PyTorch names and index maps included).

use crate::ir::Model;
use crate::param::{Init, Param, TorchMap, TorchTensor};
use proc_macro2::TokenStream;
use quote::quote;

/// Statements filling `params` (the zeroed flat buffer) as Keras initialises them, each layer
/// from its own random stream of `seed`. A layer with several random tensors of one kind
/// (Bidirectional's two directions) draws the repeats from streams of their own (`| k << 40`),
/// so they do not start equal; the first of each kind keeps the layer's stream.
pub fn init(model: &Model) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for (i, layer) in model.layers.iter().enumerate() {
        let (mut glorot, mut orthogonal) = (0u64, 0u64);
        for p in &layer.params {
            let repeat = match p.init {
                Init::GlorotUniform { .. } => &mut glorot,
                Init::Orthogonal { .. } => &mut orthogonal,
                _ => &mut 0,
            };
            let stream = i as u64 | (*repeat << 40);
            *repeat += 1;
            let (a, b) = (p.offset, p.offset + p.len());
            out.push(match p.init {
                Init::GlorotUniform { fan_in, fan_out } => quote! {
                    ::kiln::__private::init::glorot_uniform(&mut params[#a..#b], #fan_in, #fan_out, &mut ::kiln::Rng::derive(seed, #stream));
                },
                Init::Zeros => continue,
                Init::Ones => quote!(params[#a..#b].fill(T::one());),
                // A stream of its own, apart from the layer's Glorot-uniform kernel.
                Init::Orthogonal { rows, cols } => {
                    let stream = stream | (1 << 32);
                    quote! {
                        ::kiln::__private::init::orthogonal(&mut params[#a..#b], #rows, #cols, &mut ::kiln::Rng::derive(seed, #stream));
                    }
                }
                Init::UnitForgetBias { units } => quote! {
                    ::kiln::__private::init::unit_forget_bias(&mut params[#a..#b], #units);
                },
            });
        }
    }
    out
}

/// The `LAYERS` entries: `::kiln::LayerInfo { .. }` for each layer, with its place among the
/// modules of the equivalent PyTorch `nn.Sequential`.
pub fn layer_infos(model: &Model) -> Vec<TokenStream> {
    model
        .layers
        .iter()
        .map(|layer| {
            let (name, kind, torch) = (&layer.name, layer.spec.kind(), &layer.torch_prefix);
            let shape = layer.output.dims();
            let params = layer.params.iter().map(|p| param_info(&layer.name, p));
            quote! {
                ::kiln::LayerInfo { name: #name, kind: #kind, output_shape: &[#(#shape),*], torch_prefix: #torch, params: &[#(#params),*] }
            }
        })
        .collect()
}

fn param_info(layer: &str, p: &Param) -> TokenStream {
    let name = format!("{layer}.{}", p.name);
    let (shape, offset, len, trainable) = (&p.shape, p.offset, p.len(), p.trainable);
    let non_negative = p.non_negative;
    let torch = p.torch.iter().map(torch_tensor);
    quote! {
        ::kiln::ParamInfo { name: #name, shape: &[#(#shape),*], torch: &[#(#torch),*], trainable: #trainable, non_negative: #non_negative, offset: #offset, len: #len }
    }
}

fn torch_tensor(t: &TorchTensor) -> TokenStream {
    let (name, shape, summed, counter) = (t.name, &t.shape, t.summed, t.counter);
    let map = torch_map(&t.map);
    let sequential = match &t.sequential {
        Some(m) => {
            let m = torch_map(m);
            quote!(::core::option::Option::Some(#m))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::kiln::TorchTensor { name: #name, shape: &[#(#shape),*], map: #map, sequential: #sequential, summed: #summed, counter: #counter }
    }
}

fn torch_map(m: &TorchMap) -> TokenStream {
    let (offset, view, axes) = (m.offset, &m.view, &m.axes);
    let blocks = match &m.blocks {
        Some((axis, order)) => quote!(::core::option::Option::Some((#axis, &[#(#order),*]))),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::kiln::TorchMap { offset: #offset, view: &[#(#view),*], axes: &[#(#axes),*], blocks: #blocks }
    }
}
