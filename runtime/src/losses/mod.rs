//! Loss functions for training: value and gradient over a batch.
//!
//! # Conventions
//!
//! * A batch of `n` samples is stored **column-major `outputs × n`**: sample `j` occupies
//!   `output[j*outputs .. (j+1)*outputs]`. Slices may be longer (workspace capacity); only the
//!   first `outputs*n` elements are read or written.
//! * Targets are sample-major too: one `u32` label per sample for sparse cross-entropy, otherwise
//!   `outputs` values per sample.
//! * Reduction is the **mean over the batch** (Keras `"sum_over_batch_size"`, PyTorch
//!   `reduction="mean"`): element-wise losses (MSE, MAE, Huber, binary CE) average over all
//!   `outputs*n` elements; categorical losses sum over the classes of a sample, then average over
//!   the `n` samples.
//! * Each loss is evaluated in `f64` internally (a batch has only `outputs*n` elements, so this
//!   is cheap) and the gradient is rounded to `T` once.
//! * Nothing in [`Loss::loss_and_grad`] or [`Loss::loss`] allocates.
//!
//! # Fused paths
//!
//! When the model's output activation is a sigmoid (binary CE) or a softmax (categorical CEs)
//! and the loss is taken on probabilities (`from_logits: false`), the loss is computed from the
//! activation's input (the logits) in a numerically stable form and the gradient is returned
//! with respect to those logits ([`GradAt::Logits`]): it is simply `(σ(z) − y)/N` or
//! `(softmax(z)·Σy − y)/B`, and no `ln` of a probability that rounded to 0 is ever taken.
//!
//! With `from_logits: true` the model's **output itself** is taken as the logits (the model
//! should end in a linear layer) and the gradient is returned with respect to the output
//! ([`GradAt::Output`]). Combining `from_logits: true` with a model whose output activation is
//! already a sigmoid/softmax is a user mistake (the activation would be applied twice); it is
//! handled consistently all the same: the output is treated as logits, and training still
//! follows the correct gradient of that (unusual) objective.

#![warn(missing_docs)]

mod binary;
mod categorical;
mod regression;

pub use binary::BinaryCrossentropy;
pub use categorical::{CategoricalCrossentropy, SparseCategoricalCrossentropy};
pub use regression::{Huber, MeanAbsoluteError, MeanSquaredError};

use crate::model::{GradAt, OutputActivation};
use crate::scalar::Scalar;

/// The clamp applied to probabilities before taking logarithms (Keras' `epsilon()`, `1e-7`):
/// `p ← clamp(p, ε, 1 − ε)`.
pub const EPSILON: f64 = 1e-7;

/// A target that cannot be used with a loss, found by [`Loss::check_targets`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// A sparse class label is not below the number of classes (the model's outputs).
    #[error("sample {sample}: class label {label} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// Index of the offending sample.
        sample: usize,
        /// The label found.
        label: u32,
        /// The number of classes (model outputs).
        classes: usize,
    },
    /// A probability target lies outside `[0, 1]`.
    #[error("sample {sample}, output {index}: target {value} is outside [0, 1]")]
    OutOfUnitRange {
        /// Index of the offending sample.
        sample: usize,
        /// Position of the value within the sample's targets.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// A target is NaN or infinite.
    #[error("sample {sample}, output {index}: target {value} is not finite")]
    NonFinite {
        /// Index of the offending sample.
        sample: usize,
        /// Position of the value within the sample's targets.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// The number of targets does not match the number of samples.
    #[error("expected {expected} targets, found {found}")]
    WrongCount {
        /// `n · targets_per_sample`.
        expected: usize,
        /// The length of the target slice.
        found: usize,
    },
    /// The number of targets is not a multiple of the targets per sample.
    #[error("found {found} targets, which is not a multiple of {per_sample} targets per sample")]
    Ragged {
        /// Targets per sample ([`Loss::targets_per_sample`]).
        per_sample: usize,
        /// The length of the target slice.
        found: usize,
    },
}

/// `Self` can train a model whose output is `K` (a [`crate::output`] kind): the bound of
/// [`Compile::compile`](crate::Compile::compile), so that a loss that cannot fit a model's
/// output is a type error at the call, visible to `cargo check`. Regression losses fit every
/// output; binary cross-entropy every output but a softmax; the categorical ones a vector of
/// class scores only. A loss of your own implements it for the outputs it can train (and for
/// [`output::AnyOutput`](crate::output::AnyOutput), the output of a model that failed to compile).
#[diagnostic::on_unimplemented(
    message = "the loss `{Self}` cannot train a model whose output is `{K}`",
    label = "this loss does not fit the model's output",
    note = "categorical cross-entropy (sparse or one-hot) needs one vector of at least two class scores per sample (`Dense(classes, activation = softmax)`, or linear logits with `from_logits`); binary cross-entropy needs independent outputs (`sigmoid`), not a softmax; a sequence output trains with element-wise losses, or end the model in a recurrent layer that returns its last state"
)]
pub trait FitsOutput<K> {}

