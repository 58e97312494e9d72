//! LSTM with back-propagation through time, Keras semantics (gate order `i, f, c, o`, which is
//! PyTorch's `i, f, g, o`).
//!
//! `kernel` is Keras' `[F, 4U]` (column-major a `4U × F` matrix `W`), `recurrent_kernel` Keras'
//! `[U, 4U]` (a `4U × U` matrix `R`). Per step, `z = W·xₛ + R·hₛ₋₁ + b`; `i, f, o = σ(·)`
//! (`recurrent_activation`), `g = tanh(·)` (`activation`); `cₛ = f⊙cₛ₋₁ + i⊙g`;
//! `hₛ = o⊙tanh(cₛ)`; `h₀ = c₀ = 0`. Any element-wise functions may replace `σ` and `tanh`.
//!
//! A sequence sample `[S, F]` (timestep-major) is column-major an `F × S` matrix, so a batch of
//! `n` samples is one `F × S·n` matrix and the input projection of every step of every sample
//! is a single GEMM. Per sample the workspace keeps, for every step, the gates' pre-activations
//! (`pre`) and activations (`gates`, `4U × S` each), the cell states and the hidden states
//! (`U × S` each); backward walks the steps in reverse and turns `gates` into `∂L/∂z` in place.

use super::activation::Elementwise;
use super::recurrent::{add_recurrent_kernel_grad, state_grad, write_states};
use super::{dense, wide};
use crate::kernels::step::{self, Side};
use crate::Scalar;

/// Forward over `n` samples. `gates` and `pre` (kept for backward; `None` for inference) hold
/// `4U·S`, `c` and `h` `U·S` scalars per sample; `y` gets the last hidden state (`U` per
/// sample) or, with `sequences`, every hidden state (`U·S`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn forward<
    T: Scalar,
    A: Elementwise<T>,
    G: Elementwise<T>,
    const S: usize,
    const F: usize,
    const U: usize,
>(
    act: &A,
    gate: &G,
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    gates: &mut [T],
    mut pre: Option<&mut [T]>,
    c: &mut [T],
    h: &mut [T],
    y: &mut [T],
    sequences: bool,
    n: usize,
) {
    wide(
        #[inline(always)]
        || {
            let g4 = 4 * U;
            let (kernel, recurrent) = (&kernel[..g4 * F], &recurrent[..g4 * U]);
            let gates = &mut gates[..g4 * S * n];
            dense::affine(g4, S * n, F, kernel, bias, x, gates);
            for j in 0..n {
                let zs = &mut gates[j * g4 * S..(j + 1) * g4 * S];
                let cs = &mut c[j * U * S..(j + 1) * U * S];
                let hs = &mut h[j * U * S..(j + 1) * U * S];
                for s in 0..S {
                    let z = &mut zs[s * g4..(s + 1) * g4];
                    let (c_done, c_rest) = cs.split_at_mut(s * U);
                    let (h_done, h_rest) = hs.split_at_mut(s * U);
                    let (c_now, h_now) = (&mut c_rest[..U], &mut h_rest[..U]);
                    if s > 0 {
                        dense::matvec(g4, U, recurrent, &h_done[(s - 1) * U..], z);
                        c_now.copy_from_slice(&c_done[(s - 1) * U..]);
                    } else {
                        c_now.fill(T::zero());
                    }
                    if let Some(pre) = pre.as_deref_mut() {
                        pre[(j * S + s) * g4..(j * S + s + 1) * g4].copy_from_slice(z);
                    }
                    cell::<T, A, G, U>(act, gate, z, c_now, h_now);
                }
                write_states(hs, y, j, U, sequences);
            }
        },
    )
}

