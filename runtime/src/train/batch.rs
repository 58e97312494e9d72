//! What `fit`, `evaluate` and `predict` accept as data: one flat slice of every sample's values
//! (`&[T]`, `&Vec<T>`), or one array per sample (`&[[T; INPUT_SIZE]]`, `&Vec<[T; N]>`), whose
//! width is then checked by the type system against the model's.

use crate::model::{InputWidth, OutputWidth};

/// Input samples for a model `M`: a flat slice of `INPUT_SIZE` values per sample, or a slice
/// (`Vec`, array) of `[T; INPUT_SIZE]` arrays. Arrays of another width do not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch of input samples of `{T}`",
    label = "expected `&[{T}]` (every sample's values, one after another) or `&[[{T}; INPUT_SIZE]]`",
    note = "a model's inputs are its scalar type: a model declared `Net` is `Net<f32>`"
)]
pub trait Samples<T, M> {
    /// Every sample's values, one sample after another.
    fn values(&self) -> &[T];
}

/// Targets for a model `M` and its loss: a flat slice of the loss's targets (`OUTPUT_SIZE`
/// values per sample, or one class label), or a slice of `[Y; OUTPUT_SIZE]` arrays. Arrays of
/// another width do not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch of targets of `{Y}`",
    label = "expected `&[{Y}]` (every sample's targets, one after another) or `&[[{Y}; OUTPUT_SIZE]]`",
    note = "a sparse categorical loss takes one `u32` class label per sample; other losses the model's scalar type"
)]
pub trait Targets<Y, M> {
    /// Every sample's targets, one sample after another.
    fn values(&self) -> &[Y];
}

/// The containers both traits accept, flat or of arrays of a width the model has.
macro_rules! batch_impls {
    ($trait:ident, $width:ident) => {
        impl<T, M> $trait<T, M> for [T] {
            fn values(&self) -> &[T] {
                self
            }
        }
        impl<T, M> $trait<T, M> for Vec<T> {
            fn values(&self) -> &[T] {
                self
            }
        }
        impl<T, M, const K: usize> $trait<T, M> for [T; K] {
            fn values(&self) -> &[T] {
                self
            }
        }
        impl<T, M: $width<N>, const N: usize> $trait<T, M> for [[T; N]] {
            fn values(&self) -> &[T] {
                self.as_flattened()
            }
        }
        impl<T, M: $width<N>, const N: usize> $trait<T, M> for Vec<[T; N]> {
            fn values(&self) -> &[T] {
                self.as_flattened()
            }
        }
        impl<T, M: $width<N>, const N: usize, const K: usize> $trait<T, M> for [[T; N]; K] {
            fn values(&self) -> &[T] {
                self.as_flattened()
            }
        }
    };
}

batch_impls!(Samples, InputWidth);
batch_impls!(Targets, OutputWidth);
