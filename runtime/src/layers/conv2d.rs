//! Conv2D as one matrix product per batch (im2col), channels-last like Keras.
//!
//! A sample is its `H×W×C` image, row-major `(h, w, c)`: channels are contiguous. The kernel is
//! Keras' `[kh, kw, C, F]` row-major, which read column-major is the `F × K` matrix `W` with
//! `K = kh·kw·C`, columns in `(kh, kw, c)` order.
//!
//! For `n` samples, [`im2col`] builds the column-major `K × (n·P)` matrix `X_col` (`P` output
//! positions per sample): column `j·P + p` holds the input patch under output position `p` of
//! sample `j`, in `(kh, kw, c)` order, with zeros where the window hangs over `same` padding.
//! Then
//!
//! - forward: `Z = W·X_col + b`, one `F × K` by `K × (n·P)` product whose column-major result is
//!   exactly the channels-last output batch;
//! - backward, with `δ = ∂L/∂Z`: `∂L/∂W = δ·X_colᵀ`, `∂L/∂b = Σ_columns δ`,
//!   `∂L/∂X_col = Wᵀ·δ`, and `∂L/∂X` is [`col2im`] of it (each patch entry added back to the
//!   pixel it came from).
//!
//! Output size (Keras): `valid` gives `out = ⌊(in − k)/s⌋ + 1`; `same` gives `out = ⌈in/s⌉` with
//! `pad_total = max((out − 1)·s + k − in, 0)` and `pad_before = ⌊pad_total / 2⌋` (the odd extra
//! row or column goes to the bottom or right). The macro computes this; the kernels receive the
//! resolved [`Conv2dGeometry`].

use super::dense;
use crate::Scalar;

/// The sizes of one Conv2D layer, fixed at compile time by `model!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    /// Input height, in pixels.
    pub in_h: usize,
    /// Input width, in pixels.
    pub in_w: usize,
    /// Input channels.
    pub in_c: usize,
    /// Output height: `⌊(in_h − kh)/sh⌋ + 1` for `valid`, `⌈in_h/sh⌉` for `same`.
    pub out_h: usize,
    /// Output width: `⌊(in_w − kw)/sw⌋ + 1` for `valid`, `⌈in_w/sw⌉` for `same`.
    pub out_w: usize,
    /// Output channels: the layer's `filters`.
    pub out_c: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical stride: rows between consecutive output rows' windows.
    pub sh: usize,
    /// Horizontal stride: columns between consecutive output columns' windows.
    pub sw: usize,
    /// Zero rows above the input (`⌊pad_total/2⌋` for `same`; 0 for `valid`).
    pub pad_top: usize,
    /// Zero columns left of the input (`⌊pad_total/2⌋` for `same`; 0 for `valid`).
    pub pad_left: usize,
}

impl Conv2dGeometry {
    /// The geometry Keras gives `Conv2D(filters, (kh, kw), strides = (sh, sw), padding)` on an
    /// `in_h × in_w × in_c` input, or `None` when the output would be empty (a `valid` kernel
    /// larger than the input) or a size is zero.
    pub const fn keras(
        (in_h, in_w, in_c): (usize, usize, usize),
        filters: usize,
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        same: bool,
    ) -> Option<Self> {
        if in_h == 0 || in_w == 0 || in_c == 0 || filters == 0 || kh == 0 || kw == 0 {
            return None;
        }
        if sh == 0 || sw == 0 {
            return None;
        }
        let (out_h, out_w, pad_top, pad_left) = if same {
            let (oh, ow) = (in_h.div_ceil(sh), in_w.div_ceil(sw));
            let pad_h = ((oh - 1) * sh + kh).saturating_sub(in_h);
            let pad_w = ((ow - 1) * sw + kw).saturating_sub(in_w);
            (oh, ow, pad_h / 2, pad_w / 2)
        } else {
            if kh > in_h || kw > in_w {
                return None;
            }
            ((in_h - kh) / sh + 1, (in_w - kw) / sw + 1, 0, 0)
        };
        Some(Conv2dGeometry {
            in_h,
            in_w,
            in_c,
            out_h,
            out_w,
            out_c: filters,
            kh,
            kw,
            sh,
            sw,
            pad_top,
            pad_left,
        })
    }

    /// `K = kh·kw·in_c`: rows of the im2col matrix, columns of the kernel matrix.
    #[inline(always)]
    pub const fn patch(&self) -> usize {
        self.kh * self.kw * self.in_c
    }

