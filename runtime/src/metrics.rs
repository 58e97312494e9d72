//! Streaming metrics, reset at the start of each epoch and updated once per batch.
//!
//! Batches follow the loss conventions: outputs column-major `outputs × n` (sample `j` at
//! `output[j*outputs .. (j+1)*outputs]`), targets sample-major (one `u32` label per sample, or
//! `outputs` values per sample). Only the first `outputs*n` (or `n`) elements are read.
//! Sums are kept in `f64`/`u64`; [`Metric::update`] allocates nothing.

#![warn(missing_docs)]

use crate::scalar::Scalar;

/// A metric accumulated over the batches of an epoch.
pub trait Metric<T: Scalar, Y> {
    /// Keras name: `"accuracy"`, `"binary_accuracy"`, `"categorical_accuracy"`,
    /// `"sparse_categorical_accuracy"`, `"mae"`, `"mse"`.
    fn name(&self) -> &'static str;
    /// Forgets everything accumulated so far.
    fn reset(&mut self);
    /// Adds a batch of `n` samples.
    fn update(&mut self, output: &[T], target: &[Y], outputs: usize, n: usize);
    /// The value over everything since the last reset (0 when nothing was seen, like Keras).
    fn result(&self) -> f64;
}

/// Correct / total counters shared by the accuracies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Count {
    correct: u64,
    total: u64,
}

impl Count {
    fn result(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

#[track_caller]
fn check(what: &str, len: usize, needed: usize) {
    assert!(
        len >= needed,
        "metric: `{what}` has {len} elements, needs at least {needed}"
    );
}

/// Index of the largest value, the first one on ties (numpy's `argmax`). NaNs are skipped
/// unless every value is NaN.
#[inline]
fn argmax<T: Scalar>(col: &[T]) -> usize {
    let mut best = 0;
    for (i, v) in col.iter().enumerate().skip(1) {
        if *v > col[best] || col[best].to_f64().is_nan() {
            best = i;
        }
    }
    best
}

fn binary_update<T: Scalar, Y: Copy>(
    c: &mut Count,
    threshold: f64,
    output: &[T],
    target: &[Y],
    len: usize,
    to_f64: impl Fn(Y) -> f64,
) {
    check("output", output.len(), len);
    check("target", target.len(), len);
    for (&o, &y) in output[..len].iter().zip(&target[..len]) {
        let pred = if o.to_f64() > threshold { 1.0 } else { 0.0 };
        c.correct += (to_f64(y) == pred) as u64;
    }
    c.total += len as u64;
}

fn categorical_update<T: Scalar>(
    c: &mut Count,
    output: &[T],
    target: &[T],
    outputs: usize,
    n: usize,
) {
    let len = outputs * n;
    check("output", output.len(), len);
    check("target", target.len(), len);
    if outputs == 0 {
        return;
    }
    for (o, y) in output[..len]
        .chunks_exact(outputs)
        .zip(target[..len].chunks_exact(outputs))
    {
        c.correct += (argmax(o) == argmax(y)) as u64;
    }
    c.total += n as u64;
}

fn sparse_update<T: Scalar>(c: &mut Count, output: &[T], target: &[u32], outputs: usize, n: usize) {
    let len = outputs * n;
    check("output", output.len(), len);
    check("target", target.len(), n);
    if outputs == 0 {
        return;
    }
    for (o, &k) in output[..len].chunks_exact(outputs).zip(&target[..n]) {
        c.correct += (argmax(o) == k as usize) as u64;
    }
    c.total += n as u64;
}

/// Binary accuracy (Keras `binary_accuracy`): the fraction of elements with
/// `[o > threshold] == y`, over all `outputs·n` elements. As in Keras, targets are compared
/// exactly, so they should be 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryAccuracy {
    /// Decision threshold on the output (default 0.5, for sigmoid outputs).
    pub threshold: f64,
    count: Count,
}

impl BinaryAccuracy {
    /// Binary accuracy with the given decision threshold.
    pub fn new(threshold: f64) -> Self {
        BinaryAccuracy {
            threshold,
            count: Count::default(),
        }
    }
}

impl Default for BinaryAccuracy {
    fn default() -> Self {
        BinaryAccuracy::new(0.5)
    }
}

impl<T: Scalar> Metric<T, T> for BinaryAccuracy {
    fn name(&self) -> &'static str {
        "binary_accuracy"
    }

    fn reset(&mut self) {
        self.count = Count::default();
    }

    fn update(&mut self, output: &[T], target: &[T], outputs: usize, n: usize) {
        binary_update(
            &mut self.count,
            self.threshold,
            output,
            target,
            outputs * n,
            |y| y.to_f64(),
        );
    }

