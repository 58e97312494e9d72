//! SimpleRNN with back-propagation through time, Keras semantics.
//!
//! `kernel` is Keras' `[F, U]` (column-major a `U × F` matrix `W`), `recurrent_kernel` Keras'
//! `[U, U]` (a `U × U` matrix `R`). Per step `hₛ = f(zₛ)`, `zₛ = W·xₛ + R·hₛ₋₁ + b`, with the
//! element-wise `activation` `f` (`tanh` by default), `h₀ = 0`. As in `lstm`, one GEMM projects
//! every step of every sample; the workspace keeps every hidden state and every `zₛ` (`U × S`
//! per sample each), and backward turns the latter into `∂L/∂z` in place.

use super::activation::Elementwise;
use super::recurrent::{add_recurrent_kernel_grad, state_grad, write_states};
use super::{dense, wide};
use crate::kernels::step::{self, Side};
use crate::Scalar;

/// Forward over `n` samples: `h` and `pre` hold `U·S` scalars per sample (the states and their
/// pre-activations); `y` gets the last hidden state (`U` per sample) or, with `sequences`, every
/// hidden state (`U·S`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn forward<T: Scalar, A: Elementwise<T>, const S: usize, const F: usize, const U: usize>(
    act: &A,
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    pre: &mut [T],
    h: &mut [T],
    y: &mut [T],
    sequences: bool,
    n: usize,
) {
    wide(
        #[inline(always)]
        || {
            let (kernel, recurrent) = (&kernel[..U * F], &recurrent[..U * U]);
            let h = &mut h[..U * S * n];
            dense::affine(U, S * n, F, kernel, bias, x, h);
            for j in 0..n {
                let hs = &mut h[j * U * S..(j + 1) * U * S];
                for s in 0..S {
                    let (done, rest) = hs.split_at_mut(s * U);
                    let z = &mut rest[..U];
                    if s > 0 {
                        dense::matvec(U, U, recurrent, &done[(s - 1) * U..], z);
                    }
                    pre[(j * S + s) * U..(j * S + s + 1) * U].copy_from_slice(z);
                    for v in z.iter_mut() {
                        *v = act.f(*v);
                    }
                }
                write_states(hs, y, j, U, sequences);
            }
        },
    )
}

/// Scalars of scratch [`step`] needs for `units` units (its pre-activation `z`).
pub const fn step_scratch(units: usize) -> usize {
    units
}

/// One time step of streaming inference: from the kept state `h = hₛ₋₁` and the input
/// `x = xₛ` (`F` scalars) to `h = hₛ = f(b + W·xₛ + R·hₛ₋₁)`, the product one fused pass
/// ([`step::gates`]); `z` is [`step_scratch`] scalars of scratch.
#[inline]
pub fn step<T: Scalar, A: Elementwise<T>, const F: usize, const U: usize>(
    act: &A,
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    h: &mut [T],
    z: &mut [T],
) {
    wide(
        #[inline(always)]
        || {
            let z = &mut z[..step_scratch(U)];
            let input = Side {
                a: kernel,
                stride: U,
                x: &x[..F],
            };
            let hidden = Side {
                a: recurrent,
                stride: U,
                x: &h[..U],
            };
            step::gates(U, input, hidden, bias, z);
            for (hk, zk) in h[..U].iter_mut().zip(z.iter()) {
                *hk = act.f(*zk);
            }
        },
    )
}

/// Backward over `n` samples from `∂L/∂y` (`grad_y`, shaped like `y`): `delta` (`U·S` per
/// sample, forward's `pre`) turns into `∂L/∂z`, `carry` (`U`) is `∂L/∂hₛ` flowing back a step. Writes
/// `∂L/∂kernel`, `∂L/∂recurrent_kernel`, `∂L/∂bias` and, when asked, `∂L/∂x`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn backward<T: Scalar, A: Elementwise<T>, const S: usize, const F: usize, const U: usize>(
    act: &A,
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
    wide(
        #[inline(always)]
        || {
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
                    let dy = state_grad(grad_y, j, s, S, U, sequences);
                    let d = &mut ds[s * U..(s + 1) * U];
                    for k in 0..U {
                        let dh = dh_next[k] + dy.map_or(T::zero(), |g| g[k]);
                        let hk = hs[s * U + k];
                        d[k] = dh * act.df(d[k], hk);
                    }
                    // ∂L/∂hₛ₋₁ = Rᵀ·δₛ.
                    dense::matvec_transposed(U, U, recurrent, d, dh_next);
                }
                // ∂L/∂R += Σₛ₌₁ δₛ·hₛ₋₁ᵀ.
                add_recurrent_kernel_grad(U, U, S, ds, hs, grad_recurrent);
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
        },
    )
}