/// `FitsOutput` for every output kind, also for a model generic code knows only as `M:
/// Model<T>` (whose `M::Output` is some [`output::Kind`](crate::output::Kind)): element-wise
/// regression losses.
macro_rules! fits_every_output {
    ($ty:ty) => {
        impl<K: $crate::output::Kind> $crate::losses::FitsOutput<K> for $ty {}
    };
}

/// `FitsOutput` for every output but a softmax: element-wise losses over independent outputs.
macro_rules! fits_independent_outputs {
    ($ty:ty) => {
        impl $crate::losses::FitsOutput<$crate::output::OneValue> for $ty {}
        impl<const N: usize> $crate::losses::FitsOutput<$crate::output::Vector<N>> for $ty {}
        impl<const S: usize, const N: usize>
            $crate::losses::FitsOutput<$crate::output::Sequence<S, N>> for $ty
        {
        }
        impl $crate::losses::FitsOutput<$crate::output::AnyOutput> for $ty {}
    };
}

/// `FitsOutput` for class-score vectors only: categorical losses.
macro_rules! fits_class_scores {
    ($ty:ty) => {
        impl<const N: usize> $crate::losses::FitsOutput<$crate::output::Vector<N>> for $ty {}
        impl<const N: usize> $crate::losses::FitsOutput<$crate::output::Classes<N>> for $ty {}
        impl $crate::losses::FitsOutput<$crate::output::AnyOutput> for $ty {}
    };
}
use {fits_class_scores, fits_every_output, fits_independent_outputs};

/// A training loss: `L(output, target)`, reduced to a mean over the batch. `Sync`, because a
/// trainer's threads share it.
pub trait Loss<T: Scalar>: Sync {
    /// Per-element target type: `u32` class index (sparse CE) or `T`.
    type Target: Copy + Send + Sync + 'static;

    /// Keras name, e.g. `"sparse_categorical_crossentropy"`.
    fn name(&self) -> &'static str;

    /// Targets per sample for a model with `outputs` outputs (1 for sparse labels, else
    /// `outputs`).
    fn targets_per_sample(&self, outputs: usize) -> usize;

    /// Validates targets once before training: labels `< outputs`, binary/categorical CE
    /// targets in `[0, 1]`, all values finite, length a multiple of
    /// [`targets_per_sample`](Loss::targets_per_sample). The error names the first offending
    /// sample and value.
    fn check_targets(&self, outputs: usize, targets: &[Self::Target]) -> Result<(), TargetError>;

    /// [`check_targets`](Loss::check_targets) plus the exact count: `targets.len()` must be
    /// `n · targets_per_sample(outputs)`.
    fn check_targets_for(
        &self,
        outputs: usize,
        n: usize,
        targets: &[Self::Target],
    ) -> Result<(), TargetError> {
        let expected = n * self.targets_per_sample(outputs);
        if targets.len() != expected {
            return Err(TargetError::WrongCount {
                expected,
                found: targets.len(),
            });
        }
        self.check_targets(outputs, targets)
    }

