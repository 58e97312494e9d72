//! LSTM with back-propagation through time, Keras semantics (gate order `i, f, c, o`, which is
//! PyTorch's `i, f, g, o`).
//!
//! `kernel` is Keras' `[F, 4U]` (column-major a `4U × F` matrix `W`), `recurrent_kernel` Keras'
//! `[U, 4U]` (a `4U × U` matrix `R`). Per step, `z = W·xₛ + R·hₛ₋₁ + b`; `i, f, o = σ(·)`,
//! `g = tanh(·)`; `cₛ = f⊙cₛ₋₁ + i⊙g`; `hₛ = o⊙tanh(cₛ)`; `h₀ = c₀ = 0`.
//!
//! A sequence sample `[S, F]` (timestep-major) is column-major an `F × S` matrix, so a batch of
//! `n` samples is one `F × S·n` matrix and the input projection of every step of every sample
//! is a single GEMM. Per sample the workspace keeps, for every step, the activated gates
//! (`4U × S`), the cell states and the hidden states (`U × S` each); backward walks the steps in
//! reverse and turns `gates` into `∂L/∂z` in place.

use super::activation::sigmoid;
use super::{dense, write_states};
use crate::Scalar;

/// Forward over `n` samples. `gates` holds `4U·S`, `c` and `h` `U·S` scalars per sample; `y` gets
/// the last hidden state (`U` per sample) or, with `sequences`, every hidden state (`U·S`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn forward<T: Scalar, const S: usize, const F: usize, const U: usize>(
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    gates: &mut [T],
    c: &mut [T],
    h: &mut [T],
    y: &mut [T],
    sequences: bool,
    n: usize,
) {
    let g4 = 4 * U;
    let (kernel, recurrent) = (&kernel[..g4 * F], &recurrent[..g4 * U]);
    let gates = &mut gates[..g4 * S * n];
    dense::affine(g4, S * n, F, kernel, bias, x, gates);
    for j in 0..n {
        let zs = &mut gates[j * g4 * S..(j + 1) * g4 * S];
        let cs = &mut c[j * U * S..(j + 1) * U * S];
        let hs = &mut h[j * U * S..(j + 1) * U * S];
        for s in 0..S {
            if s > 0 {
                T::gemm_nn(
                    g4,
                    1,
                    U,
                    recurrent,
                    &hs[(s - 1) * U..s * U],
                    &mut zs[s * g4..(s + 1) * g4],
                    true,
                );
            }
            let z = &mut zs[s * g4..(s + 1) * g4];
            for k in 0..U {
                let i = sigmoid(z[k]);
                let f = sigmoid(z[U + k]);
                let g = z[2 * U + k].tanh();
                let o = sigmoid(z[3 * U + k]);
                z[k] = i;
                z[U + k] = f;
                z[2 * U + k] = g;
                z[3 * U + k] = o;
                let previous = if s > 0 {
                    cs[(s - 1) * U + k]
                } else {
                    T::zero()
                };
                let cell = f * previous + i * g;
                cs[s * U + k] = cell;
                hs[s * U + k] = o * cell.tanh();
            }
        }
        write_states(hs, y, j, U, sequences);
    }
}

/// Backward over `n` samples from `∂L/∂y` (`grad_y`, shaped like `y`). Overwrites `gates` with
/// `∂L/∂z`; `carry` holds `2U` scalars (`∂L/∂hₛ` and `∂L/∂cₛ` flowing back a step). Writes
/// `∂L/∂kernel`, `∂L/∂recurrent_kernel`, `∂L/∂bias` and, when asked, `∂L/∂x`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn backward<T: Scalar, const S: usize, const F: usize, const U: usize>(
    kernel: &[T],
    recurrent: &[T],
    x: &[T],
    gates: &mut [T],
    c: &[T],
    h: &[T],
    grad_y: &[T],
    carry: &mut [T],
    sequences: bool,
    grad_kernel: &mut [T],
    grad_recurrent: &mut [T],
    grad_bias: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
    n: usize,
) {
    let g4 = 4 * U;
    let (kernel, recurrent) = (&kernel[..g4 * F], &recurrent[..g4 * U]);
    let gates = &mut gates[..g4 * S * n];
    let grad_recurrent = &mut grad_recurrent[..g4 * U];
    grad_recurrent.fill(T::zero());
    let (dh_next, dc_next) = carry[..2 * U].split_at_mut(U);
    for j in 0..n {
        let zs = &mut gates[j * g4 * S..(j + 1) * g4 * S];
        let cs = &c[j * U * S..(j + 1) * U * S];
        let hs = &h[j * U * S..(j + 1) * U * S];
        dh_next.fill(T::zero());
        dc_next.fill(T::zero());
        for s in (0..S).rev() {
            let dy = if sequences {
                Some(&grad_y[(j * S + s) * U..(j * S + s + 1) * U])
            } else if s == S - 1 {
                Some(&grad_y[j * U..(j + 1) * U])
            } else {
                None
            };
            let z = &mut zs[s * g4..(s + 1) * g4];
            for k in 0..U {
                let dh = dh_next[k] + dy.map_or(T::zero(), |d| d[k]);
                let (i, f, g, o) = (z[k], z[U + k], z[2 * U + k], z[3 * U + k]);
                let tc = cs[s * U + k].tanh();
                let dc = dc_next[k] + dh * o * (T::one() - tc * tc);
                let previous = if s > 0 {
                    cs[(s - 1) * U + k]
                } else {
                    T::zero()
                };
                dc_next[k] = dc * f;
                z[k] = dc * g * i * (T::one() - i);
                z[U + k] = dc * previous * f * (T::one() - f);
                z[2 * U + k] = dc * i * (T::one() - g * g);
                z[3 * U + k] = dh * tc * o * (T::one() - o);
            }
            // ∂L/∂hₛ₋₁ = Rᵀ·δₛ.
            T::gemm_tn(U, 1, g4, recurrent, z, dh_next, false);
        }
        // ∂L/∂R += Σₛ₌₁ δₛ·hₛ₋₁ᵀ.
        if S > 1 {
            T::gemm_nt(
                g4,
                U,
                S - 1,
                &zs[g4..],
                &hs[..U * (S - 1)],
                grad_recurrent,
                true,
            );
        }
    }
    dense::affine_backward(
        g4,
        S * n,
        F,
        kernel,
        x,
        gates,
        grad_kernel,
        grad_bias,
        grad_x,
    );
}
