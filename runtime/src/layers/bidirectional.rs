//! Bidirectional recurrent layers: the copies between time orders and the `concat` merge. The
//! cells themselves are `lstm`, `gru` and `simple_rnn`, run once over the sequence and once
//! over its reverse.
//!
//! A batch holds `n` samples of `steps × width` values, row-major. With `y→` the forward
//! direction's output and `y←` the backward one's (in the reversed time order it ran in),
//! `concat` gives `y[s] = [y→[s], y←[steps − 1 − s]]` (Keras reverses the backward sequence back to
//! input order; a last-state output is one step, `[h→, h←]`). Backward splits `∂L/∂y` the same
//! way and adds the backward direction's input gradient, reversed, to the forward one's.

use crate::Scalar;

/// `xr[s] = x[steps − 1 − s]` for each of `n` samples of `steps × width` values.
#[inline]
pub fn reverse_steps<T: Scalar>(x: &[T], xr: &mut [T], steps: usize, width: usize, n: usize) {
    let size = steps * width;
    for (x, xr) in x[..size * n]
        .chunks_exact(size)
        .zip(xr[..size * n].chunks_exact_mut(size))
    {
        for (to, from) in xr.chunks_exact_mut(width).zip(x.chunks_exact(width).rev()) {
            to.copy_from_slice(from);
        }
    }
}

/// `y[s] = [forward[s], backward[steps − 1 − s]]`: `2·units` values per step.
#[inline]
pub fn concat<T: Scalar>(
    forward: &[T],
    backward: &[T],
    y: &mut [T],
    steps: usize,
    units: usize,
    n: usize,
) {
    let half = steps * units;
    for ((f, b), y) in forward[..half * n]
        .chunks_exact(half)
        .zip(backward[..half * n].chunks_exact(half))
        .zip(y[..2 * half * n].chunks_exact_mut(2 * half))
    {
        for ((y, f), b) in y
            .chunks_exact_mut(2 * units)
            .zip(f.chunks_exact(units))
            .zip(b.chunks_exact(units).rev())
        {
            y[..units].copy_from_slice(f);
            y[units..].copy_from_slice(b);
        }
    }
}

/// The adjoint of [`concat`]: `∂L/∂y` split into the forward direction's gradient and the
/// backward one's, in the order that direction ran.
#[inline]
pub fn split<T: Scalar>(
    grad_y: &[T],
    forward: &mut [T],
    backward: &mut [T],
    steps: usize,
    units: usize,
    n: usize,
) {
    let half = steps * units;
    for ((g, f), b) in grad_y[..2 * half * n]
        .chunks_exact(2 * half)
        .zip(forward[..half * n].chunks_exact_mut(half))
        .zip(backward[..half * n].chunks_exact_mut(half))
    {
        for ((g, f), b) in g
            .chunks_exact(2 * units)
            .zip(f.chunks_exact_mut(units))
            .zip(b.chunks_exact_mut(units).rev())
        {
            f.copy_from_slice(&g[..units]);
            b.copy_from_slice(&g[units..]);
        }
    }
}

/// `∂L/∂x[s] = forward[s] + backward[steps − 1 − s]`: the two directions' input gradients, the
/// second computed on the reversed sequence.
#[inline]
pub fn add_reversed<T: Scalar>(
    forward: &[T],
    backward: &[T],
    grad_x: &mut [T],
    steps: usize,
    width: usize,
    n: usize,
) {
    let size = steps * width;
    for ((f, b), g) in forward[..size * n]
        .chunks_exact(size)
        .zip(backward[..size * n].chunks_exact(size))
        .zip(grad_x[..size * n].chunks_exact_mut(size))
    {
        for ((g, f), b) in g
            .chunks_exact_mut(width)
            .zip(f.chunks_exact(width))
            .zip(b.chunks_exact(width).rev())
        {
            for ((g, &f), &b) in g.iter_mut().zip(f).zip(b) {
                *g = f + b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_and_split_are_adjoint_and_reverse_the_backward_direction() {
        // 2 samples, 3 steps, 1 unit.
        let (f, b) = (
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            [7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
        );
        let mut y = [0.0f64; 12];
        concat(&f, &b, &mut y, 3, 1, 2);
        assert_eq!(
            y,
            [1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 12.0, 5.0, 11.0, 6.0, 10.0]
        );
        let (mut f2, mut b2) = ([0.0; 6], [0.0; 6]);
        split(&y, &mut f2, &mut b2, 3, 1, 2);
        assert_eq!((f2, b2), (f, b));
        let mut r = [0.0; 6];
        reverse_steps(&f, &mut r, 3, 1, 2);
        assert_eq!(r, [3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
        let mut g = [0.0; 6];
        add_reversed(&f, &r, &mut g, 3, 1, 2);
        assert_eq!(g, [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    }
}
