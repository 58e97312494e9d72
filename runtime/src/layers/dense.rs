//! Dense: `z = W·x + b`, `W` stored `[O×I]` column-major (Keras' `[in, out]` kernel, row-major).
//!
//! Backward for `n` samples: `∂L/∂W = δ·Xᵀ`, `∂L/∂b = Σⱼ δ[:, j]`, `∂L/∂X = Wᵀ·δ`.

use crate::Scalar;

/// Layers at most this large (`I·O` weights) run `predict` as a plain loop LLVM unrolls; larger
/// ones go through the mat-vec kernel.
const SMALL: usize = 1024;

/// `Z = W·X + b` for `n` samples.
#[inline]
pub fn forward<T: Scalar, const I: usize, const O: usize>(
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    z: &mut [T],
    n: usize,
) {
    affine(O, n, I, w, b, x, z);
}

/// Gradients for `n` samples given `δ = ∂L/∂Z`: writes `∂L/∂W`, `∂L/∂b` and, when asked, `∂L/∂X`.
#[inline]
pub fn backward<T: Scalar, const I: usize, const O: usize>(
    w: &[T],
    x: &[T],
    delta: &[T],
    grad_w: &mut [T],
    grad_b: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
    n: usize,
) {
    affine_backward(O, n, I, w, x, delta, grad_w, grad_b, grad_x);
}

/// `Z = W·X + b` with sizes known only at run time: `W` is `[rows×k]`, `X` `[k×cols]`, `Z`
/// `[rows×cols]`, `b` is added to every column. Dense layers and the input projections of the
/// recurrent layers (all time steps of all samples at once) share it.
#[inline]
pub fn affine<T: Scalar>(
    rows: usize,
    cols: usize,
    k: usize,
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    z: &mut [T],
) {
    let (w, x, z) = (&w[..rows * k], &x[..k * cols], &mut z[..rows * cols]);
    match b {
        Some(b) => {
            for column in z.chunks_exact_mut(rows) {
                column.copy_from_slice(&b[..rows]);
            }
            T::gemm_nn(rows, cols, k, w, x, z, true);
        }
        None => T::gemm_nn(rows, cols, k, w, x, z, false),
    }
}

/// The gradients of [`affine`] given `δ = ∂L/∂Z`: `∂L/∂W = δ·Xᵀ`, `∂L/∂b = Σ_columns δ` and,
/// when asked, `∂L/∂X = Wᵀ·δ`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn affine_backward<T: Scalar>(
    rows: usize,
    cols: usize,
    k: usize,
    w: &[T],
    x: &[T],
    delta: &[T],
    grad_w: &mut [T],
    grad_b: Option<&mut [T]>,
    grad_x: Option<&mut [T]>,
) {
    let (x, delta) = (&x[..k * cols], &delta[..rows * cols]);
    T::gemm_nt(rows, k, cols, delta, x, &mut grad_w[..rows * k], false);
    if let Some(grad_b) = grad_b {
        let grad_b = &mut grad_b[..rows];
        grad_b.fill(T::default());
        for column in delta.chunks_exact(rows) {
            for (g, d) in grad_b.iter_mut().zip(column) {
                *g += *d;
            }
        }
    }
    if let Some(grad_x) = grad_x {
        T::gemm_tn(
            k,
            cols,
            rows,
            &w[..rows * k],
            delta,
            &mut grad_x[..k * cols],
            false,
        );
    }
}

/// `y = W·x + b` for one sample.
#[inline]
pub fn predict<T: Scalar, const I: usize, const O: usize>(
    w: &[T],
    b: Option<&[T]>,
    x: &[T; I],
    y: &mut [T; O],
) {
    predict_slice::<T, I, O>(w, b, x, y);
}

/// `y = W·x + b` for one sample (or one time step) held in slices of `I` and `O` values.
#[inline]
pub fn predict_slice<T: Scalar, const I: usize, const O: usize>(
    w: &[T],
    b: Option<&[T]>,
    x: &[T],
    y: &mut [T],
) {
    let y = &mut y[..O];
    start_at_bias(y, b);
    matvec(O, I, w, x, y);
}

