//! GRU with back-propagation through time, Keras semantics with `reset_after = true` (Keras'
//! default, and PyTorch's `nn.GRU`): gates in Keras' order `z, r, h`.
//!
//! `kernel` is Keras' `[F, 3U]` (column-major a `3U × F` matrix `W`), `recurrent_kernel` Keras'
//! `[U, 3U]` (`R`, `3U × U`), `bias` Keras' `[2, 3U]`: the input bias `bᵢ` then the recurrent
//! bias `bᵣ`. Per step, with `a = W·xₛ + bᵢ` and `q = R·hₛ₋₁ + bᵣ` split in blocks `z, r, h`:
//! `z = σ(a_z + q_z)`, `r = σ(a_r + q_r)`, `n = tanh(a_h + r⊙q_h)`,
//! `hₛ = z⊙hₛ₋₁ + (1 − z)⊙n`; `h₀ = 0`. `σ` is the `recurrent_activation` and `tanh` the
//! `activation`; any element-wise functions may replace them.
//!
//! Per sample the workspace keeps, for every step, the activated `z, r, n` (`gates`, `3U × S`),
//! their pre-activations (`pre`, `3U × S`), `q_h` (`U × S`) and the hidden states (`U × S`);
//! backward turns `gates` into the input-side `∂L/∂a` in place and `pre` into the
//! recurrent-side `∂L/∂q`.

use super::activation::Elementwise;
use super::recurrent::{add_recurrent_kernel_grad, state_grad, write_states};
use super::{dense, wide};
use crate::kernels::step::{self, Side};
use crate::Scalar;

/// Forward over `n` samples; `y` gets the last hidden state (`U` per sample) or, with
/// `sequences`, every hidden state (`U·S`).
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
    pre: &mut [T],
    qh: &mut [T],
    h: &mut [T],
    y: &mut [T],
    sequences: bool,
    n: usize,
) {
    wide(
        #[inline(always)]
        || {
            let g3 = 3 * U;
            let (kernel, recurrent) = (&kernel[..g3 * F], &recurrent[..g3 * U]);
            let gates = &mut gates[..g3 * S * n];
            dense::affine(g3, S * n, F, kernel, bias, x, gates);
            for j in 0..n {
                let zs = &mut gates[j * g3 * S..(j + 1) * g3 * S];
                let qs = &mut qh[j * U * S..(j + 1) * U * S];
                let hs = &mut h[j * U * S..(j + 1) * U * S];
                for s in 0..S {
                    let (done, rest) = hs.split_at_mut(s * U);
                    let previous = if s > 0 {
                        Some(&done[(s - 1) * U..s * U])
                    } else {
                        None
                    };
                    let a = &mut zs[s * g3..(s + 1) * g3];
                    let q_h = &mut qs[s * U..(s + 1) * U];
                    let p = &mut pre[(j * S + s) * g3..(j * S + s + 1) * g3];
                    recur::<T, A, G, U>(
                        act,
                        gate,
                        recurrent,
                        bias,
                        previous,
                        a,
                        q_h,
                        p,
                        &mut rest[..U],
                    );
                }
                write_states(hs, y, j, U, sequences);
            }
        },
    )
}

