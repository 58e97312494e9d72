//! The intermediate representation: a model as a checked chain of layers with known shapes.

use crate::layers::LayerSpec;
use syn::{Attribute, Ident, Visibility};

/// The shape of one sample as it flows between layers (the batch dimension is implicit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `[features]`: what Dense layers consume and produce.
    Vector(usize),
    /// `[height, width, channels]`, channels-last like Keras.
    Image { h: usize, w: usize, c: usize },
    /// `[timesteps, features]`.
    Sequence { t: usize, f: usize },
}

impl Shape {
    /// Number of scalars in one sample.
    pub fn size(&self) -> usize {
        self.dims().iter().product()
    }

    pub fn dims(&self) -> Vec<usize> {
        match *self {
            Shape::Vector(n) => vec![n],
            Shape::Image { h, w, c } => vec![h, w, c],
            Shape::Sequence { t, f } => vec![t, f],
        }
    }

    /// Keras' notation with the batch axis: `(None, 28, 28, 1)`.
    pub fn keras(&self) -> String {
        let dims: Vec<String> = self.dims().iter().map(|d| d.to_string()).collect();
        format!("(None, {})", dims.join(", "))
    }

    /// In words, for error messages: "a vector of 64 features".
    pub fn describe(&self) -> String {
        match *self {
            Shape::Vector(n) => format!("a vector of {}", plural(n, "feature")),
            Shape::Image { h, w, c } => {
                format!("an image of {h}×{w} pixels with {}", plural(c, "channel"))
            }
            Shape::Sequence { t, f } => format!(
                "a sequence of {} with {}",
                plural(t, "step"),
                plural(f, "feature")
            ),
        }
    }
}

/// `1 channel`, `3 channels`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

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

    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| &l.params)
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
}

/// How a parameter tensor starts out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Glorot (Xavier) uniform: U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))), Keras' default.
    GlorotUniform {
        fan_in: usize,
        fan_out: usize,
    },
    Zeros,
    /// Keras' `Orthogonal` for a `[rows, cols]` matrix (recurrent kernels).
    Orthogonal {
        rows: usize,
        cols: usize,
    },
    /// Keras' LSTM `unit_forget_bias`: zeros, and ones for the forget gate's `units` values.
    UnitForgetBias {
        units: usize,
    },
}

/// One parameter tensor of a layer.
#[derive(Clone, Debug)]
pub struct Param {
    /// Keras' name within the layer: `kernel`, `bias`.
    pub name: &'static str,
    /// Keras' shape (`kernel` of Dense is `[in, out]`), which is also kiln's memory layout.
    pub shape: Vec<usize>,
    /// PyTorch's names within the layer's module (`weight`; recurrent biases are two tensors,
    /// `bias_ih_l0` and `bias_hh_l0`) and the shape of each (`[out, in]`).
    pub torch_names: &'static [&'static str],
    pub torch_shape: Vec<usize>,
    pub init: Init,
    /// Offset in the model's flat parameter buffer, filled in after shape inference.
    pub offset: usize,
}

impl Param {
    /// A Glorot-uniform `kernel` (Keras shape, PyTorch name `weight` and shape) and, with
    /// `use_bias`, a zero `bias` of `outputs` values: the parameters of Dense and Conv2D.
    pub fn kernel_and_bias(
        shape: Vec<usize>,
        torch_shape: Vec<usize>,
        (fan_in, fan_out): (usize, usize),
        outputs: usize,
        use_bias: bool,
    ) -> Vec<Param> {
        let kernel = Param {
            name: "kernel",
            shape,
            torch_names: &["weight"],
            torch_shape,
            init: Init::GlorotUniform { fan_in, fan_out },
            offset: 0,
        };
        let bias = Param {
            name: "bias",
            shape: vec![outputs],
            torch_names: &["bias"],
            torch_shape: vec![outputs],
            init: Init::Zeros,
            offset: 0,
        };
        if use_bias {
            vec![kernel, bias]
        } else {
            vec![kernel]
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
}
