//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod reference;

use kiln::Scalar;

/// Converts a slice of `f32` reference values to `T`.
pub fn to<T: Scalar>(v: &[f32]) -> Vec<T> {
    v.iter().map(|&x| T::of(x as f64)).collect()
}

/// Converts to `f64`.
pub fn f64s<T: Scalar>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// Largest `|a − b|`.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
