//! Regression losses: mean squared error, mean absolute error, Huber.

use super::*;

fits_every_output!(MeanSquaredError);
fits_every_output!(MeanAbsoluteError);
fits_every_output!(Huber);

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
