//! Inverted dropout: in training `y = x ⊙ m` with `m = 0` (probability `rate`) or
//! `1 / (1 − rate)`; in inference `y = x`. Backward: `∂L/∂x = ∂L/∂y ⊙ m`.

use crate::{Mode, Rng, Scalar};

/// Forward over `len` values; draws a fresh mask in training mode.
#[inline]
pub fn forward<T: Scalar>(
    x: &[T],
    y: &mut [T],
    mask: &mut [T],
    rng: &mut Rng,
    rate: f64,
    len: usize,
    mode: Mode,
) {
    let (x, y, mask) = (&x[..len], &mut y[..len], &mut mask[..len]);
    if mode == Mode::Infer || rate == 0.0 {
        y.copy_from_slice(x);
        mask.fill(T::one());
        return;
    }
    let scale = T::of(1.0 / (1.0 - rate));
    let rate = rate as f32;
    for ((y, m), &x) in y.iter_mut().zip(mask.iter_mut()).zip(x) {
        *m = if rng.uniform_f32() < rate {
            T::zero()
        } else {
            scale
        };
        *y = x * *m;
    }
}

/// `∂L/∂x = ∂L/∂y ⊙ m` over `len` values.
#[inline]
pub fn backward<T: Scalar>(grad_y: &[T], grad_x: &mut [T], mask: &[T], len: usize) {
    for ((gx, &gy), &m) in grad_x[..len]
        .iter_mut()
        .zip(&grad_y[..len])
        .zip(&mask[..len])
    {
        *gx = gy * m;
    }
}