/// The recurrent half of a step: given `a = W·xₛ + bᵢ` (`3U`), adds `R·hₛ₋₁ + bᵣ` (its `h`
/// block into `q_h`), turns `a` into the activated `z, r, n` and writes `hₛ` to `h_now`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn recur<T: Scalar, A: Elementwise<T>, G: Elementwise<T>, const U: usize>(
    act: &A,
    gate: &G,
    recurrent: &[T],
    bias: Option<&[T]>,
    previous: Option<&[T]>,
    a: &mut [T],
    q_h: &mut [T],
    pre: &mut [T],
    h_now: &mut [T],
) {
    let g3 = 3 * U;
    // q_z and q_r go straight into a (the gates need only the sums); q_h apart.
    dense::start_at_bias(q_h, bias.map(|b| &b[g3 + 2 * U..2 * g3]));
    if let Some(b) = bias {
        for (v, bb) in a[..2 * U].iter_mut().zip(&b[g3..g3 + 2 * U]) {
            *v += *bb;
        }
    }
    // R·hₛ₋₁, column by column of the 3U × U matrix: the z and r blocks into `a`, the h block
    // into q_h.
    if let Some(p) = previous {
        for (col, &pk) in recurrent.chunks_exact(g3).zip(&p[..U]) {
            for (v, &w) in a[..2 * U].iter_mut().zip(&col[..2 * U]) {
                *v += w * pk;
            }
            for (v, &w) in q_h.iter_mut().zip(&col[2 * U..]) {
                *v += w * pk;
            }
        }
    }
    // Plain maps, which the compiler vectorises: both gates at once, then the candidate.
    let (a, pre) = (&mut a[..3 * U], &mut pre[..3 * U]);
    pre[..2 * U].copy_from_slice(&a[..2 * U]);
    for v in a[..2 * U].iter_mut() {
        *v = gate.f(*v);
    }
    let (gates, candidate) = a.split_at_mut(2 * U);
    let (z, r) = gates.split_at(U);
    for k in 0..U {
        pre[2 * U + k] = candidate[k] + r[k] * q_h[k];
    }
    for (c, &p) in candidate.iter_mut().zip(&pre[2 * U..]) {
        *c = act.f(p);
    }
    match previous {
        Some(p) => {
            for k in 0..U {
                h_now[k] = z[k] * p[k] + (T::one() - z[k]) * candidate[k];
            }
        }
        None => {
            for k in 0..U {
                h_now[k] = (T::one() - z[k]) * candidate[k];
            }
        }
    }
}

/// Scalars of scratch [`step`] needs for `units` units: the gate rows `a` (`3U`) and `q_h`
/// (`U`).
pub const fn step_scratch(units: usize) -> usize {
    4 * units
}

/// One time step of streaming inference: from the kept state `h = hₛ₋₁` and the input
/// `x = xₛ` (`F` scalars) to `h = hₛ`; `gates` is [`step_scratch`] scalars of scratch.
///
/// The `z` and `r` rows need only the sum `bᵢ + W·xₛ + R·hₛ₋₁` (one fused pass,
/// [`step::gates`]; `bᵣ` is added with the activations); the `h` rows keep `a_h = W_h·xₛ + bᵢ`
/// and `q_h = R_h·hₛ₋₁ + bᵣ` apart.
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
    gates: &mut [T],
) {
    wide(
        #[inline(always)]
        || {
            let (g2, g3) = (2 * U, 3 * U);
            let (a, q_h) = gates[..step_scratch(U)].split_at_mut(g3);
            let (b_in, b_rec) = match bias {
                Some(b) => (Some(&b[..g3]), Some(&b[g3..2 * g3])),
                None => (None, None),
            };
            let side = |a, x| Side { a, stride: g3, x };
            let none = side(&[], &[]);
            let (x, previous) = (&x[..F], &h[..U]);
            let (zr, a_h) = a.split_at_mut(g2);
            step::gates(g2, side(kernel, x), side(recurrent, previous), b_in, zr);
            let (kernel_h, recurrent_h) = (&kernel[g2..], &recurrent[g2..]);
            step::gates(U, side(kernel_h, x), none, b_in.map(|b| &b[g2..]), a_h);
            step::gates(
                U,
                none,
                side(recurrent_h, previous),
                b_rec.map(|b| &b[g2..]),
                q_h,
            );
            update::<T, A, G, U>(act, gate, b_rec, a, q_h, h);
        },
    )
}

