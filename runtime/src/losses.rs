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

/// A training loss: `L(output, target)`, reduced to a mean over the batch.
pub trait Loss<T: Scalar> {
    /// Per-element target type: `u32` class index (sparse CE) or `T`.
    type Target: Copy + Send + Sync + 'static;

    /// Smallest output width the loss accepts (2 for (sparse) categorical CE, else 1).
    const MIN_OUTPUTS: usize = 1;

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

// ---------------------------------------------------------------------------------------------
// Regression losses
// ---------------------------------------------------------------------------------------------

/// Mean squared error: `L = (1/N)·Σ (o − y)²`, `∂L/∂o = 2(o − y)/N`, `N = outputs·n`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanSquaredError;

/// Mean absolute error: `L = (1/N)·Σ |o − y|`, `∂L/∂o = sign(o − y)/N` (0 at `o = y`, like
/// PyTorch), `N = outputs·n`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanAbsoluteError;

/// Huber loss: with `d = o − y`, `ℓ = d²/2` if `|d| ≤ δ`, else `δ(|d| − δ/2)`;
/// `L = (1/N)·Σ ℓ`, `∂L/∂o = clamp(d, −δ, δ)/N`. Default `δ = 1` (Keras and PyTorch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Huber {
    /// The threshold `δ > 0` between the quadratic and the linear regime.
    pub delta: f64,
}

impl Default for Huber {
    fn default() -> Self {
        Huber { delta: 1.0 }
    }
}

/// Element-wise mean loss: `f(d) -> (ℓ, ∂ℓ/∂d)` with `d = o − y`.
#[inline]
fn elementwise<T: Scalar>(
    output: &[T],
    target: &[T],
    len: usize,
    grad: Option<&mut [T]>,
    f: impl Fn(f64) -> (f64, f64),
) -> T {
    if len == 0 {
        return T::zero();
    }
    let inv = 1.0 / len as f64;
    let mut acc = 0.0;
    match grad {
        Some(g) => {
            for ((gi, &o), &y) in g[..len].iter_mut().zip(&output[..len]).zip(&target[..len]) {
                let (l, dl) = f(o.to_f64() - y.to_f64());
                acc += l;
                *gi = T::of(dl * inv);
            }
        }
        None => {
            for (&o, &y) in output[..len].iter().zip(&target[..len]) {
                acc += f(o.to_f64() - y.to_f64()).0;
            }
        }
    }
    T::of(acc * inv)
}

macro_rules! regression_loss {
    ($ty:ty, $name:literal, |$self:ident, $d:ident| $f:expr) => {
        impl<T: Scalar> Loss<T> for $ty {
            type Target = T;

            fn name(&self) -> &'static str {
                $name
            }

            fn targets_per_sample(&self, outputs: usize) -> usize {
                outputs
            }

            fn check_targets(&self, outputs: usize, targets: &[T]) -> Result<(), TargetError> {
                check_dense_targets(outputs, targets, false)
            }

            fn loss_and_grad(
                &self,
                _act: OutputActivation,
                _logits: &[T],
                output: &[T],
                target: &[T],
                outputs: usize,
                n: usize,
                grad: &mut [T],
            ) -> (T, GradAt) {
                let len = check_dense(output, target, outputs, n, Some(grad));
                let $self = self;
                let l = elementwise(output, target, len, Some(grad), |$d| $f);
                (l, GradAt::Output)
            }

            fn loss(
                &self,
                _act: OutputActivation,
                _logits: &[T],
                output: &[T],
                target: &[T],
                outputs: usize,
                n: usize,
            ) -> T {
                let len = check_dense(output, target, outputs, n, None);
                let $self = self;
                elementwise(output, target, len, None, |$d| $f)
            }
        }
    };
}

regression_loss!(MeanSquaredError, "mean_squared_error", |_s, d| (
    d * d,
    2.0 * d
));
regression_loss!(MeanAbsoluteError, "mean_absolute_error", |_s, d| (
    d.abs(),
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
));
regression_loss!(Huber, "huber_loss", |s, d| {
    let delta = s.delta;
    if d.abs() <= delta {
        (0.5 * d * d, d)
    } else {
        (delta * (d.abs() - 0.5 * delta), delta * d.signum())
    }
});

// ---------------------------------------------------------------------------------------------
// Binary cross-entropy
// ---------------------------------------------------------------------------------------------

/// Binary cross-entropy, element-wise and averaged over all `N = outputs·n` elements
/// (multi-label models may have several outputs):
/// `L = −(1/N)·Σ [y ln p + (1−y) ln(1−p)]`.
///
/// * On probabilities (`from_logits: false`, model not ending in a sigmoid): `p` is clamped to
///   `[ε, 1−ε]`, `ε = 1e-7` like Keras, and `∂L/∂p = (p − y)/(p(1−p))/N` evaluated at the
///   clamped `p` (so a saturated output still gets a bounded, correctly signed push; TF would
///   return 0 there). PyTorch's `BCELoss` instead clamps `ln` at −100; the two agree inside
///   `[ε, 1−ε]`.
/// * Fused (`from_logits: false`, output activation `Sigmoid`): from the logits `z`,
///   `ℓ = max(z,0) − z·y + ln(1 + e^{−|z|})`, `∂L/∂z = (σ(z) − y)/N`, [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BinaryCrossentropy {
    /// Whether the model output is a logit rather than a probability.
    pub from_logits: bool,
}

