//! Shapes of one sample as it flows between layers, and the errors of a layer that receives
//! the wrong kind of shape.

use crate::parse::Call;

/// The shape of one sample (the batch dimension is implicit).
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

    /// The last (channels-last) axis: a vector's features, an image's channels, the features
    /// of each time step. What a layer acting on the last axis sees at a time.
    pub fn last_axis(&self) -> usize {
        match *self {
            Shape::Vector(n) => n,
            Shape::Image { c, .. } => c,
            Shape::Sequence { f, .. } => f,
        }
    }
}

/// The element order of a layer's output in the equivalent PyTorch `nn.Sequential`, where it
/// differs from kiln's: PyTorch's images are channels-first, so its `nn.Flatten` orders a
/// flattened image's values by channel, then row, then column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TorchOrder {
    /// The same order as kiln's.
    Kiln,
    /// A vector that is an `h × w × c` image flattened channels-first by PyTorch.
    ChannelsFirst { h: usize, w: usize, c: usize },
}

/// `1 channel`, `3 channels`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The error for a vector-only layer (`what`) placed after a layer with a richer output.
pub fn needs_vector(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Image { .. } => {
            "add `Flatten()` before it, or `GlobalAveragePooling2D()` to keep one average per channel"
        }
        Shape::Sequence { .. } => {
            "for one softmax per time step, end with `Dense(units, activation = softmax)` (Dense \
            acts on each step); for one over the whole sequence, add `Flatten()` before it or \
            read the sequence with a recurrent layer that returns its last state, e.g. `LSTM(32)`"
        }
        Shape::Vector(_) => unreachable!("a vector is a vector input"),
    };
    call.error(format!(
        "{what} needs a vector input, but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}

/// The error for a 2-D layer (`what`, e.g. "`Conv2D`") placed after a layer without an image
/// output.
pub fn needs_image(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Vector(_) => {
            "a 2-D layer slides over rows and columns: declare an image input \
            `Input(height, width, channels)`, e.g. `Input(28, 28, 1)`, and put 2-D layers \
            before `Flatten()` and `Dense`"
        }
        Shape::Sequence { .. } => {
            "declare an image input `Input(height, width, channels)` \
            instead, e.g. `Input(28, 28, 1)` for one-channel images"
        }
        Shape::Image { .. } => unreachable!("an image is an image input"),
    };
    call.error(format!(
        "{what} needs an image input [height, width, channels], but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}

/// The error for a layer over time steps (`what`) placed after a layer without a sequence
/// output.
pub fn needs_sequence(call: &Call, what: &str, input: &Shape) -> syn::Error {
    let fix = match input {
        Shape::Vector(_) => {
            "declare a sequence input `Input(timesteps, features)`, e.g. `Input(10, 1)` for 10 steps \
            of one feature; after another recurrent layer, give that one `return_sequences = true`"
        }
        Shape::Image { .. } => {
            "a recurrent layer steps through time: declare a sequence input \
            `Input(timesteps, features)`, e.g. `Input(10, 1)`"
        }
        Shape::Sequence { .. } => unreachable!("a sequence is a sequence input"),
    };
    call.error(format!(
        "{what} needs a sequence input [timesteps, features], but receives {} {}; {fix}",
        input.describe(),
        input.keras()
    ))
}