    /// `P = out_h·out_w`: output positions per sample.
    #[inline(always)]
    pub const fn positions(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Scalars in one input sample.
    #[inline(always)]
    pub const fn input_size(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }

    /// Scalars in one output sample.
    #[inline(always)]
    pub const fn output_size(&self) -> usize {
        self.out_h * self.out_w * self.out_c
    }

    /// Scalars in the kernel.
    #[inline(always)]
    pub const fn kernel_size(&self) -> usize {
        self.patch() * self.out_c
    }

    /// The input row under kernel row `ky` for output row `oy`, if inside the image.
    #[inline(always)]
    fn row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.sh + ky)
            .checked_sub(self.pad_top)
            .filter(|&r| r < self.in_h)
    }

    /// Whether the window of output position `(oy, ox)` lies wholly inside the input.
    #[inline(always)]
    fn inside(&self, oy: usize, ox: usize) -> bool {
        let (top, left) = (oy * self.sh, ox * self.sw);
        top >= self.pad_top
            && top + self.kh <= self.in_h + self.pad_top
            && left >= self.pad_left
            && left + self.kw <= self.in_w + self.pad_left
    }

    /// The input column of the window's left edge for output column `ox` (may be negative).
    #[inline(always)]
    fn left(&self, ox: usize) -> isize {
        (ox * self.sw) as isize - self.pad_left as isize
    }
}

/// Calls `f(patch_offset, input_offset, len)` for each contiguous run of one window: the window
/// of output position `(oy, ox)` maps patch entries `patch_offset..+len` to input entries
/// `input_offset..+len` (of one sample); entries not covered lie in the padding.
#[inline(always)]
fn for_each_run(g: &Conv2dGeometry, oy: usize, ox: usize, mut f: impl FnMut(usize, usize, usize)) {
    let c = g.in_c;
    let left = g.left(ox);
    let row_len = g.kw * c;
    let inside = left >= 0 && left as usize + g.kw <= g.in_w;
    for ky in 0..g.kh {
        let Some(iy) = g.row(oy, ky) else { continue };
        let patch_row = ky * row_len;
        if inside {
            f(patch_row, (iy * g.in_w + left as usize) * c, row_len);
        } else {
            for kx in 0..g.kw {
                let ix = left + kx as isize;
                if ix >= 0 && (ix as usize) < g.in_w {
                    f(patch_row + kx * c, (iy * g.in_w + ix as usize) * c, c);
                }
            }
        }
    }
}

/// Whether some window hangs over the padding (then [`im2col`] must write zeros).
#[inline(always)]
fn padded(g: &Conv2dGeometry) -> bool {
    g.pad_top > 0
        || g.pad_left > 0
        || (g.out_h - 1) * g.sh + g.kh > g.in_h
        || (g.out_w - 1) * g.sw + g.kw > g.in_w
}

/// Builds `X_col` (`K × (n·P)`, column-major) from `n` channels-last samples.
#[inline(always)]
pub fn im2col<T: Scalar>(g: &Conv2dGeometry, x: &[T], cols: &mut [T], n: usize) {
    let (k, p, size) = (g.patch(), g.positions(), g.input_size());
    let cols = &mut cols[..k * p * n];
    let padded = padded(g);
    for (sample, out) in x[..size * n]
        .chunks_exact(size)
        .zip(cols.chunks_exact_mut(k * p))
    {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let column = &mut out[(oy * g.out_w + ox) * k..][..k];
                if padded && !g.inside(oy, ox) {
                    column.fill(T::default());
                }
                for_each_run(g, oy, ox, |at, from, len| {
                    column[at..at + len].copy_from_slice(&sample[from..from + len]);
                });
            }
        }
    }
}

/// The adjoint of [`im2col`]: `∂L/∂X = Σ` of each `∂L/∂X_col` entry added to the input entry it
/// was copied from. Overwrites `grad_x` (`n` samples).
#[inline(always)]
pub fn col2im<T: Scalar>(g: &Conv2dGeometry, dcols: &[T], grad_x: &mut [T], n: usize) {
    let (k, p, size) = (g.patch(), g.positions(), g.input_size());
    let grad_x = &mut grad_x[..size * n];
    grad_x.fill(T::default());
    for (sample, cols) in grad_x
        .chunks_exact_mut(size)
        .zip(dcols[..k * p * n].chunks_exact(k * p))
    {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let column = &cols[(oy * g.out_w + ox) * k..][..k];
                for_each_run(g, oy, ox, |at, to, len| {
                    for (d, &s) in sample[to..to + len].iter_mut().zip(&column[at..at + len]) {
                        *d += s;
                    }
                });
            }
        }
    }
}

