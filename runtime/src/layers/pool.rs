//! 2-D max and average pooling over channels-last images (Keras' `MaxPooling2D`,
//! `AveragePooling2D`, and their global forms, which are one window covering the whole image).
//!
//! A sample is an `h × w × c` image stored row-major (`x[(i·w + j)·c + ch]`), so channels are
//! contiguous; a batch is `n` samples one after another. The output pixel `(oi, oj)` pools the
//! window of rows `oi·sh − pad_top .. + kh` and columns `oj·sw − pad_left .. + kw`, clipped to the
//! image: padded cells are never read.
//!
//! - Max: `y = max` over the window's cells; the index of the first maximum (row-major window
//!   order) is recorded, and backward sends `∂L/∂y` to it.
//! - Average: `y = Σ x / count`, where `count` is the number of *valid* (unpadded) cells of the
//!   window (TensorFlow/Keras' `same` behaviour); backward gives each of those cells
//!   `∂L/∂y / count`.
//!
//! Windows overlap when a stride is smaller than the pool, so backward zeroes `∂L/∂x` and
//! accumulates into it. Input cells in no window (an odd last row under `valid`) get zero.

use crate::Scalar;

/// The fixed geometry of one pooling layer, computed by `model!` at compile time.
///
/// Output sizes follow Keras: `valid` gives `out = ⌊(in − k)/s⌋ + 1` with no padding; `same`
/// gives `out = ⌈in/s⌉` with `pad_total = max((out − 1)·s + k − in, 0)` and
/// `pad_before = ⌊pad_total/2⌋` (the extra row/column goes to the bottom/right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2d {
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Channels, in the input and the output.
    pub c: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Window height.
    pub pool_h: usize,
    /// Window width.
    pub pool_w: usize,
    /// Vertical step between windows.
    pub stride_h: usize,
    /// Horizontal step between windows.
    pub stride_w: usize,
    /// Padding rows above the image (`same` only; 0 for `valid`). Bottom padding is implied.
    pub pad_top: usize,
    /// Padding columns left of the image (`same` only; 0 for `valid`).
    pub pad_left: usize,
}

impl Pool2d {
    /// Scalars in one input sample.
    pub const fn input_size(&self) -> usize {
        self.h * self.w * self.c
    }

    /// Scalars in one output sample.
    pub const fn output_size(&self) -> usize {
        self.out_h * self.out_w * self.c
    }

    /// The valid input rows of output row `oi` and the valid columns of output column `oj`.
    #[inline]
    fn window(&self, oi: usize, oj: usize) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        let span = |o: usize, s: usize, pad: usize, k: usize, len: usize| {
            let start = o * s;
            (start.saturating_sub(pad))..((start + k).saturating_sub(pad)).min(len)
        };
        (
            span(oi, self.stride_h, self.pad_top, self.pool_h, self.h),
            span(oj, self.stride_w, self.pad_left, self.pool_w, self.w),
        )
    }
}

/// Max pooling of one sample; records in `argmax` (when given) the in-sample index of each
/// output's maximum.
#[inline]
fn max_sample<T: Scalar>(g: &Pool2d, x: &[T], y: &mut [T], mut argmax: Option<&mut [u32]>) {
    let c = g.c;
    for oi in 0..g.out_h {
        for oj in 0..g.out_w {
            let o = (oi * g.out_w + oj) * c;
            let (rows, cols) = g.window(oi, oj);
            let y = &mut y[o..o + c];
            let mut first = true;
            for i in rows {
                for j in cols.clone() {
                    let at = (i * g.w + j) * c;
                    let cell = &x[at..at + c];
                    match argmax.as_deref_mut() {
                        Some(argmax) => {
                            let argmax = &mut argmax[o..o + c];
                            for (ch, ((y, a), &v)) in
                                y.iter_mut().zip(argmax.iter_mut()).zip(cell).enumerate()
                            {
                                if first || v > *y {
                                    *y = v;
                                    *a = (at + ch) as u32;
                                }
                            }
                        }
                        None => {
                            for (y, &v) in y.iter_mut().zip(cell) {
                                if first || v > *y {
                                    *y = v;
                                }
                            }
                        }
                    }
                    first = false;
                }
            }
        }
    }
}

/// Max-pool forward for `n` samples: `y = max(window)`, with `argmax` holding, per output, the
/// in-sample index of the first maximum (for [`max_backward`]).
#[inline]
pub fn max_forward<T: Scalar>(g: &Pool2d, x: &[T], y: &mut [T], argmax: &mut [u32], n: usize) {
    let (i, o) = (g.input_size(), g.output_size());
    for ((x, y), argmax) in x[..i * n]
        .chunks_exact(i)
        .zip(y[..o * n].chunks_exact_mut(o))
        .zip(argmax[..o * n].chunks_exact_mut(o))
    {
        max_sample(g, x, y, Some(argmax));
    }
}

