//! Gradient clipping.

use crate::scalar::Scalar;

/// Clips the gradients by their global L2 norm, like PyTorch's `clip_grad_norm_`:
/// `‖g‖ = √(Σ g²)` (accumulated in `f64`); if `c = max_norm/(‖g‖ + 10⁻⁶) < 1` then `g ← c·g`.
///
/// Returns the norm before clipping. A non-finite norm scales the gradients to NaN, as in
/// PyTorch (`error_if_nonfinite = False`).
pub fn clip_grad_norm<T: Scalar>(grads: &mut [T], max_norm: T) -> T {
    let norm = grads
        .iter()
        .map(|g| {
            let g = g.to_f64();
            g * g
        })
        .sum::<f64>()
        .sqrt();
    let coef = max_norm.to_f64() / (norm + 1e-6);
    if coef < 1.0 || norm.is_nan() {
        let c = T::of(coef);
        for g in grads.iter_mut() {
            *g *= c;
        }
    }
    T::of(norm)
}