impl BinaryCrossentropy {
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        len: usize,
        grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let fused = !self.from_logits && act == OutputActivation::Sigmoid;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            let at = if fused {
                GradAt::Logits
            } else {
                GradAt::Output
            };
            if len == 0 {
                return (T::zero(), at);
            }
            let inv = 1.0 / len as f64;
            let mut acc = 0.0;
            match grad {
                Some(g) => {
                    for ((gi, &z), &y) in g[..len].iter_mut().zip(&z[..len]).zip(&target[..len]) {
                        let (z, y) = (z.to_f64(), y.to_f64());
                        acc += bce_with_logits(z, y);
                        *gi = T::of((sigmoid(z) - y) * inv);
                    }
                }
                None => {
                    for (&z, &y) in z[..len].iter().zip(&target[..len]) {
                        acc += bce_with_logits(z.to_f64(), y.to_f64());
                    }
                }
            }
            (T::of(acc * inv), at)
        } else {
            (bce_probs(output, target, len, grad), GradAt::Output)
        }
    }
}

/// BCE on probabilities; writes `∂L/∂p` into `grad` when given.
fn bce_probs<T: Scalar>(output: &[T], target: &[T], len: usize, grad: Option<&mut [T]>) -> T {
    if len == 0 {
        return T::zero();
    }
    let inv = 1.0 / len as f64;
    let mut acc = 0.0;
    let term = |p: f64, y: f64| -(y * p.ln() + (1.0 - y) * (1.0 - p).ln());
    match grad {
        Some(g) => {
            for ((gi, &p), &y) in g[..len].iter_mut().zip(&output[..len]).zip(&target[..len]) {
                let (p, y) = (clamp_prob(p.to_f64()), y.to_f64());
                acc += term(p, y);
                *gi = T::of((p - y) / (p * (1.0 - p)) * inv);
            }
        }
        None => {
            for (&p, &y) in output[..len].iter().zip(&target[..len]) {
                acc += term(clamp_prob(p.to_f64()), y.to_f64());
            }
        }
    }
    T::of(acc * inv)
}

impl<T: Scalar> Loss<T> for BinaryCrossentropy {
    type Target = T;

    fn name(&self) -> &'static str {
        "binary_crossentropy"
    }

    fn targets_per_sample(&self, outputs: usize) -> usize {
        outputs
    }

    fn check_targets(&self, outputs: usize, targets: &[T]) -> Result<(), TargetError> {
        check_dense_targets(outputs, targets, true)
    }

    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt) {
        let len = check_dense(output, target, outputs, n, Some(grad));
        self.eval(act, logits, output, target, len, Some(grad))
    }

    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
    ) -> T {
        let len = check_dense(output, target, outputs, n, None);
        self.eval(act, logits, output, target, len, None).0
    }
}

// ---------------------------------------------------------------------------------------------
// Categorical cross-entropy
// ---------------------------------------------------------------------------------------------

/// Categorical cross-entropy with dense (one-hot or probability) targets: summed over the
/// classes of a sample, averaged over the `B = n` samples: `L = −(1/B)·Σ_j Σ_c y_jc ln p_jc`.
///
/// * On probabilities (`from_logits: false`, output activation not `Softmax`): `p` is clamped to
///   `[ε, 1−ε]` (`ε = 1e-7`) and `∂L/∂p = −y/p/B` (PyTorch's convention, evaluated at the
///   clamped `p`). **Keras additionally renormalises** each column to sum 1 before the clamp,
///   which adds `+Σ_c y_c/(B·Σ_c p_c)` to every entry of the gradient; for a softmax output
///   (column sum 1) the two agree, and the gradient with respect to the logits is the same.
/// * Fused (`from_logits: false`, output activation `Softmax`): stable log-softmax of the
///   logits, `ℓ = Σ_c y_c (lse(z) − z_c)`, `∂L/∂z = (softmax(z)·Σ_c y_c − y)/B`
///   (`= (softmax − y)/B` for targets summing to 1), [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
///
/// Targets must be finite and in `[0, 1]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CategoricalCrossentropy {
    /// Whether the model output is logits rather than probabilities.
    pub from_logits: bool,
}