/// `Z = W·X_col + b` for `n` samples: fills `cols` (`K·P` per sample, kept for [`backward`])
/// and the channels-last output `z` (`out_h·out_w·F` per sample).
#[inline(always)]
pub fn forward<T: Scalar>(
    g: &Conv2dGeometry,
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    cols: &mut [T],
    z: &mut [T],
    n: usize,
) {
    let (k, f, columns) = (g.patch(), g.out_c, g.positions() * n);
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
    g: &Conv2dGeometry,
    w: &[T],
    cols: &[T],
    delta: &[T],
    grad_w: &mut [T],
    grad_b: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
    dcols: &mut [T],
    n: usize,
) {
    let (k, f, columns) = (g.patch(), g.out_c, g.positions() * n);
    let (cols, delta) = (&cols[..k * columns], &delta[..f * columns]);
    T::gemm_nt(f, k, columns, delta, cols, &mut grad_w[..f * k], false);
    if let Some(grad_b) = grad_b {
        let grad_b = &mut grad_b[..f];
        grad_b.fill(T::default());
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

/// `y = W ⋆ x + b` for one sample, computed directly (no im2col buffer, nothing on the stack
/// but the caller's output): for each output position, each kernel tap inside the image adds
/// `x[iy, ix, c] · W[ky, kx, c, :]` to the position's `F` outputs.
#[inline]
pub fn predict<T: Scalar, const I: usize, const O: usize>(
    g: &Conv2dGeometry,
    w: &[T],
    b: Option<&[T]>,
    x: &[T; I],
    y: &mut [T; O],
) {
    debug_assert_eq!((g.input_size(), g.output_size()), (I, O));
    let f = g.out_c;
    let w = &w[..g.kernel_size()];
    for (position, out) in y.chunks_exact_mut(f).enumerate() {
        dense::start_at_bias(out, b);
        let (oy, ox) = (position / g.out_w, position % g.out_w);
        for_each_run(g, oy, ox, |at, from, len| {
            for (taps, &xv) in w[at * f..(at + len) * f]
                .chunks_exact(f)
                .zip(&x[from..from + len])
            {
                for (o, &wv) in out.iter_mut().zip(taps) {
                    *o += wv * xv;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook definition, straight from the formula.
    fn naive(g: &Conv2dGeometry, w: &[f64], b: &[f64], x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; g.output_size()];
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for o in 0..g.out_c {
                    let mut s = b[o];
                    for ky in 0..g.kh {
                        for kx in 0..g.kw {
                            let iy = (oy * g.sh + ky) as isize - g.pad_top as isize;
                            let ix = (ox * g.sw + kx) as isize - g.pad_left as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            for c in 0..g.in_c {
                                let xv = x[((iy as usize * g.in_w) + ix as usize) * g.in_c + c];
                                s += xv * w[((ky * g.kw + kx) * g.in_c + c) * g.out_c + o];
                            }
                        }
                    }
                    y[(oy * g.out_w + ox) * g.out_c + o] = s;
                }
            }
        }
        y
    }

    #[test]
    fn keras_output_sizes() {
        let g = Conv2dGeometry::keras((7, 6, 2), 3, (3, 5), (2, 1), false).unwrap();
        assert_eq!((g.out_h, g.out_w, g.pad_top, g.pad_left), (3, 2, 0, 0));
        let g = Conv2dGeometry::keras((8, 7, 3), 4, (5, 5), (2, 2), true).unwrap();
        assert_eq!((g.out_h, g.out_w, g.pad_top, g.pad_left), (4, 4, 1, 2));
        assert_eq!(
            Conv2dGeometry::keras((4, 4, 1), 1, (5, 3), (1, 1), false),
            None
        );
        assert!(Conv2dGeometry::keras((4, 4, 1), 1, (5, 3), (1, 1), true).is_some());
    }

    #[test]
    fn forward_matches_the_definition() {
        for (same, k, s) in [
            (false, (3, 3), (1, 1)),
            (true, (3, 2), (2, 1)),
            (true, (5, 5), (2, 3)),
            (false, (2, 4), (3, 2)),
            (true, (1, 1), (1, 1)),
        ] {
            let g = Conv2dGeometry::keras((7, 6, 2), 3, k, s, same).unwrap();
            let w: Vec<f64> = (0..g.kernel_size())
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            let b = [0.1, -0.2, 0.3];
            let n = 2;
            let x: Vec<f64> = (0..84 * n).map(|i| (i as f64 * 0.11).cos()).collect();
            let mut cols = vec![0.0; g.patch() * g.positions() * n];
            let mut z = vec![0.0; g.output_size() * n];
            forward(&g, &w, Some(&b), &x, &mut cols, &mut z, n);
            for j in 0..n {
                let expected = naive(&g, &w, &b, &x[j * 84..][..84]);
                let got = &z[j * g.output_size()..][..g.output_size()];
                assert!(got
                    .iter()
                    .zip(&expected)
                    .all(|(a, e)| (a - e).abs() < 1e-12));
            }
        }
    }
}
