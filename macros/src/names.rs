//! The names of the generated code's values, defined once: codegen declares them, layers'
//! code reads and writes them (through `layers::Cx`).

use proc_macro2::Ident;
use quote::format_ident;

/// `aI`: the workspace's activations after layer `I − 1` (`a0` is the caller's input `x`).
pub fn activation(i: usize) -> Ident {
    format_ident!("a{}", i)
}

/// `gI`: the workspace's `∂L/∂aI`.
pub fn gradient(i: usize) -> Ident {
    format_ident!("g{}", i)
}

/// `lI_name`: a scratch buffer of layer `I` in the workspace, or an array of its streaming
/// state.
pub fn scratch(layer: usize, name: &str) -> Ident {
    format_ident!("l{}_{}", layer, name)
}

/// `hI`: the single-sample value after layer `I − 1` in `predict` and `step` (`h0` is the input).
pub fn value(i: usize) -> Ident {
    format_ident!("h{}", i)
}

/// `bufI`: a stack array a layer fills in `predict` before binding [`value`] `I` to it.
pub fn buffer(i: usize) -> Ident {
    format_ident!("buf{}", i)
}