impl CategoricalCrossentropy {
    #[allow(clippy::too_many_arguments)]
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
        mut grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let len = check_dense(output, target, outputs, n, grad.as_deref());
        let fused = !self.from_logits && act == OutputActivation::Softmax;
        let at = if fused {
            GradAt::Logits
        } else {
            GradAt::Output
        };
        if n == 0 || outputs == 0 {
            return (T::zero(), at);
        }
        let inv = 1.0 / n as f64;
        let mut acc = 0.0;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            for j in 0..n {
                let r = j * outputs..(j + 1) * outputs;
                let y = &target[r.clone()];
                let g = grad.as_deref_mut().map(|g| &mut g[r.clone()]);
                acc += softmax_ce_column(&z[r], |c| y[c].to_f64(), inv, g);
            }
        } else {
            match grad {
                Some(g) => {
                    for ((gi, &p), &y) in
                        g[..len].iter_mut().zip(&output[..len]).zip(&target[..len])
                    {
                        let (p, y) = (clamp_prob(p.to_f64()), y.to_f64());
                        acc -= y * p.ln();
                        *gi = T::of(-y / p * inv);
                    }
                }
                None => {
                    for (&p, &y) in output[..len].iter().zip(&target[..len]) {
                        acc -= y.to_f64() * clamp_prob(p.to_f64()).ln();
                    }
                }
            }
        }
        (T::of(acc * inv), at)
    }
}

impl<T: Scalar> Loss<T> for CategoricalCrossentropy {
    type Target = T;
    const MIN_OUTPUTS: usize = 2;

    fn name(&self) -> &'static str {
        "categorical_crossentropy"
    }

    fn targets_per_sample(&self, outputs: usize) -> usize {
        outputs
    }

    fn check_targets(&self, outputs: usize, targets: &[T]) -> Result<(), TargetError> {
        check_dense_targets(outputs, targets, true)
    }

    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt) {
        self.eval(act, logits, output, target, outputs, n, Some(grad))
    }

    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
    ) -> T {
        self.eval(act, logits, output, target, outputs, n, None).0
    }
}

// ---------------------------------------------------------------------------------------------
// Sparse categorical cross-entropy
// ---------------------------------------------------------------------------------------------

/// Categorical cross-entropy with integer class labels `k_j < outputs`:
/// `L = −(1/B)·Σ_j ln p_{j,k_j}`.
///
/// * On probabilities (`from_logits: false`, output activation not `Softmax`): `p` clamped to
///   `[ε, 1−ε]`; `∂L/∂p_jc = −[c = k_j]/p_jc/B` (no renormalisation, see
///   [`CategoricalCrossentropy`]).
/// * Fused (`from_logits: false`, output activation `Softmax`): `ℓ = lse(z) − z_k`,
///   `∂L/∂z = (softmax(z) − onehot(k))/B`, [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SparseCategoricalCrossentropy {
    /// Whether the model output is logits rather than probabilities.
    pub from_logits: bool,
}

impl SparseCategoricalCrossentropy {
    #[allow(clippy::too_many_arguments)]
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
        mut grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let len = outputs * n;
        check_lengths("output", output.len(), len);
        check_lengths("target", target.len(), n);
        if let Some(g) = grad.as_deref() {
            check_lengths("grad", g.len(), len);
        }
        let fused = !self.from_logits && act == OutputActivation::Softmax;
        let at = if fused {
            GradAt::Logits
        } else {
            GradAt::Output
        };
        if n == 0 || outputs == 0 {
            return (T::zero(), at);
        }
        let inv = 1.0 / n as f64;
        let mut acc = 0.0;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            for (j, &k) in target[..n].iter().enumerate() {
                let k = k as usize;
                assert!(
                    k < outputs,
                    "sample {j}: class label {k} ≥ {outputs} outputs"
                );
                let r = j * outputs..(j + 1) * outputs;
                let g = grad.as_deref_mut().map(|g| &mut g[r.clone()]);
                acc += softmax_ce_column(&z[r], |c| if c == k { 1.0 } else { 0.0 }, inv, g);
            }
        } else {
            for (j, &k) in target[..n].iter().enumerate() {
                let k = k as usize;
                assert!(
                    k < outputs,
                    "sample {j}: class label {k} ≥ {outputs} outputs"
                );
                let p = clamp_prob(output[j * outputs + k].to_f64());
                acc -= p.ln();
                if let Some(g) = grad.as_deref_mut() {
                    let col = &mut g[j * outputs..(j + 1) * outputs];
                    col.fill(T::zero());
                    col[k] = T::of(-inv / p);
                }
            }
        }
        (T::of(acc * inv), at)
    }
}

impl<T: Scalar> Loss<T> for SparseCategoricalCrossentropy {
    type Target = u32;
    const MIN_OUTPUTS: usize = 2;

    fn name(&self) -> &'static str {
        "sparse_categorical_crossentropy"
    }

    fn targets_per_sample(&self, _outputs: usize) -> usize {
        1
    }

    fn check_targets(&self, outputs: usize, targets: &[u32]) -> Result<(), TargetError> {
        match targets.iter().position(|&k| k as usize >= outputs) {
            Some(sample) => Err(TargetError::LabelOutOfRange {
                sample,
                label: targets[sample],
                classes: outputs,
            }),
            None => Ok(()),
        }
    }

    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt) {
        self.eval(act, logits, output, target, outputs, n, Some(grad))
    }

    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
    ) -> T {
        self.eval(act, logits, output, target, outputs, n, None).0
    }
}
