//! The intermediate representation: a model as a checked chain of layers with known shapes.

use crate::layers::{LayerSpec, Wiring};
use crate::param::Param;
use crate::shape::Shape;
use syn::{Attribute, Ident, Visibility};

/// A checked model, ready for code generation.
pub struct Model {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub input: Shape,
    pub layers: Vec<Layer>,
}

impl Model {
    pub fn output(&self) -> &Shape {
        self.layers.last().map_or(&self.input, |l| &l.output)
    }

    /// Every parameter's scalars, trainable or not: the flat buffer's length.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| &l.params)
            .map(|p| p.len())
            .sum()
    }

    /// The trainable parameters' scalars, which come first in the flat buffer.
    pub fn trainable_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| &l.params)
            .filter(|p| p.trainable)
            .map(|p| p.len())
            .sum()
    }
}

/// One layer with its inferred shapes and its parameters' places in the flat parameter buffer.
pub struct Layer {
    /// Keras-style instance name: `dense`, `dense_1`, ... or the `name = "..."` argument.
    pub name: String,
    pub spec: Box<dyn LayerSpec>,
    pub input: Shape,
    pub output: Shape,
    pub params: Vec<Param>,
    pub wiring: Wiring,
    /// The prefix of its tensors in the equivalent PyTorch `nn.Sequential`: `3`, or `1.0` and
    /// `1.shortcut` inside a block.
    pub torch_prefix: String,
    /// How many blocks it is inside (for the summary).
    pub depth: usize,
}
