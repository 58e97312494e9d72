//! Paths the generated code uses. Not part of the public API: it may change in any release.

// Every layer kind's kernels, by the name of its module (`::kiln::__private::dense`).
pub use crate::layers::*;
pub use alloc::boxed::Box;
pub use alloc::vec::Vec;
pub use nalgebra::{SMatrix, SMatrixView, SVector};

use crate::{LayerInfo, ParamInfo, Scalar};

/// Never implemented: the bound of `step` on a model over sequences that cannot stream, so that
/// calling it is one error in words.
#[diagnostic::on_unimplemented(
    message = "this model cannot run one time step at a time: one of its layers needs the whole sequence",
    label = "`step` is not available for this model",
    note = "a `Bidirectional` layer also reads the sequence backwards, and `Flatten` or a global pooling layer mixes its steps; use `predict` on whole sequences, or build the streaming part from causal `Conv1D`, `LSTM`, `GRU`, `SimpleRNN` and per-step layers"
)]
pub trait CannotStream {}

/// A zeroed buffer on the heap, never touching the stack (large layers must work in debug
/// builds on 2 MiB test-thread stacks).
pub fn zeroed<T: Scalar>(len: usize) -> Box<[T]> {
    alloc::vec![T::default(); len].into_boxed_slice()
}

/// A zeroed index buffer (max-pooling's argmax), on the heap.
pub fn zeroed_indices(len: usize) -> Box<[u32]> {
    alloc::vec![0; len].into_boxed_slice()
}

/// Checks a batch against the input size and the workspace capacity.
#[inline]
#[track_caller]
pub fn check_batch(x_len: usize, input_size: usize, n: usize, capacity: usize) {
    assert!(
        n <= capacity,
        "a batch of {n} samples does not fit a workspace built for {capacity}"
    );
    assert!(
        x_len >= input_size * n,
        "a batch of {n} samples needs {} input values, but {x_len} were given",
        input_size * n
    );
}

/// The parameter tensor called `name` (`"dense_1.kernel"`).
pub fn find_param(layers: &'static [LayerInfo], name: &str) -> Option<&'static ParamInfo> {
    layers
        .iter()
        .flat_map(|l| l.params)
        .find(|p| p.name == name)
}
