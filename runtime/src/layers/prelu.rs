//! PReLU: `y = x` where `x > 0`, else `α·x`, with one learned `α` per feature or channel (the
//! last axis of channels-last data: row after row of `C` values).
//!
//! Backward: `∂L/∂x = ∂L/∂y` where `x > 0`, else `α·∂L/∂y`; `∂L/∂α = Σ ∂L/∂y·x` over `x ≤ 0`.

use crate::Scalar;

/// Forward over `len` values (rows of `c`), also for `predict` (one sample).
pub fn forward<T: Scalar>(c: usize, len: usize, x: &[T], alpha: &[T], y: &mut [T]) {
    for (xr, yr) in x[..len].chunks_exact(c).zip(y[..len].chunks_exact_mut(c)) {
        for ((o, &v), &a) in yr.iter_mut().zip(xr).zip(&alpha[..c]) {
            *o = if v > T::zero() { v } else { a * v };
        }
    }
}

/// Backward over `len` values: `∂L/∂α` and, when asked, `∂L/∂x`.
pub fn backward<T: Scalar>(
    c: usize,
    len: usize,
    x: &[T],
    alpha: &[T],
    grad_y: &[T],
    grad_alpha: &mut [T],
    mut grad_x: Option<&mut [T]>,
) {
    let grad_alpha = &mut grad_alpha[..c];
    grad_alpha.fill(T::zero());
    for (r, (xr, gr)) in x[..len]
        .chunks_exact(c)
        .zip(grad_y.chunks_exact(c))
        .enumerate()
    {
        for k in 0..c {
            let negative = xr[k] <= T::zero();
            if negative {
                grad_alpha[k] += gr[k] * xr[k];
            }
            if let Some(gx) = grad_x.as_deref_mut() {
                gx[r * c + k] = if negative { alpha[k] * gr[k] } else { gr[k] };
            }
        }
    }
}