/// The activations and new state of [`step`]: `z = σ(a_z + b'_z)`, `r = σ(a_r + b'_r)`,
/// `n = tanh(a_h + r⊙q_h)`, `h ← z⊙h + (1 − z)⊙n`, one pass over the units.
#[inline(always)]
fn update<T: Scalar, A: Elementwise<T>, G: Elementwise<T>, const U: usize>(
    act: &A,
    gate: &G,
    b_rec: Option<&[T]>,
    a: &[T],
    q_h: &[T],
    h: &mut [T],
) {
    let (a_z, rest) = a[..3 * U].split_at(U);
    let (a_r, a_h) = rest.split_at(U);
    let (q_h, h) = (&q_h[..U], &mut h[..U]);
    let zeros = [T::zero(); U];
    let (b_z, b_r) = match b_rec {
        Some(b) => (&b[..U], &b[U..2 * U]),
        None => (&zeros[..], &zeros[..]),
    };
    for k in 0..U {
        let z = gate.f(a_z[k] + b_z[k]);
        let r = gate.f(a_r[k] + b_r[k]);
        let n = act.f(a_h[k] + r * q_h[k]);
        h[k] = z * h[k] + (T::one() - z) * n;
    }
}

/// Backward over `n` samples from `∂L/∂y` (`grad_y`, shaped like `y`); `carry` holds `U`
/// scalars (`∂L/∂hₛ` flowing back a step). Writes `∂L/∂kernel`, `∂L/∂recurrent_kernel`,
/// `∂L/∂bias` and, when asked, `∂L/∂x`.
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
    qh: &[T],
    h: &[T],
    pre: &mut [T],
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
            let g3 = 3 * U;
            let (kernel, recurrent) = (&kernel[..g3 * F], &recurrent[..g3 * U]);
            let gates = &mut gates[..g3 * S * n];
            let delta = &mut pre[..g3 * S * n];
            let grad_recurrent = &mut grad_recurrent[..g3 * U];
            grad_recurrent.fill(T::zero());
            let dh_next = &mut carry[..U];
            for j in 0..n {
                let zs = &mut gates[j * g3 * S..(j + 1) * g3 * S];
                let ds = &mut delta[j * g3 * S..(j + 1) * g3 * S];
                let qs = &qh[j * U * S..(j + 1) * U * S];
                let hs = &h[j * U * S..(j + 1) * U * S];
                dh_next.fill(T::zero());
                for s in (0..S).rev() {
                    let dy = state_grad(grad_y, j, s, S, U, sequences);
                    let a = &mut zs[s * g3..(s + 1) * g3];
                    let d = &mut ds[s * g3..(s + 1) * g3];
                    for k in 0..U {
                        let dh = dh_next[k] + dy.map_or(T::zero(), |g| g[k]);
                        let (z, r, cand) = (a[k], a[U + k], a[2 * U + k]);
                        let prev = if s > 0 {
                            hs[(s - 1) * U + k]
                        } else {
                            T::zero()
                        };
                        // `d` holds forward's pre-activations until this step overwrites them.
                        let (pre_z, pre_r, pre_n) = (d[k], d[U + k], d[2 * U + k]);
                        let da_n = dh * (T::one() - z) * act.df(pre_n, cand);
                        let da_z = dh * (prev - cand) * gate.df(pre_z, z);
                        let da_r = da_n * qs[s * U + k] * gate.df(pre_r, r);
                        dh_next[k] = dh * z;
                        a[k] = da_z;
                        a[U + k] = da_r;
                        a[2 * U + k] = da_n;
                        d[k] = da_z;
                        d[U + k] = da_r;
                        d[2 * U + k] = da_n * r;
                    }
                    // ∂L/∂hₛ₋₁ += Rᵀ·δqₛ.
                    T::gemm_tn(U, 1, g3, recurrent, d, dh_next, true);
                }
                // ∂L/∂R += Σₛ₌₁ δqₛ·hₛ₋₁ᵀ.
                add_recurrent_kernel_grad(g3, U, S, ds, hs, grad_recurrent);
            }
            dense::affine_backward(g3, S * n, F, kernel, x, gates, grad_kernel, None, grad_x);
            if let Some(grad_b) = grad_bias {
                let grad_b = &mut grad_b[..2 * g3];
                grad_b.fill(T::zero());
                let (input, rec) = grad_b.split_at_mut(g3);
                for (column, dq) in gates.chunks_exact(g3).zip(delta.chunks_exact(g3)) {
                    for (gb, v) in input.iter_mut().zip(column) {
                        *gb += *v;
                    }
                    for (gb, v) in rec.iter_mut().zip(dq) {
                        *gb += *v;
                    }
                }
            }
        },
    )
}