    /// Mean loss over the `n` samples, and its gradient written into `grad` (`outputs × n`,
    /// column-major).
    ///
    /// `logits` is the input of the model's output activation `act` (equal to `output` when
    /// `act` is `Linear`). Returns the loss and whether `grad` holds `∂L/∂output`
    /// ([`GradAt::Output`]) or `∂L/∂logits` ([`GradAt::Logits`], fused stable path).
    #[allow(clippy::too_many_arguments)]
    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[Self::Target],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt);

    /// The loss alone (evaluation), same conventions, no gradient.
    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[Self::Target],
        outputs: usize,
        n: usize,
    ) -> T;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

#[inline]
#[track_caller]
fn check_lengths(what: &str, len: usize, needed: usize) {
    assert!(
        len >= needed,
        "loss: `{what}` has {len} elements, needs at least {needed}"
    );
}

#[track_caller]
fn check_dense<T: Scalar>(
    output: &[T],
    target: &[T],
    outputs: usize,
    n: usize,
    grad: Option<&[T]>,
) -> usize {
    let len = outputs * n;
    check_lengths("output", output.len(), len);
    check_lengths("target", target.len(), len);
    if let Some(g) = grad {
        check_lengths("grad", g.len(), len);
    }
    len
}

fn check_dense_targets<T: Scalar>(
    outputs: usize,
    targets: &[T],
    unit_range: bool,
) -> Result<(), TargetError> {
    let per = outputs.max(1);
    if !targets.len().is_multiple_of(per) {
        return Err(TargetError::Ragged {
            per_sample: per,
            found: targets.len(),
        });
    }
    for (i, &t) in targets.iter().enumerate() {
        let value = t.to_f64();
        let (sample, index) = (i / per, i % per);
        if !value.is_finite() {
            return Err(TargetError::NonFinite {
                sample,
                index,
                value,
            });
        }
        if unit_range && !(0.0..=1.0).contains(&value) {
            return Err(TargetError::OutOfUnitRange {
                sample,
                index,
                value,
            });
        }
    }
    Ok(())
}

/// Numerically stable `σ(z) = 1/(1 + e^{−z})`.
#[inline]
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `−[y ln σ(z) + (1−y) ln(1−σ(z))] = max(z, 0) − z·y + ln(1 + e^{−|z|})`.
#[inline]
fn bce_with_logits(z: f64, y: f64) -> f64 {
    z.max(0.0) - z * y + (-z.abs()).exp().ln_1p()
}

#[inline]
fn clamp_prob(p: f64) -> f64 {
    p.clamp(EPSILON, 1.0 - EPSILON)
}

/// Softmax cross-entropy from logits for one sample, dense or one-hot targets.
///
/// `target(c)` gives `y_c`. Returns `Σ_c y_c·(lse − z_c)`; when `grad` is given writes
/// `scale·(softmax(z)·Σy − y)` into it.
#[inline]
fn softmax_ce_column<T: Scalar>(
    z: &[T],
    target: impl Fn(usize) -> f64,
    scale: f64,
    grad: Option<&mut [T]>,
) -> f64 {
    let m = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v.to_f64()));
    // A column of -inf (or NaN) logits has no meaningful softmax; fall back to 0 shift so the
    // result is NaN/inf rather than silently finite.
    let m = if m.is_finite() { m } else { 0.0 };
    let mut sum = 0.0;
    let mut sum_y = 0.0;
    let mut sum_yz = 0.0;
    for (c, &v) in z.iter().enumerate() {
        let zc = v.to_f64() - m;
        let y = target(c);
        sum += zc.exp();
        sum_y += y;
        sum_yz += y * zc;
    }
    let lse = sum.ln(); // of the shifted logits, ≥ 0
    if let Some(g) = grad {
        let inv = 1.0 / sum;
        for (c, (gc, &v)) in g.iter_mut().zip(z).enumerate() {
            let p = (v.to_f64() - m).exp() * inv;
            *gc = T::of(scale * (p * sum_y - target(c)));
        }
    }
    sum_y * lse - sum_yz
}
