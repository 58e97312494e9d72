//! Parameter initialisers, Keras' defaults, drawn from kiln's seeded [`Rng`].

use crate::{Rng, Scalar};
use alloc::vec::Vec;
use nalgebra::ComplexField;

/// Glorot (Xavier) uniform: each value `~ U(−l, l)` with `l = √(6 / (fan_in + fan_out))`.
pub fn glorot_uniform<T: Scalar>(values: &mut [T], fan_in: usize, fan_out: usize, rng: &mut Rng) {
    let limit = ComplexField::sqrt(6.0 / (fan_in + fan_out) as f64);
    for v in values {
        *v = T::of((2.0 * rng.uniform() - 1.0) * limit);
    }
}

/// Keras' `Orthogonal` initialiser for a row-major `[rows, cols]` matrix: Gaussian vectors made
/// orthonormal by Gram-Schmidt; the rows are orthonormal when `rows ≤ cols`, else the columns.
pub fn orthogonal<T: Scalar>(values: &mut [T], rows: usize, cols: usize, rng: &mut Rng) {
    let (count, len) = if rows <= cols {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let mut vectors: Vec<Vec<f64>> = Vec::with_capacity(count);
    while vectors.len() < count {
        let mut v: Vec<f64> = (0..len).map(|_| gaussian(rng)).collect();
        for u in &vectors {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            for (a, b) in v.iter_mut().zip(u) {
                *a -= dot * b;
            }
        }
        let norm = ComplexField::sqrt(v.iter().map(|a| a * a).sum::<f64>());
        if norm > 1e-6 {
            vectors.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    for (k, v) in vectors.iter().enumerate() {
        for (l, &a) in v.iter().enumerate() {
            let (r, c) = if rows <= cols { (k, l) } else { (l, k) };
            values[r * cols + c] = T::of(a);
        }
    }
}

/// Keras' `unit_forget_bias`: an LSTM bias of zeros except ones for the forget gate, the second
/// block of `units` values.
pub fn unit_forget_bias<T: Scalar>(values: &mut [T], units: usize) {
    values.fill(T::zero());
    values[units..2 * units].fill(T::one());
}

/// A standard normal draw (Box-Muller).
fn gaussian(rng: &mut Rng) -> f64 {
    let u = 1.0 - rng.uniform();
    let v = rng.uniform();
    ComplexField::sqrt(-2.0 * ComplexField::ln(u))
        * ComplexField::cos(2.0 * core::f64::consts::PI * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glorot_uniform_has_the_keras_range_and_variance() {
        let mut w = vec![0.0f64; 784 * 64];
        glorot_uniform(&mut w, 784, 64, &mut Rng::new(1));
        let limit = (6.0f64 / 848.0).sqrt();
        assert!(w.iter().all(|v| v.abs() <= limit));
        let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
        let expected = limit * limit / 3.0;
        assert!(
            (var / expected - 1.0).abs() < 0.03,
            "variance {var} vs {expected}"
        );
    }

    #[test]
    fn orthogonal_rows_are_orthonormal() {
        let (rows, cols) = (4, 16);
        let mut w = vec![0.0f64; rows * cols];
        orthogonal(&mut w, rows, cols, &mut Rng::new(3));
        for a in 0..rows {
            for b in 0..rows {
                let dot: f64 = (0..cols).map(|k| w[a * cols + k] * w[b * cols + k]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-12, "rows {a}, {b}: {dot}");
            }
        }
    }
}
