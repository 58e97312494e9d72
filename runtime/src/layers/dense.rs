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
    let (w, x, z) = (&w[..O * I], &x[..I * n], &mut z[..O * n]);
    match b {
        Some(b) => {
            for column in z.chunks_exact_mut(O) {
                column.copy_from_slice(&b[..O]);
            }
            T::gemm_nn(O, n, I, w, x, z, true);
        }
        None => T::gemm_nn(O, n, I, w, x, z, false),
    }
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
    let (x, delta) = (&x[..I * n], &delta[..O * n]);
    T::gemm_nt(O, I, n, delta, x, &mut grad_w[..O * I], false);
    if let Some(grad_b) = grad_b {
        let grad_b = &mut grad_b[..O];
        grad_b.fill(T::default());
        for column in delta.chunks_exact(O) {
            for (g, d) in grad_b.iter_mut().zip(column) {
                *g += *d;
            }
        }
    }
    if let Some(grad_x) = grad_x {
        T::gemm_tn(I, n, O, &w[..O * I], delta, &mut grad_x[..I * n], false);
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