/// Max-pool backward for `n` samples: `∂L/∂x = 0`, then `∂L/∂x[argmax] += ∂L/∂y` per output.
#[inline]
pub fn max_backward<T: Scalar>(
    g: &Pool2d,
    grad_y: &[T],
    grad_x: &mut [T],
    argmax: &[u32],
    n: usize,
) {
    let (i, o) = (g.input_size(), g.output_size());
    for ((grad_y, grad_x), argmax) in grad_y[..o * n]
        .chunks_exact(o)
        .zip(grad_x[..i * n].chunks_exact_mut(i))
        .zip(argmax[..o * n].chunks_exact(o))
    {
        grad_x.fill(T::zero());
        for (&gy, &a) in grad_y.iter().zip(argmax) {
            grad_x[a as usize] += gy;
        }
    }
}

/// Max-pool of one sample (inference; no indices kept).
#[inline]
pub fn max_predict<T: Scalar>(g: &Pool2d, x: &[T], y: &mut [T]) {
    max_sample(g, &x[..g.input_size()], &mut y[..g.output_size()], None);
}

/// Average-pool forward for `n` samples: `y = Σ window / count` over the window's valid cells.
#[inline]
pub fn avg_forward<T: Scalar>(g: &Pool2d, x: &[T], y: &mut [T], n: usize) {
    let (i, o, c) = (g.input_size(), g.output_size(), g.c);
    for (x, y) in x[..i * n]
        .chunks_exact(i)
        .zip(y[..o * n].chunks_exact_mut(o))
    {
        for oi in 0..g.out_h {
            for oj in 0..g.out_w {
                let o = (oi * g.out_w + oj) * c;
                let (rows, cols) = g.window(oi, oj);
                let count = rows.len() * cols.len();
                let y = &mut y[o..o + c];
                y.fill(T::zero());
                for i in rows {
                    for j in cols.clone() {
                        let at = (i * g.w + j) * c;
                        for (y, &v) in y.iter_mut().zip(&x[at..at + c]) {
                            *y += v;
                        }
                    }
                }
                let count = T::of(count as f64);
                for y in y {
                    *y /= count;
                }
            }
        }
    }
}

/// Average-pool backward for `n` samples: `∂L/∂x = 0`, then every valid cell of each window gets
/// `+= ∂L/∂y / count`.
#[inline]
pub fn avg_backward<T: Scalar>(g: &Pool2d, grad_y: &[T], grad_x: &mut [T], n: usize) {
    let (i, o, c) = (g.input_size(), g.output_size(), g.c);
    for (grad_y, grad_x) in grad_y[..o * n]
        .chunks_exact(o)
        .zip(grad_x[..i * n].chunks_exact_mut(i))
    {
        grad_x.fill(T::zero());
        for oi in 0..g.out_h {
            for oj in 0..g.out_w {
                let o = (oi * g.out_w + oj) * c;
                let (rows, cols) = g.window(oi, oj);
                let scale = T::one() / T::of((rows.len() * cols.len()) as f64);
                let gy = &grad_y[o..o + c];
                for i in rows {
                    for j in cols.clone() {
                        let at = (i * g.w + j) * c;
                        for (gx, &gy) in grad_x[at..at + c].iter_mut().zip(gy) {
                            *gx += gy * scale;
                        }
                    }
                }
            }
        }
    }
}

/// Average-pool of one sample (inference).
#[inline]
pub fn avg_predict<T: Scalar>(g: &Pool2d, x: &[T], y: &mut [T]) {
    avg_forward(g, x, y, 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5×5×1, pool 2, stride 2, `same`: out 3×3, pad_total 1 → pad_top 0, extra row at the bottom.
    const SAME: Pool2d = Pool2d {
        h: 5,
        w: 5,
        c: 1,
        out_h: 3,
        out_w: 3,
        pool_h: 2,
        pool_w: 2,
        stride_h: 2,
        stride_w: 2,
        pad_top: 0,
        pad_left: 0,
    };

    #[test]
    fn same_padding_averages_over_valid_cells_only() {
        let x: Vec<f64> = (0..25).map(f64::from).collect();
        let mut y = [0.0; 9];
        avg_forward(&SAME, &x, &mut y, 1);
        // Corner window (4, 4) alone; edge windows of 2 cells.
        assert_eq!(y[8], 24.0);
        assert_eq!(y[2], (4.0 + 9.0) / 2.0);
        assert_eq!(y[0], (0.0 + 1.0 + 5.0 + 6.0) / 4.0);
        let mut gx = [0.0; 25];
        avg_backward(&SAME, &[1.0; 9], &mut gx, 1);
        assert_eq!(gx[24], 1.0);
        assert_eq!(gx[4], 0.5);
        assert_eq!(gx[0], 0.25);
    }

    #[test]
    fn max_takes_the_first_of_tied_maxima_and_ignores_padding() {
        let mut x = [-5.0f64; 25];
        x[0] = 1.0;
        x[1] = 1.0;
        let (mut y, mut a) = ([0.0; 9], [0u32; 9]);
        max_forward(&SAME, &x, &mut y, &mut a, 1);
        assert_eq!((y[0], a[0]), (1.0, 0));
        // Padded cells (zero) would beat −5 if they were read.
        assert_eq!(y[8], -5.0);
        let mut gx = [9.0; 25];
        max_backward(&SAME, &[1.0; 9], &mut gx, &a, 1);
        assert_eq!(gx[0], 1.0);
        assert_eq!(gx[1], 0.0);
        assert_eq!(gx.iter().sum::<f64>(), 9.0);
    }
}
