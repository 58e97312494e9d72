//! What the recurrent kernels (`lstm`, `gru`, `simple_rnn`) share: where a step's hidden state
//! goes in the layer's output, and where its gradient comes from.

/// The gradient arriving at sample `j`'s hidden state of step `s` from the layer's output
/// (`grad_y`, shaped like [`write_states`]' `y`): every step's with `sequences`, else only the
/// last step's; `None` where the output does not include that state.
#[inline]
pub fn state_grad<T>(
    grad_y: &[T],
    j: usize,
    s: usize,
    steps: usize,
    units: usize,
    sequences: bool,
) -> Option<&[T]> {
    if sequences {
        Some(&grad_y[(j * steps + s) * units..(j * steps + s + 1) * units])
    } else if s == steps - 1 {
        Some(&grad_y[j * units..(j + 1) * units])
    } else {
        None
    }
}

/// `∂L/∂R += Σₛ₌₁ δₛ·hₛ₋₁ᵀ` for one sample: `delta` holds its `rows` recurrent-side gradients for
/// each of `steps` steps, `h` its `units` hidden states per step, `grad_recurrent` is `rows ×
/// units`. Step 0 has no previous state (`h₀ = 0`) and adds nothing.
#[inline]
pub fn add_recurrent_kernel_grad<T: crate::Scalar>(
    rows: usize,
    units: usize,
    steps: usize,
    delta: &[T],
    h: &[T],
    grad_recurrent: &mut [T],
) {
    if steps > 1 {
        T::gemm_nt(
            rows,
            units,
            steps - 1,
            &delta[rows..],
            &h[..units * (steps - 1)],
            grad_recurrent,
            true,
        );
    }
}

/// Writes sample `j`'s hidden states `hs` (every step's `units` values) to a recurrent layer's
/// output `y`: all of them with `sequences` (`return_sequences = true`), else only the last.
#[inline]
pub fn write_states<T: Copy>(hs: &[T], y: &mut [T], j: usize, units: usize, sequences: bool) {
    if sequences {
        y[j * hs.len()..(j + 1) * hs.len()].copy_from_slice(hs);
    } else {
        y[j * units..(j + 1) * units].copy_from_slice(&hs[hs.len() - units..]);
    }
}