    fn result(&self) -> f64 {
        self.count.result()
    }
}

/// Categorical accuracy (Keras `categorical_accuracy`): the fraction of samples with
/// `argmax(o) == argmax(y)` (ties → first index, like numpy).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CategoricalAccuracy {
    count: Count,
}

impl<T: Scalar> Metric<T, T> for CategoricalAccuracy {
    fn name(&self) -> &'static str {
        "categorical_accuracy"
    }

    fn reset(&mut self) {
        self.count = Count::default();
    }

    fn update(&mut self, output: &[T], target: &[T], outputs: usize, n: usize) {
        categorical_update(&mut self.count, output, target, outputs, n);
    }

    fn result(&self) -> f64 {
        self.count.result()
    }
}

/// Sparse categorical accuracy (Keras `sparse_categorical_accuracy`): the fraction of samples
/// with `argmax(o) == k` (ties → first index).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SparseCategoricalAccuracy {
    count: Count,
}

impl<T: Scalar> Metric<T, u32> for SparseCategoricalAccuracy {
    fn name(&self) -> &'static str {
        "sparse_categorical_accuracy"
    }

    fn reset(&mut self) {
        self.count = Count::default();
    }

    fn update(&mut self, output: &[T], target: &[u32], outputs: usize, n: usize) {
        sparse_update(&mut self.count, output, target, outputs, n);
    }

    fn result(&self) -> f64 {
        self.count.result()
    }
}

/// Keras' `"accuracy"`, resolved from the shapes like Keras does:
///
/// * one output: binary accuracy at threshold 0.5 (`u32` labels compared as 0/1);
/// * several outputs and `u32` labels: sparse categorical accuracy;
/// * several outputs and dense targets: categorical accuracy.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracy {
    count: Count,
}

impl<T: Scalar> Metric<T, u32> for Accuracy {
    fn name(&self) -> &'static str {
        "accuracy"
    }

    fn reset(&mut self) {
        self.count = Count::default();
    }

    fn update(&mut self, output: &[T], target: &[u32], outputs: usize, n: usize) {
        if outputs == 1 {
            binary_update(&mut self.count, 0.5, output, target, n, |y| y as f64);
        } else {
            sparse_update(&mut self.count, output, target, outputs, n);
        }
    }

    fn result(&self) -> f64 {
        self.count.result()
    }
}

impl<T: Scalar> Metric<T, T> for Accuracy {
    fn name(&self) -> &'static str {
        "accuracy"
    }

    fn reset(&mut self) {
        self.count = Count::default();
    }

    fn update(&mut self, output: &[T], target: &[T], outputs: usize, n: usize) {
        if outputs == 1 {
            binary_update(&mut self.count, 0.5, output, target, n, |y| y.to_f64());
        } else {
            categorical_update(&mut self.count, output, target, outputs, n);
        }
    }

    fn result(&self) -> f64 {
        self.count.result()
    }
}

/// Streaming mean of an element-wise function of `o − y`, over all elements seen.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Mean {
    sum: f64,
    count: u64,
}

impl Mean {
    fn update<T: Scalar>(
        &mut self,
        output: &[T],
        target: &[T],
        len: usize,
        f: impl Fn(f64) -> f64,
    ) {
        check("output", output.len(), len);
        check("target", target.len(), len);
        for (&o, &y) in output[..len].iter().zip(&target[..len]) {
            self.sum += f(o.to_f64() - y.to_f64());
        }
        self.count += len as u64;
    }

    fn result(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// Mean absolute error metric (Keras `"mae"`): `(1/N)·Σ |o − y|` over all elements seen.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mae {
    mean: Mean,
}

impl<T: Scalar> Metric<T, T> for Mae {
    fn name(&self) -> &'static str {
        "mae"
    }

    fn reset(&mut self) {
        self.mean = Mean::default();
    }

    fn update(&mut self, output: &[T], target: &[T], outputs: usize, n: usize) {
        self.mean.update(output, target, outputs * n, f64::abs);
    }

    fn result(&self) -> f64 {
        self.mean.result()
    }
}

/// Mean squared error metric (Keras `"mse"`): `(1/N)·Σ (o − y)²` over all elements seen.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mse {
    mean: Mean,
}

impl<T: Scalar> Metric<T, T> for Mse {
    fn name(&self) -> &'static str {
        "mse"
    }

    fn reset(&mut self) {
        self.mean = Mean::default();
    }

    fn update(&mut self, output: &[T], target: &[T], outputs: usize, n: usize) {
        self.mean.update(output, target, outputs * n, |d| d * d);
    }

    fn result(&self) -> f64 {
        self.mean.result()
    }
}
