//! SimpleRNN with back-propagation through time, Keras semantics.
//!
//! `kernel` is Keras' `[F, U]` (column-major a `U × F` matrix `W`), `recurrent_kernel` Keras'
//! `[U, U]` (a `U × U` matrix `R`). Per step `hₛ = tanh(W·xₛ + R·hₛ₋₁ + b)`, `h₀ = 0`. As in
//! `lstm`, one GEMM projects every step of every sample; the workspace keeps every hidden state
//! (`U × S` per sample) and a `U × S` buffer for `∂L/∂z` in backward.

use super::{dense, write_states};
use crate::Scalar;

/// Forward over `n` samples: `h` holds `U·S` scalars per sample; `y` gets the last hidden state
/// (`U` per sample) or, with `sequences`, every hidden state (`U·S`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn forward<T: Scalar, const S: usize, const F: usize, const U: usize>(
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    h: &mut [T],
    y: &mut [T],
    sequences: bool,
    n: usize,
) {
    let (kernel, recurrent) = (&kernel[..U * F], &recurrent[..U * U]);
    let h = &mut h[..U * S * n];
    dense::affine(U, S * n, F, kernel, bias, x, h);
    for j in 0..n {
        let hs = &mut h[j * U * S..(j + 1) * U * S];
        for s in 0..S {
            let (done, rest) = hs.split_at_mut(s * U);
            let z = &mut rest[..U];
            if s > 0 {
                T::gemm_nn(U, 1, U, recurrent, &done[(s - 1) * U..], z, true);
            }
            for v in z.iter_mut() {
                *v = v.tanh();
            }
        }
        write_states(hs, y, j, U, sequences);
    }
}

/// Backward over `n` samples from `∂L/∂y` (`grad_y`, shaped like `y`): `delta` (`U·S` per
/// sample) receives `∂L/∂z`, `carry` (`U`) is `∂L/∂hₛ` flowing back a step. Writes
/// `∂L/∂kernel`, `∂L/∂recurrent_kernel`, `∂L/∂bias` and, when asked, `∂L/∂x`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn backward<T: Scalar, const S: usize, const F: usize, const U: usize>(
    kernel: &[T],
    recurrent: &[T],
    x: &[T],
    h: &[T],
    delta: &mut [T],
    grad_y: &[T],
    carry: &mut [T],
    sequences: bool,
    grad_kernel: &mut [T],
    grad_recurrent: &mut [T],
    grad_bias: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
    n: usize,
) {
    let (kernel, recurrent) = (&kernel[..U * F], &recurrent[..U * U]);
    let delta = &mut delta[..U * S * n];
    let grad_recurrent = &mut grad_recurrent[..U * U];
    grad_recurrent.fill(T::zero());
    let dh_next = &mut carry[..U];
    for j in 0..n {
        let ds = &mut delta[j * U * S..(j + 1) * U * S];
        let hs = &h[j * U * S..(j + 1) * U * S];
        dh_next.fill(T::zero());
        for s in (0..S).rev() {
            let dy = if sequences {
                Some(&grad_y[(j * S + s) * U..(j * S + s + 1) * U])
            } else if s == S - 1 {
                Some(&grad_y[j * U..(j + 1) * U])
            } else {
                None
            };
            let d = &mut ds[s * U..(s + 1) * U];
            for k in 0..U {
                let dh = dh_next[k] + dy.map_or(T::zero(), |g| g[k]);
                let hk = hs[s * U + k];
                d[k] = dh * (T::one() - hk * hk);
            }
            // ∂L/∂hₛ₋₁ = Rᵀ·δₛ.
            T::gemm_tn(U, 1, U, recurrent, d, dh_next, false);
        }
        // ∂L/∂R += Σₛ₌₁ δₛ·hₛ₋₁ᵀ.
        if S > 1 {
            T::gemm_nt(
                U,
                U,
                S - 1,
                &ds[U..],
                &hs[..U * (S - 1)],
                grad_recurrent,
                true,
            );
        }
    }
    dense::affine_backward(
        U,
        S * n,
        F,
        kernel,
        x,
        delta,
        grad_kernel,
        grad_bias,
        grad_x,
    );
}
