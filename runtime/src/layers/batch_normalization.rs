//! BatchNormalization over channels-last data: every sample is `rows` rows of `C` values
//! (one row for a vector, one per pixel of an image, one per time step of a sequence), and
//! each of the `C` features or channels is normalised over every row of the batch.
//!
//! Training: `μ = Σx/m`, `σ² = Σ(x − μ)²/m` (biased) over the `m = n·rows` rows,
//! `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`. Backward through the statistics:
//! `∂L/∂x = (γ/√(σ² + ε))/m · (m·g − Σg − x̂·Σ(g·x̂))` with `g = ∂L/∂y`, `∂L/∂γ = Σ g·x̂`,
//! `∂L/∂β = Σ g`. Inference uses the moving statistics as constants: `∂L/∂x = γ·g/√(σ²ₘ + ε)`.

use crate::Scalar;

/// The `C` values of row `r` of a channels-last slice.
#[inline]
fn row<T>(values: &[T], c: usize, r: usize) -> &[T] {
    &values[r * c..(r + 1) * c]
}

/// Training-mode forward over `rows` rows of `c` values: the batch's `mean` and biased `var`,
/// `inv_std = 1/√(var + ε)`, `xhat` and `y`.
#[allow(clippy::too_many_arguments)]
pub fn forward_train<T: Scalar>(
    c: usize,
    rows: usize,
    x: &[T],
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    epsilon: T,
    mean: &mut [T],
    var: &mut [T],
    inv_std: &mut [T],
    xhat: &mut [T],
    y: &mut [T],
) {
    let (mean, var) = (&mut mean[..c], &mut var[..c]);
    let count = T::of(rows as f64);
    mean.fill(T::zero());
    for r in 0..rows {
        for (m, &v) in mean.iter_mut().zip(row(x, c, r)) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= count);
    var.fill(T::zero());
    for r in 0..rows {
        for ((s, &v), &m) in var.iter_mut().zip(row(x, c, r)).zip(mean.iter()) {
            *s += (v - m) * (v - m);
        }
    }
    var.iter_mut().for_each(|s| *s /= count);
    forward_infer(
        c, rows, x, gamma, beta, epsilon, mean, var, inv_std, xhat, y,
    );
}

/// Inference-mode forward with the moving statistics as `mean` and `var` (training calls it
/// with the batch's): `x̂ = (x − mean)·inv_std` and `y = γ·x̂ + β`, with
/// `inv_std = 1/√(var + ε)`.
#[allow(clippy::too_many_arguments)]
pub fn forward_infer<T: Scalar>(
    c: usize,
    rows: usize,
    x: &[T],
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    epsilon: T,
    mean: &[T],
    var: &[T],
    inv_std: &mut [T],
    xhat: &mut [T],
    y: &mut [T],
) {
    let inv_std = &mut inv_std[..c];
    for (s, &v) in inv_std.iter_mut().zip(&var[..c]) {
        *s = T::one() / (v + epsilon).sqrt();
    }
    for r in 0..rows {
        let range = r * c..(r + 1) * c;
        let (xr, hr) = (&x[range.clone()], &mut xhat[range.clone()]);
        for k in 0..c {
            hr[k] = (xr[k] - mean[k]) * inv_std[k];
        }
        scale_shift(hr, gamma, beta, &mut y[range]);
    }
}

/// `y = γ·x̂ + β` for one row (γ = 1, β = 0 when absent).
#[inline]
fn scale_shift<T: Scalar>(xhat: &[T], gamma: Option<&[T]>, beta: Option<&[T]>, y: &mut [T]) {
    for (k, (out, &h)) in y.iter_mut().zip(xhat).enumerate() {
        let g = gamma.map_or(T::one(), |g| g[k]);
        let b = beta.map_or(T::zero(), |b| b[k]);
        *out = g * h + b;
    }
}

/// Backward over `rows` rows from `grad_y`: `∂L/∂γ`, `∂L/∂β` and, when asked, `∂L/∂x`, through
/// the batch statistics when the forward pass was in `training` mode.
#[allow(clippy::too_many_arguments)]
pub fn backward<T: Scalar>(
    c: usize,
    rows: usize,
    training: bool,
    gamma: Option<&[T]>,
    xhat: &[T],
    inv_std: &[T],
    grad_y: &[T],
    sums: &mut [T],
    grad_gamma: Option<&mut [T]>,
    grad_beta: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
) {
    // Σg and Σg·x̂ per channel.
    let (sum_g, sum_gh) = sums[..2 * c].split_at_mut(c);
    sum_g.fill(T::zero());
    sum_gh.fill(T::zero());
    for r in 0..rows {
        for (k, (&g, &h)) in row(grad_y, c, r).iter().zip(row(xhat, c, r)).enumerate() {
            sum_g[k] += g;
            sum_gh[k] += g * h;
        }
    }
    if let Some(grad_gamma) = grad_gamma {
        grad_gamma[..c].copy_from_slice(sum_gh);
    }
    if let Some(grad_beta) = grad_beta {
        grad_beta[..c].copy_from_slice(sum_g);
    }
    let Some(grad_x) = grad_x else { return };
    let count = T::of(rows as f64);
    for r in 0..rows {
        let range = r * c..(r + 1) * c;
        let (gr, hr, out) = (
            &grad_y[range.clone()],
            &xhat[range.clone()],
            &mut grad_x[range],
        );
        for k in 0..c {
            let scale = gamma.map_or(T::one(), |g| g[k]) * inv_std[k];
            out[k] = if training {
                scale * (gr[k] - sum_g[k] / count - hr[k] * sum_gh[k] / count)
            } else {
                scale * gr[k]
            };
        }
    }
}

/// Moves the moving statistics toward the batch's, Keras' way:
/// `moving = momentum·moving + (1 − momentum)·batch`. With `unbiased` (PyTorch's convention)
/// the batch variance enters as `var·m/(m − 1)` over its `count` rows.
#[allow(clippy::too_many_arguments)]
pub fn update_moving<T: Scalar>(
    c: usize,
    count: usize,
    momentum: T,
    unbiased: bool,
    mean: &[T],
    var: &[T],
    moving_mean: &mut [T],
    moving_var: &mut [T],
) {
    let correction = if unbiased && count > 1 {
        T::of(count as f64 / (count - 1) as f64)
    } else {
        T::one()
    };
    let keep = T::one() - momentum;
    for k in 0..c {
        moving_mean[k] = momentum * moving_mean[k] + keep * mean[k];
        moving_var[k] = momentum * moving_var[k] + keep * var[k] * correction;
    }
}

/// Inference on one sample of `rows` rows, in place of `y`'s values: `y = γ·(x − μₘ)/√(σ²ₘ + ε) + β`.
#[allow(clippy::too_many_arguments)]
pub fn predict<T: Scalar>(
    c: usize,
    x: &[T],
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    epsilon: T,
    moving_mean: &[T],
    moving_var: &[T],
    y: &mut [T],
) {
    for (xr, yr) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        for k in 0..c {
            let h = (xr[k] - moving_mean[k]) / (moving_var[k] + epsilon).sqrt();
            let g = gamma.map_or(T::one(), |g| g[k]);
            yr[k] = g * h + beta.map_or(T::zero(), |b| b[k]);
        }
    }
}
