//! [`Dataset`]: samples and their targets in the flat, sample-major layout the training loop
//! takes; seeded train/test splits.

use std::collections::BTreeMap;

use super::{DataError, Result};
use crate::Rng;

/// Samples and targets, sample-major.
///
/// Sample `i` occupies `x[i·features .. (i+1)·features]` and its target is `y[i]`. `Y` is `u32`
/// (class indices, the default) for classification or the element type `T` for regression and
/// forecasting. Hand `&ds.x` and `&ds.y` (or [`Dataset::x`], [`Dataset::y`]) straight to the
/// training loop; [`Dataset::one_hot`] gives one-hot targets when a loss wants them.
///
/// ```
/// use kiln::data::Dataset;
/// let ds = Dataset::new(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], vec![0u32, 1, 1], 2);
/// assert_eq!((ds.len(), ds.features()), (3, 2));
/// assert_eq!(ds.sample(1), &[3.0, 4.0]);
/// let sub = ds.subset(&[2, 0]);
/// assert_eq!(sub.x, [5.0, 6.0, 1.0, 2.0]);
/// assert_eq!(sub.y, [1, 0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T, Y = u32> {
    /// Features, sample-major: `len() × features` values.
    pub x: Vec<T>,
    /// One target per sample.
    pub y: Vec<Y>,
    features: usize,
}

impl<T: Copy, Y: Copy> Dataset<T, Y> {
    /// A dataset of `y.len()` samples with `features` values each.
    ///
    /// # Panics
    /// If `x.len() != y.len() × features` (a programming error, not a data error).
    pub fn new(x: Vec<T>, y: Vec<Y>, features: usize) -> Self {
        assert_eq!(
            x.len(),
            y.len() * features,
            "Dataset::new: x holds {} values, but {} samples of {} features need {}",
            x.len(),
            y.len(),
            features,
            y.len() * features
        );
        Dataset { x, y, features }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Values per sample.
    pub fn features(&self) -> usize {
        self.features
    }

    /// All features, sample-major.
    pub fn x(&self) -> &[T] {
        &self.x
    }

    /// All targets.
    pub fn y(&self) -> &[Y] {
        &self.y
    }

    /// The features of sample `i`. Panics if `i >= len()`.
    pub fn sample(&self, i: usize) -> &[T] {
        &self.x[i * self.features..(i + 1) * self.features]
    }

    /// The samples at `indices`, in that order (repeats allowed). Panics on an index `>= len()`.
    pub fn subset(&self, indices: &[usize]) -> Self {
        let mut x = Vec::with_capacity(indices.len() * self.features);
        for &i in indices {
            x.extend_from_slice(self.sample(i));
        }
        let y = indices.iter().map(|&i| self.y[i]).collect();
        Dataset {
            x,
            y,
            features: self.features,
        }
    }

    /// `(train, test)` subsets of a [`Split`].
    pub fn split(&self, split: &Split) -> (Self, Self) {
        (self.subset(&split.train), self.subset(&split.test))
    }
}

impl<T: Copy> Dataset<T, u32> {
    /// Number of classes: `max(y) + 1`, 0 when empty.
    pub fn classes(&self) -> usize {
        self.y.iter().max().map_or(0, |&m| m as usize + 1)
    }

    /// One-hot targets (`len() × classes` values, sample-major); see [`one_hot`].
    pub fn one_hot<S: crate::Scalar>(&self, classes: usize) -> Vec<S> {
        one_hot(&self.y, classes)
    }
}

/// One-hot encoding: `labels.len() × classes` values, row `i` all zero but a one at
/// `labels[i]`.
///
/// # Panics
/// If a label is `>= classes`.
pub fn one_hot<S: crate::Scalar>(labels: &[u32], classes: usize) -> Vec<S> {
    let mut out = vec![S::of(0.0); labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        assert!(
            (l as usize) < classes,
            "one_hot: label {l} of sample {i} is not below {classes}"
        );
        out[i * classes + l as usize] = S::of(1.0);
    }
    out
}

/// Sample indices of a train/test split: each list in shuffled order, or in time order from
/// [`crate::data::chronological_split`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Indices of the training samples.
    pub train: Vec<usize>,
    /// Indices of the test samples.
    pub test: Vec<usize>,
}

pub(super) fn check_fraction(test_fraction: f64) -> Result<()> {
    if test_fraction > 0.0 && test_fraction < 1.0 {
        Ok(())
    } else {
        Err(DataError::SplitFraction {
            fraction: test_fraction,
        })
    }
}

/// A seeded random split of `0..n`: `⌈test_fraction · n⌉` test indices (as scikit-learn's
/// `train_test_split`), the rest for training. Deterministic for a given `seed`.
///
/// Errors: [`DataError::SplitFraction`] unless `0 < test_fraction < 1`.
pub fn train_test_split(n: usize, test_fraction: f64, seed: u64) -> Result<Split> {
    check_fraction(test_fraction)?;
    let mut idx: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut idx);
    let n_test = ((test_fraction * n as f64).ceil() as usize).min(n);
    let train = idx.split_off(n_test);
    Ok(Split { train, test: idx })
}

/// A seeded split that keeps class proportions: for each class with `n_c` samples,
/// `round(test_fraction · n_c)` go to the test side. Both lists are then shuffled. Deterministic
/// for a given `seed`.
///
/// Errors: [`DataError::SplitFraction`] unless `0 < test_fraction < 1`.
pub fn stratified_split(labels: &[u32], test_fraction: f64, seed: u64) -> Result<Split> {
    check_fraction(test_fraction)?;
    // A map, not a vector indexed by label, so that a stray huge label costs nothing.
    let mut by_class: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut members in by_class.into_values() {
        rng.shuffle(&mut members);
        let k = ((test_fraction * members.len() as f64).round() as usize).min(members.len());
        test.extend_from_slice(&members[..k]);
        train.extend_from_slice(&members[k..]);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    Ok(Split { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_complete_disjoint_and_seeded() {
        let s = train_test_split(10, 0.25, 3).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (7, 3));
        let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(s, train_test_split(10, 0.25, 3).unwrap());
        assert_ne!(s, train_test_split(10, 0.25, 4).unwrap());
        for f in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(matches!(
                train_test_split(10, f, 0),
                Err(DataError::SplitFraction { .. })
            ));
        }
    }

    #[test]
    fn one_hot_rows() {
        let v: Vec<f32> = one_hot(&[2, 0], 3);
        assert_eq!(v, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn stratified_split_with_sparse_labels() {
        let labels = [u32::MAX, 3, u32::MAX, 3, 3, 3];
        let s = stratified_split(&labels, 0.5, 9).unwrap();
        let mut test: Vec<u32> = s.test.iter().map(|&i| labels[i]).collect();
        test.sort();
        assert_eq!(test, [3, 3, u32::MAX]);
        assert_eq!(s.train.len(), 3);
    }
}
