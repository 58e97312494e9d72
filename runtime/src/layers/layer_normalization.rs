//! LayerNormalization over the last axis: every row of `F` values (a vector, or one time step
//! of a sequence) is normalised on its own.
//!
//! `μ = Σx/F`, `σ² = Σ(x − μ)²/F` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`.
//! Backward, with `ĝ = γ·∂L/∂y`: `∂L/∂x = (1/√(σ² + ε))·(ĝ − Σĝ/F − x̂·Σ(ĝ·x̂)/F)`,
//! `∂L/∂γ = Σ ∂L/∂y·x̂`, `∂L/∂β = Σ ∂L/∂y` over every row of the batch.

use crate::Scalar;

/// Forward over `rows` rows of `f` values: `xhat`, `inv_std` (one per row) and `y`.
#[allow(clippy::too_many_arguments)]
pub fn forward<T: Scalar>(
    f: usize,
    rows: usize,
    x: &[T],
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    epsilon: T,
    inv_std: &mut [T],
    xhat: &mut [T],
    y: &mut [T],
) {
    for (r, inv_std) in inv_std[..rows].iter_mut().enumerate() {
        let range = r * f..(r + 1) * f;
        *inv_std = normalise_row(&x[range.clone()], epsilon, &mut xhat[range.clone()]);
        let out = &mut y[range.clone()];
        for (k, (o, &h)) in out.iter_mut().zip(&xhat[range]).enumerate() {
            *o = gamma.map_or(T::one(), |g| g[k]) * h + beta.map_or(T::zero(), |b| b[k]);
        }
    }
}

/// `x̂` of one row; returns `1/√(σ² + ε)`.
#[inline]
fn normalise_row<T: Scalar>(x: &[T], epsilon: T, xhat: &mut [T]) -> T {
    let count = T::of(x.len() as f64);
    let mean = x.iter().fold(T::zero(), |s, &v| s + v) / count;
    let var = x
        .iter()
        .fold(T::zero(), |s, &v| s + (v - mean) * (v - mean))
        / count;
    let inv_std = T::one() / (var + epsilon).sqrt();
    for (h, &v) in xhat.iter_mut().zip(x) {
        *h = (v - mean) * inv_std;
    }
    inv_std
}

/// Backward over `rows` rows from `grad_y`: `∂L/∂γ`, `∂L/∂β` and, when asked, `∂L/∂x`.
#[allow(clippy::too_many_arguments)]
pub fn backward<T: Scalar>(
    f: usize,
    rows: usize,
    gamma: Option<&[T]>,
    xhat: &[T],
    inv_std: &[T],
    grad_y: &[T],
    mut grad_gamma: Option<&mut [T]>,
    mut grad_beta: Option<&mut [T]>,
    mut grad_x: Option<&mut [T]>,
) {
    for g in [grad_gamma.as_deref_mut(), grad_beta.as_deref_mut()]
        .into_iter()
        .flatten()
    {
        g[..f].fill(T::zero());
    }
    let count = T::of(f as f64);
    for (r, &inv_std) in inv_std[..rows].iter().enumerate() {
        let range = r * f..(r + 1) * f;
        let (g, h) = (&grad_y[range.clone()], &xhat[range.clone()]);
        let (mut sum, mut sum_h) = (T::zero(), T::zero());
        for k in 0..f {
            let scaled = gamma.map_or(T::one(), |gm| gm[k]) * g[k];
            sum += scaled;
            sum_h += scaled * h[k];
            if let Some(gg) = grad_gamma.as_deref_mut() {
                gg[k] += g[k] * h[k];
            }
            if let Some(gb) = grad_beta.as_deref_mut() {
                gb[k] += g[k];
            }
        }
        if let Some(gx) = grad_x.as_deref_mut() {
            let out = &mut gx[range];
            for k in 0..f {
                let scaled = gamma.map_or(T::one(), |gm| gm[k]) * g[k];
                out[k] = inv_std * (scaled - sum / count - h[k] * sum_h / count);
            }
        }
    }
}

/// Inference on one sample (`x.len() / f` rows), into `y`.
pub fn predict<T: Scalar>(
    f: usize,
    x: &[T],
    gamma: Option<&[T]>,
    beta: Option<&[T]>,
    epsilon: T,
    y: &mut [T],
) {
    for (xr, yr) in x.chunks_exact(f).zip(y.chunks_exact_mut(f)) {
        normalise_row(xr, epsilon, yr);
        for (k, o) in yr.iter_mut().enumerate() {
            *o = gamma.map_or(T::one(), |g| g[k]) * *o + beta.map_or(T::zero(), |b| b[k]);
        }
    }
}