/// One step of the cell: `z` (the `4U` pre-activations) becomes the activated gates `i, f, g,
/// o`, `c` goes from `cₛ₋₁` to `cₛ = f⊙cₛ₋₁ + i⊙g`, and `h` receives `hₛ = o⊙act(cₛ)`.
#[inline(always)]
fn cell<T: Scalar, A: Elementwise<T>, G: Elementwise<T>, const U: usize>(
    act: &A,
    gate: &G,
    z: &mut [T],
    c: &mut [T],
    h: &mut [T],
) {
    let (z, c, h) = (&mut z[..4 * U], &mut c[..U], &mut h[..U]);
    // Plain maps over each gate block (loops the compiler vectorises). With whole vectors per
    // block (`U` a multiple of 8), each gate gets its own activation only; otherwise the
    // recurrent activation runs over all `4U` values at once (fewer remainder lanes, done one
    // at a time, than four blocks would leave) and `g` again from a copy (W4s' LSTM 10: 3–7%).
    let whole = U.is_multiple_of(8);
    let mut candidate = [T::zero(); U];
    if !whole {
        candidate.copy_from_slice(&z[2 * U..3 * U]);
        for v in z.iter_mut() {
            *v = gate.f(*v);
        }
    }
    let (i_f, rest) = z.split_at_mut(2 * U);
    let (g, o) = rest.split_at_mut(U);
    if whole {
        for v in i_f.iter_mut() {
            *v = gate.f(*v);
        }
        for v in o.iter_mut() {
            *v = gate.f(*v);
        }
        candidate.copy_from_slice(g);
    }
    for (v, &pre) in g.iter_mut().zip(&candidate) {
        *v = act.f(pre);
    }
    let (i, f) = i_f.split_at(U);
    for k in 0..U {
        c[k] = f[k] * c[k] + i[k] * g[k];
    }
    for k in 0..U {
        h[k] = o[k] * act.f(c[k]);
    }
}

/// Scalars of scratch [`step`] needs for `units` units (the four gates).
pub const fn step_scratch(units: usize) -> usize {
    4 * units
}

/// One time step of streaming inference: from the kept state `h = hₛ₋₁`, `c = cₛ₋₁` and the
/// input `x = xₛ` (`F` scalars) to `h = hₛ`, `c = cₛ`; `gates` is [`step_scratch`] scalars of
/// scratch. The gate product `b + W·xₛ + R·hₛ₋₁` is one fused pass ([`step::gates`]).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn step<T: Scalar, A: Elementwise<T>, G: Elementwise<T>, const F: usize, const U: usize>(
    act: &A,
    gate: &G,
    kernel: &[T],
    recurrent: &[T],
    bias: Option<&[T]>,
    x: &[T],
    h: &mut [T],
    c: &mut [T],
    gates: &mut [T],
) {
    wide(
        #[inline(always)]
        || {
            let g4 = step_scratch(U);
            let input = Side {
                a: kernel,
                stride: g4,
                x: &x[..F],
            };
            let hidden = Side {
                a: recurrent,
                stride: g4,
                x: &h[..U],
            };
            step::gates(g4, input, hidden, bias, gates);
            cell::<T, A, G, U>(act, gate, gates, c, h);
        },
    )
}

/// Backward over `n` samples from `∂L/∂y` (`grad_y`, shaped like `y`). Overwrites `gates` with
/// `∂L/∂z`; `carry` holds `2U` scalars (`∂L/∂hₛ` and `∂L/∂cₛ` flowing back a step). Writes
/// `∂L/∂kernel`, `∂L/∂recurrent_kernel`, `∂L/∂bias` and, when asked, `∂L/∂x`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn backward<
    T: Scalar,
    A: Elementwise<T>,
    G: Elementwise<T>,
    const S: usize,
    const F: usize,
    const U: usize,
>(
    act: &A,
    gate: &G,
    kernel: &[T],
    recurrent: &[T],
    x: &[T],
    gates: &mut [T],
    pre: &[T],
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
    wide(
        #[inline(always)]
        || {
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
                    let dy = state_grad(grad_y, j, s, S, U, sequences);
                    let z = &mut zs[s * g4..(s + 1) * g4];
                    let p = &pre[(j * S + s) * g4..(j * S + s + 1) * g4];
                    for k in 0..U {
                        let dh = dh_next[k] + dy.map_or(T::zero(), |d| d[k]);
                        let (i, f, g, o) = (z[k], z[U + k], z[2 * U + k], z[3 * U + k]);
                        let cell = cs[s * U + k];
                        let tc = act.f(cell);
                        let dc = dc_next[k] + dh * o * act.df(cell, tc);
                        let previous = if s > 0 {
                            cs[(s - 1) * U + k]
                        } else {
                            T::zero()
                        };
                        dc_next[k] = dc * f;
                        z[k] = dc * g * gate.df(p[k], i);
                        z[U + k] = dc * previous * gate.df(p[U + k], f);
                        z[2 * U + k] = dc * i * act.df(p[2 * U + k], g);
                        z[3 * U + k] = dh * tc * gate.df(p[3 * U + k], o);
                    }
                    // ∂L/∂hₛ₋₁ = Rᵀ·δₛ.
                    dense::matvec_transposed(g4, U, recurrent, z, dh_next);
                }
                // ∂L/∂R += Σₛ₌₁ δₛ·hₛ₋₁ᵀ.
                add_recurrent_kernel_grad(g4, U, S, zs, hs, grad_recurrent);
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
        },
    )
}
