//! Conv1D over channels-last sequences (Keras' `[t, c]`), strided and dilated, as one matrix
//! product per batch (im2col), plus a streaming step for causal convolutions.
//!
//! A sample is `t` steps of `c` channels, row-major `(t, c)`. The kernel is Keras'
//! `[k, c, f]` row-major, which read column-major is the `f × K` matrix `W` with `K = k·c`,
//! columns in `(tap, channel)` order (PyTorch's `Conv1d.weight` is `[f, c, k]`).
//!
//! Output step `p` reads tap `j` at input step `p·s + j·d − pad_left` (zero outside the input):
//! `z[p] = b + Σ_j W_j·x[p·s + j·d − pad_left]`. [`im2col`] lays those patches out as the
//! column-major `K × (n·P)` matrix `X_col` (`P = out_t`), and then, like `conv2d`,
//!
//! - forward: `Z = W·X_col + b`, whose column-major result is the channels-last output batch;
//! - backward, `δ = ∂L/∂Z`: `∂L/∂W = δ·X_colᵀ`, `∂L/∂b = Σ δ`, `∂L/∂X = col2im(Wᵀ·δ)`.
//!
//! Output lengths (Keras, with the span `d·(k − 1) + 1`): `valid` `⌊(t − span)/s⌋ + 1`; `same`
//! `⌈t/s⌉` with `pad_left = ⌊max((out − 1)·s + span − t, 0)/2⌋`; `causal` `⌈t/s⌉` with
//! `pad_left = d·(k − 1)`, so output step `p` sees input steps `≤ p·s` only. The macro computes
//! them; the kernels receive the resolved [`Conv1dGeometry`].
//!
//! Streaming ([`step`], causal and stride 1): the last `d·(k − 1)` input steps are kept in a
//! ring buffer, so one step in gives the output step `predict` gives at that time.

use super::activation::Activation;
use super::{dense, wide};
use crate::Scalar;

/// The sizes of one Conv1D layer, fixed at compile time by `model!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dGeometry {
    /// Input steps.
    pub in_t: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output steps.
    pub out_t: usize,
    /// Output channels: the layer's `filters`.
    pub out_c: usize,
    /// Kernel taps.
    pub k: usize,
    /// Steps between consecutive outputs' windows.
    pub stride: usize,
    /// Steps between consecutive taps.
    pub dilation: usize,
    /// Zero steps before the input (`same`, `causal`); the ones after are implied.
    pub pad_left: usize,
}

impl Conv1dGeometry {
    /// `K = k·in_c`: rows of the im2col matrix, columns of the kernel matrix.
    #[inline(always)]
    pub const fn patch(&self) -> usize {
        self.k * self.in_c
    }

    /// Scalars in one input sample.
    #[inline(always)]
    pub const fn input_size(&self) -> usize {
        self.in_t * self.in_c
    }

    /// Scalars in one output sample.
    #[inline(always)]
    pub const fn output_size(&self) -> usize {
        self.out_t * self.out_c
    }

    /// Scalars in the kernel.
    #[inline(always)]
    pub const fn kernel_size(&self) -> usize {
        self.patch() * self.out_c
    }

    /// The input step under tap `j` of output step `p`, if inside the input.
    #[inline(always)]
    fn step_of(&self, p: usize, j: usize) -> Option<usize> {
        (p * self.stride + j * self.dilation)
            .checked_sub(self.pad_left)
            .filter(|&s| s < self.in_t)
    }
}

