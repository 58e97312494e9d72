//! Embedding: a lookup table from token indices to rows, `y[s] = E[x[s]]`.
//!
//! A sample is `t` token indices, held in the batch as exact small integers of `T` (the model's
//! typed entry points take `u32` and check them first, [`check_tokens`]); the table `E` is
//! Keras' `embeddings` `[input_dim, output_dim]` row-major, PyTorch's `Embedding.weight`.
//! Backward: `∂L/∂E[i] = Σ_{s : x[s] = i} ∂L/∂y[s]`, repeated indices accumulating and unused
//! rows zero; indices have no gradient. An index that is no row of the table (possible only
//! through the untyped batch slices) gives a zero row and no gradient.

use crate::Scalar;

/// A token index that is no row of an embedding table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenOutOfRange {
    /// Where the token is in the input.
    pub position: usize,
    /// The token.
    pub token: u32,
    /// The number of rows of the table (`input_dim`): tokens must be below it.
    pub input_dim: usize,
}

impl core::fmt::Display for TokenOutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "token {} at position {} is out of range: the embedding has {} rows (tokens 0..{})",
            self.token, self.position, self.input_dim, self.input_dim
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TokenOutOfRange {}

/// Checks every token against `input_dim`.
#[inline]
pub fn check_tokens(tokens: &[u32], input_dim: usize) -> Result<(), TokenOutOfRange> {
    match tokens.iter().position(|&t| t as usize >= input_dim) {
        Some(position) => Err(TokenOutOfRange {
            position,
            token: tokens[position],
            input_dim,
        }),
        None => Ok(()),
    }
}

/// Tokens as the model's scalars, checked: what the batched passes and the trainer read.
#[inline]
pub fn tokens_to<T: Scalar>(
    tokens: &[u32],
    input_dim: usize,
    out: &mut [T],
) -> Result<(), TokenOutOfRange> {
    check_tokens(tokens, input_dim)?;
    for (o, &t) in out.iter_mut().zip(tokens) {
        *o = T::of(f64::from(t));
    }
    Ok(())
}

/// The row of token `v`, if it is one.
#[inline(always)]
fn row<T: Scalar>(v: T, input_dim: usize) -> Option<usize> {
    let v = v.to_f64();
    // `v as usize` saturates, so the comparison rejects fractions, negatives and NaN alike.
    (v >= 0.0 && v < input_dim as f64 && (v as usize) as f64 == v).then_some(v as usize)
}

/// `y[s] = E[x[s]]` for `n` samples of `steps` tokens: `output_dim` values per token.
#[inline]
pub fn forward<T: Scalar>(
    table: &[T],
    input_dim: usize,
    output_dim: usize,
    x: &[T],
    y: &mut [T],
    steps: usize,
    n: usize,
) {
    for (&v, y) in x[..steps * n]
        .iter()
        .zip(y[..steps * n * output_dim].chunks_exact_mut(output_dim))
    {
        match row(v, input_dim) {
            Some(i) => y.copy_from_slice(&table[i * output_dim..][..output_dim]),
            None => y.fill(T::zero()),
        }
    }
}

/// `∂L/∂E`: zeroed, then each token's `∂L/∂y[s]` added to its row.
#[inline]
pub fn backward<T: Scalar>(
    input_dim: usize,
    output_dim: usize,
    x: &[T],
    grad_y: &[T],
    grad_table: &mut [T],
    steps: usize,
    n: usize,
) {
    let grad_table = &mut grad_table[..input_dim * output_dim];
    grad_table.fill(T::zero());
    for (&v, g) in x[..steps * n]
        .iter()
        .zip(grad_y[..steps * n * output_dim].chunks_exact(output_dim))
    {
        if let Some(i) = row(v, input_dim) {
            for (d, &g) in grad_table[i * output_dim..][..output_dim].iter_mut().zip(g) {
                *d += g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_tokens_accumulate_and_bad_ones_are_rejected() {
        let table = [0.0, 1.0, 10.0, 11.0, 20.0, 21.0];
        let x = [2.0f64, 0.0, 2.0];
        let mut y = [0.0; 6];
        forward(&table, 3, 2, &x, &mut y, 3, 1);
        assert_eq!(y, [20.0, 21.0, 0.0, 1.0, 20.0, 21.0]);
        let mut g = [9.0; 6];
        backward(3, 2, &x, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut g, 3, 1);
        assert_eq!(g, [3.0, 4.0, 0.0, 0.0, 6.0, 8.0]);
        let err = check_tokens(&[1, 3, 0], 3).unwrap_err();
        assert_eq!((err.position, err.token), (1, 3));
    }
}