/// Sets `z` to the bias `b` (its first `z.len()` values), or to zero without one: where a
/// single sample's product starts accumulating.
#[inline(always)]
pub fn start_at_bias<T: Scalar>(z: &mut [T], b: Option<&[T]>) {
    match b {
        Some(b) => z.copy_from_slice(&b[..z.len()]),
        None => z.fill(T::zero()),
    }
}

/// `y += W·x` for one vector and a column-major `rows × cols` matrix `W`. Inlined: with sizes
/// known at compile time, small products become register-blocked vector code (eight rows at a
/// time, accumulated over every column); large ones use the GEMM kernels.
#[inline(always)]
pub fn matvec<T: Scalar>(rows: usize, cols: usize, w: &[T], x: &[T], y: &mut [T]) {
    let (w, x, y) = (&w[..rows * cols], &x[..cols], &mut y[..rows]);
    if rows * cols > SMALL {
        T::gemm_nn(rows, 1, cols, w, x, y, true);
        return;
    }
    const LANES: usize = 8;
    let blocks = rows / LANES;
    for block in 0..blocks {
        let r0 = block * LANES;
        let mut acc = [T::zero(); LANES];
        acc.copy_from_slice(&y[r0..r0 + LANES]);
        for (c, &xc) in x.iter().enumerate() {
            let column = &w[c * rows + r0..c * rows + r0 + LANES];
            for l in 0..LANES {
                acc[l] += column[l] * xc;
            }
        }
        y[r0..r0 + LANES].copy_from_slice(&acc);
    }
    for r in blocks * LANES..rows {
        let mut acc = y[r];
        for (c, &xc) in x.iter().enumerate() {
            acc += w[c * rows + r] * xc;
        }
        y[r] = acc;
    }
}

/// `y = Wᵀ·g` for one vector and a column-major `rows × cols` matrix `W` (`y` has `cols`
/// entries): each `yⱼ` is the dot product of column `j` with `g`, summed in eight lanes (vector
/// code) and then across them.
#[inline(always)]
pub fn matvec_transposed<T: Scalar>(rows: usize, cols: usize, w: &[T], g: &[T], y: &mut [T]) {
    let (w, g, y) = (&w[..rows * cols], &g[..rows], &mut y[..cols]);
    if rows * cols > SMALL {
        T::gemm_tn(cols, 1, rows, w, g, y, false);
        return;
    }
    const LANES: usize = 8;
    let full = rows / LANES * LANES;
    for (yj, column) in y.iter_mut().zip(w.chunks_exact(rows)) {
        let mut acc = [T::zero(); LANES];
        for (wc, gc) in column[..full]
            .chunks_exact(LANES)
            .zip(g[..full].chunks_exact(LANES))
        {
            for l in 0..LANES {
                acc[l] += wc[l] * gc[l];
            }
        }
        let mut sum =
            ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for r in full..rows {
            sum += column[r] * g[r];
        }
        *yj = sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{SMatrix, SVector};

    #[test]
    fn forward_and_predict_agree_with_nalgebra() {
        let w = SMatrix::<f64, 3, 4>::from_fn(|i, j| (i as f64 - 1.5) * 0.3 + j as f64 * 0.1);
        let b = SVector::<f64, 3>::new(0.1, -0.2, 0.3);
        let x = SMatrix::<f64, 4, 2>::from_fn(|i, j| i as f64 * 0.5 - j as f64);
        let expected = w * x + b * nalgebra::RowSVector::<f64, 2>::repeat(1.0);
        let mut z = [0.0; 6];
        forward::<f64, 4, 3>(w.as_slice(), Some(b.as_slice()), x.as_slice(), &mut z, 2);
        assert!(z
            .iter()
            .zip(expected.as_slice())
            .all(|(a, e)| (a - e).abs() < 1e-12));
        let mut y = [0.0; 3];
        let x0: [f64; 4] = x.column(0).as_slice().try_into().unwrap();
        predict::<f64, 4, 3>(w.as_slice(), Some(b.as_slice()), &x0, &mut y);
        assert!(y
            .iter()
            .zip(&expected.as_slice()[..3])
            .all(|(a, e)| (a - e).abs() < 1e-12));
    }
}
