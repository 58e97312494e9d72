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
    let w = &w[..O * I];
    match b {
        Some(b) => y.copy_from_slice(&b[..O]),
        None => y.fill(T::default()),
    }
    if I * O <= SMALL {
        for (column, &xj) in w.chunks_exact(O).zip(x.iter()) {
            for (yo, &wo) in y.iter_mut().zip(column) {
                *yo += wo * xj;
            }
        }
    } else {
        T::gemm_nn(O, 1, I, w, x, y, true);
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
