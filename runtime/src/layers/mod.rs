//! Kernels of each layer kind, called by the code `model!` generates. Each module mirrors the
//! macro's module of the same name (`macros/src/layers/`), which holds the layer's shape rule.
//!
//! Batches are column-major `size × n` slices: sample `j` occupies `x[j*size .. (j+1)*size]`.
//! Slices may be longer than `size × n` (a workspace's capacity); only the first `size × n`
//! elements are read or written.

pub mod activation;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod gru;
pub mod init;
pub mod lstm;
pub mod pool;
pub mod simple_rnn;

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