/// Builds `X_col` (`K × (n·P)`, column-major) from `n` channels-last samples.
#[inline(always)]
pub fn im2col<T: Scalar>(g: &Conv1dGeometry, x: &[T], cols: &mut [T], n: usize) {
    let (k, c, p, size) = (g.patch(), g.in_c, g.out_t, g.input_size());
    for (sample, out) in x[..size * n]
        .chunks_exact(size)
        .zip(cols[..k * p * n].chunks_exact_mut(k * p))
    {
        for (position, column) in out.chunks_exact_mut(k).enumerate() {
            for (j, tap) in column.chunks_exact_mut(c).enumerate() {
                match g.step_of(position, j) {
                    Some(s) => tap.copy_from_slice(&sample[s * c..][..c]),
                    None => tap.fill(T::zero()),
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: each `∂L/∂X_col` entry added to the input entry it was copied
/// from. Overwrites `grad_x` (`n` samples).
#[inline(always)]
pub fn col2im<T: Scalar>(g: &Conv1dGeometry, dcols: &[T], grad_x: &mut [T], n: usize) {
    let (k, c, p, size) = (g.patch(), g.in_c, g.out_t, g.input_size());
    let grad_x = &mut grad_x[..size * n];
    grad_x.fill(T::zero());
    for (sample, cols) in grad_x
        .chunks_exact_mut(size)
        .zip(dcols[..k * p * n].chunks_exact(k * p))
    {
        for (position, column) in cols.chunks_exact(k).enumerate() {
            for (j, tap) in column.chunks_exact(c).enumerate() {
                if let Some(s) = g.step_of(position, j) {
                    for (d, &v) in sample[s * c..][..c].iter_mut().zip(tap) {
                        *d += v;
                    }
                }
            }
        }
    }
}

/// `Z = W·X_col + b` for `n` samples: fills `cols` (`K·P` per sample, kept for [`backward`])
/// and the channels-last output `z` (`out_t·f` per sample).
#[inline(always)]
pub fn forward<T: Scalar>(
    g: &Conv1dGeometry,
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    cols: &mut [T],
    z: &mut [T],
    n: usize,
) {
    let (k, f, columns) = (g.patch(), g.out_c, g.out_t * n);
    im2col(g, x, cols, n);
    let (w, cols, z) = (&w[..f * k], &cols[..k * columns], &mut z[..f * columns]);
    match b {
        Some(b) => {
            for column in z.chunks_exact_mut(f) {
                column.copy_from_slice(&b[..f]);
            }
            T::gemm_nn(f, columns, k, w, cols, z, true);
        }
        None => T::gemm_nn(f, columns, k, w, cols, z, false),
    }
}

/// Gradients for the `n` samples last run through [`forward`] (whose `cols` it reuses), given
/// `δ = ∂L/∂Z`: writes `∂L/∂W = δ·X_colᵀ`, `∂L/∂b = Σ δ` and, when asked,
/// `∂L/∂X = col2im(Wᵀ·δ)` (through `dcols`, `K·P` per sample).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn backward<T: Scalar>(
    g: &Conv1dGeometry,
    w: &[T],
    cols: &[T],
    delta: &[T],
    grad_w: &mut [T],
    grad_b: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
    dcols: &mut [T],
    n: usize,
) {
    let (k, f, columns) = (g.patch(), g.out_c, g.out_t * n);
    let (cols, delta) = (&cols[..k * columns], &delta[..f * columns]);
    T::gemm_nt(f, k, columns, delta, cols, &mut grad_w[..f * k], false);
    if let Some(grad_b) = grad_b {
        let grad_b = &mut grad_b[..f];
        grad_b.fill(T::zero());
        for column in delta.chunks_exact(f) {
            for (s, d) in grad_b.iter_mut().zip(column) {
                *s += *d;
            }
        }
    }
    if let Some(grad_x) = grad_x {
        let dcols = &mut dcols[..k * columns];
        T::gemm_tn(k, columns, f, &w[..f * k], delta, dcols, false);
        col2im(g, dcols, grad_x, n);
    }
}

/// `out += Σ_c x[c] · W_tap[c, :]`: one tap's contribution to one output step.
#[inline(always)]
fn add_tap<T: Scalar>(taps: &[T], x: &[T], out: &mut [T]) {
    let f = out.len();
    for (row, &xv) in taps.chunks_exact(f).zip(x) {
        for (o, &wv) in out.iter_mut().zip(row) {
            *o += wv * xv;
        }
    }
}

/// `y = W ⋆ x + b` for one sample, computed directly (no im2col buffer).
#[inline]
pub fn predict<T: Scalar, const I: usize, const O: usize>(
    g: &Conv1dGeometry,
    w: &[T],
    b: Option<&[T]>,
    x: &[T; I],
    y: &mut [T; O],
) {
    debug_assert_eq!((g.input_size(), g.output_size()), (I, O));
    let (c, f) = (g.in_c, g.out_c);
    let w = &w[..g.kernel_size()];
    for (position, out) in y.chunks_exact_mut(f).enumerate() {
        dense::start_at_bias(out, b);
        for (j, taps) in w.chunks_exact(c * f).enumerate() {
            if let Some(s) = g.step_of(position, j) {
                add_tap(taps, &x[s * c..][..c], out);
            }
        }
    }
}

/// Input steps a causal layer keeps between streaming steps: `d·(k − 1)`.
#[inline(always)]
pub const fn kept_steps(k: usize, dilation: usize) -> usize {
    (k - 1) * dilation
}

/// The length of a causal layer's streaming state: the last [`kept_steps`] input steps of `c`
/// channels, oldest overwritten first (a ring buffer), and one more value, the ring's cursor
/// (the slot the next step writes, as an exact small integer in `T`). All zeros is the start of
/// a stream: causal padding is zeros.
#[inline(always)]
pub const fn state_len(k: usize, dilation: usize, c: usize) -> usize {
    kept_steps(k, dilation) * c + 1
}

/// One streaming step of a causal, stride-1 Conv1D of `C` input and `F` output channels:
/// `y = act(b + Σ_j W_j·x[now − (k − 1 − j)·d])`, one matrix-vector product per tap, with the past
/// inputs read from the ring buffer `state` ([`state_len`]), then `x` stored in it. Gives exactly
/// the output step [`predict`] gives over the whole stream.
#[inline]
pub fn step<T: Scalar, A: Activation<T>, const C: usize, const F: usize>(
    act: &A,
    g: &Conv1dGeometry,
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    state: &mut [T],
    y: &mut [T],
) {
    let (k, d) = (g.k, g.dilation);
    debug_assert_eq!((g.in_c, g.out_c), (C, F));
    debug_assert_eq!((g.stride, g.pad_left), (1, kept_steps(k, d)));
    wide(
        #[inline(always)]
        || {
            let kept = kept_steps(k, d);
            let (ring, cursor) = state[..kept * C + 1].split_at_mut(kept * C);
            let now = if kept == 0 {
                0
            } else {
                cursor[0].to_f64() as usize
            };
            let (x, y) = (&x[..C], &mut y[..F]);
            dense::start_at_bias(y, b);
            for (j, taps) in w[..k * C * F].chunks_exact(C * F).enumerate() {
                let lag = (k - 1 - j) * d;
                let past = if lag == 0 {
                    x
                } else {
                    &ring[(now + kept - lag) % kept * C..][..C]
                };
                dense::matvec(F, C, taps, past, y);
            }
            act.apply(y, F);
            if kept > 0 {
                ring[now * C..][..C].copy_from_slice(x);
                cursor[0] = T::of(((now + 1) % kept) as f64);
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook definition, straight from the formula.
    fn naive(g: &Conv1dGeometry, w: &[f64], b: &[f64], x: &[f64]) -> Vec<f64> {
        let (c, f) = (g.in_c, g.out_c);
        let mut y = vec![0.0; g.output_size()];
        for p in 0..g.out_t {
            for o in 0..f {
                let mut s = b[o];
                for j in 0..g.k {
                    let at = (p * g.stride + j * g.dilation) as isize - g.pad_left as isize;
                    if at < 0 || at >= g.in_t as isize {
                        continue;
                    }
                    for ci in 0..c {
                        s += x[at as usize * c + ci] * w[(j * c + ci) * f + o];
                    }
                }
                y[p * f + o] = s;
            }
        }
        y
    }

    fn geometry(
        in_t: usize,
        k: usize,
        stride: usize,
        dilation: usize,
        pad_left: usize,
        out_t: usize,
    ) -> Conv1dGeometry {
        Conv1dGeometry {
            in_t,
            in_c: 2,
            out_t,
            out_c: 3,
            k,
            stride,
            dilation,
            pad_left,
        }
    }

    fn data(len: usize, scale: f64) -> Vec<f64> {
        (0..len).map(|i| (i as f64 * scale).sin()).collect()
    }

    #[test]
    fn forward_and_predict_match_the_definition() {
        // valid s2, same d2, causal d3, valid d2.
        for g in [
            geometry(9, 3, 2, 1, 0, 4),
            geometry(9, 3, 1, 2, 2, 9),
            geometry(9, 3, 1, 3, 6, 9),
            geometry(9, 2, 1, 2, 0, 7),
        ] {
            let (w, b) = (data(g.kernel_size(), 0.37), [0.1, -0.2, 0.3]);
            let n = 2;
            let x = data(g.input_size() * n, 0.11);
            let mut cols = vec![0.0; g.patch() * g.out_t * n];
            let mut z = vec![0.0; g.output_size() * n];
            forward(&g, &w, Some(&b), &x, &mut cols, &mut z, n);
            for j in 0..n {
                let sample = &x[j * 18..][..18];
                let expected = naive(&g, &w, &b, sample);
                let got = &z[j * g.output_size()..][..g.output_size()];
                assert!(got
                    .iter()
                    .zip(&expected)
                    .all(|(a, e)| (a - e).abs() < 1e-12));
            }
        }
    }

    #[test]
    fn causal_steps_give_the_whole_sequence() {
        let g = geometry(9, 3, 1, 2, 4, 9);
        let (w, b) = (data(g.kernel_size(), 0.37), [0.1, -0.2, 0.3]);
        let x = data(18, 0.11);
        let expected = naive(&g, &w, &b, &x);
        let mut state = vec![0.0; state_len(3, 2, 2)];
        for t in 0..9 {
            let mut y = [0.0; 3];
            step::<f64, _, 2, 3>(
                &crate::layers::activation::Linear,
                &g,
                &w,
                Some(&b),
                &x[t * 2..][..2],
                &mut state,
                &mut y,
            );
            assert!(y
                .iter()
                .zip(&expected[t * 3..])
                .all(|(a, e)| (a - e).abs() < 1e-12));
        }
    }
}
