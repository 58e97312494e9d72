//! Parameter initialisers, Keras' defaults, drawn from kiln's seeded [`Rng`].

use crate::{Rng, Scalar};

/// Glorot (Xavier) uniform: each value `~ U(−l, l)` with `l = √(6 / (fan_in + fan_out))`.
pub fn glorot_uniform<T: Scalar>(values: &mut [T], fan_in: usize, fan_out: usize, rng: &mut Rng) {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    for v in values {
        *v = T::of((2.0 * rng.uniform() - 1.0) * limit);
    }
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
}
