//! What the runtime knows about a generated model.

/// The activation that produces a model's output, as far as losses care.
///
/// Losses use it to take fused, numerically stable paths: softmax followed by cross-entropy has
/// the gradient `p − y` with respect to the logits, sigmoid followed by binary cross-entropy
/// likewise, and neither needs `ln` of a probability that may round to 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputActivation {
    /// The output is the last layer's affine result (or another activation losses need not know).
    Linear,
    /// Element-wise logistic sigmoid over the logits.
    Sigmoid,
    /// Softmax over each sample's outputs.
    Softmax,
    /// Any other activation: losses work on the output and its gradient only.
    Other,
}

/// Which tensor a loss gradient is taken with respect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradAt {
    /// `∂L/∂output`: the backward pass runs the output activation's derivative first.
    Output,
    /// `∂L/∂logits`, the input of the output activation (fused softmax / sigmoid paths): the
    /// backward pass skips the output activation.
    Logits,
}
