//! Training like Keras: `compile` a model with an optimizer, a loss and metrics, then `fit`,
//! `evaluate` and `predict`.
//!
//! Data is sample-major: `x` holds `INPUT_SIZE` values per sample, one sample after another
//! (which is also the column-major batch layout the model computes on), and `y` holds the loss's
//! targets per sample (one `u32` class label, or `OUTPUT_SIZE` values).

mod batch;
mod callbacks;
pub mod checkpoint;
mod history;
mod model_checkpoint;
mod pool;
mod progress;
mod shards;

pub use crate::io::CheckpointError;
pub use batch::{Samples, Targets};
pub use callbacks::{Callback, Control, EarlyStopping, Goal, TrainerView};
pub use history::{EpochLogs, History};
pub use model_checkpoint::ModelCheckpoint;
pub use progress::Verbosity;
pub use shards::SHARD;

use crate::error::{Error, Result};
use crate::io::WeightsError;
use crate::losses::{FitsOutput, Loss};
use crate::metrics::Metric;
use crate::optim::{clip_grad_norm, Optimizer, Schedule};
use crate::{AnyWidth, GradAt, Mode, Model, Rng, Scalar, Workspace};
use progress::EpochProgress;
use shards::{training_shards, Shards};
use std::path::Path;
use std::time::Instant;

/// A model with everything needed to train it: Keras' compiled model.
///
/// The trainer also knows where training stands: how many epochs are done, and the shuffling
/// and dropout streams. A second [`fit`](Trainer::fit) continues where the first stopped
/// (epoch numbers, learning-rate schedule, shuffling, dropout), and a checkpoint
/// ([`save_checkpoint`](Trainer::save_checkpoint)) records all of it with the parameters and
/// the optimizer's state, so that a fresh trainer that loads it continues bit for bit.
pub struct Trainer<T: Scalar, M: Model<T>, O: Optimizer<T>, L: Loss<T>> {
    model: M,
    optimizer: O,
    loss: L,
    metrics: Vec<Box<dyn Metric<T, L::Target>>>,
    schedule: Option<Box<dyn Schedule>>,
    clip_norm: Option<T>,
    base_lr: f64,
    ws: M::Workspace,
    batch_x: Vec<T>,
    batch_y: Vec<L::Target>,
    position: Position,
    /// Threads of `train_step`, `evaluate`, `predict` and (unless [`Fit::threads`]) `fit`.
    threads: usize,
    /// Batches of more than one shard: their workspaces and the workers.
    shards: Shards<T, M>,
}

/// Where training stands between `fit` calls: what a checkpoint stores, besides parameters and
/// optimizer state, for the next `fit` to continue exactly. (The dropout streams live in the
/// workspace.)
#[derive(Clone, Debug)]
struct Position {
    /// Epochs completed.
    epoch: usize,
    /// The seed the shuffling and dropout streams started from; `None` before the first `fit`.
    seed: Option<u64>,
    /// The shuffling stream.
    shuffle: Rng,
    /// The sample order, reshuffled in place before each epoch (so each epoch's order depends on
    /// the previous one, and both the stream and the order are state).
    order: Vec<usize>,
}

impl Position {
    fn new() -> Self {
        Position {
            epoch: 0,
            seed: None,
            shuffle: Rng::new(0),
            order: Vec::new(),
        }
    }
}

/// `model.compile(optimizer, loss)`, for every generated model.
pub trait Compile<T: Scalar>: Model<T> {
    /// Pairs the model with an optimizer and a loss. A loss that cannot fit the model's output
    /// (categorical cross-entropy on a single output or on a sequence) fails to compile, at
    /// this call ([`FitsOutput`]).
    fn compile<O, L>(self, optimizer: O, loss: L) -> Trainer<T, Self, O, L>
    where
        O: Optimizer<T>,
        L: Loss<T> + FitsOutput<Self::Output>,
    {
        Trainer::new(self, optimizer, loss)
    }
}

impl<T: Scalar, M: Model<T>> Compile<T> for M {}

/// Options of [`Trainer::fit`], Keras' keyword arguments.
pub struct Fit<'a, T, Y> {
    /// Passes over the training data (default 1).
    pub epochs: usize,
    /// Samples per gradient step (default 32); the last batch of an epoch may be smaller and is
    /// trained exactly as it is.
    pub batch_size: usize,
    /// Reshuffle the training samples before each epoch (default true).
    pub shuffle: bool,
    /// Seed of shuffling and dropout: same seed, same data, same result. `None` (the default)
    /// continues the trainer's streams, or starts them from seed 0 on the first `fit`. A seed
    /// the streams did not start from restarts them from it (identity order, fresh dropout
    /// streams); the seed they started from continues them.
    pub seed: Option<u64>,
    /// Data evaluated after each epoch.
    pub validation_data: Option<(&'a [T], &'a [Y])>,
    /// Fraction of the training data (its end, before shuffling, as in Keras) held out for
    /// validation instead.
    pub validation_split: f64,
    /// What to print.
    pub verbosity: Verbosity,
    /// Code run after each epoch.
    pub callbacks: Vec<&'a mut dyn Callback<T>>,
    /// Threads to train on; `None` (the default) takes the trainer's
    /// ([`Trainer::threads`], by default the cores available).
    pub threads: Option<usize>,
}

impl<T, Y> Default for Fit<'_, T, Y> {
    fn default() -> Self {
        Fit {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            seed: None,
            validation_data: None,
            validation_split: 0.0,
            verbosity: Verbosity::Bar,
            callbacks: Vec::new(),
            threads: None,
        }
    }
}

impl<'a, T, Y> Fit<'a, T, Y> {
    /// `epochs` more passes (after those the trainer has already done), other options at their
    /// defaults.
    pub fn epochs(epochs: usize) -> Self {
        Fit {
            epochs,
            ..Default::default()
        }
    }
    /// Samples per gradient step (default 32, Keras' `batch_size`); must be at least 1. A batch
    /// larger than the training set trains on all of it at once.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Whether to reshuffle the training samples before each epoch (default `true`); `false`
    /// keeps the order as it is (the identity, or where an earlier `fit` left it).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Seeds shuffling and dropout: same seed, same data, same result. Default: no seed, which
    /// continues the trainer's streams (from seed 0 on the first `fit`). A seed other than the
    /// one the streams started from restarts them; the same one continues them.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Data to evaluate after each epoch, `x` and targets `y` given like the training data,
    /// flat or as arrays (default none; Keras' `validation_data`); their widths are checked
    /// when `fit` starts. As in Keras it overrides `validation_split`: nothing is held out of
    /// training then.
    pub fn validation_data<X, V>(mut self, x: &'a X, y: &'a V) -> Self
    where
        X: Samples<T, AnyWidth> + ?Sized,
        V: Targets<Y, AnyWidth> + ?Sized,
    {
        self.validation_data = Some((x.values(), y.values()));
        self
    }
    /// Holds out the last `fraction` of the training samples (taken before shuffling) and
    /// evaluates them after each epoch (default 0: no hold-out; Keras' `validation_split`). Must
    /// lie in `[0, 1)`.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = fraction;
        self
    }
    /// What to print (default [`Verbosity::Bar`], a progress bar per epoch; Keras' `verbose`).
    pub fn verbosity(mut self, verbosity: Verbosity) -> Self {
        self.verbosity = verbosity;
        self
    }
    /// No output at all.
    pub fn quiet(self) -> Self {
        self.verbosity(Verbosity::Quiet)
    }
    /// Trains on `threads` threads (default: the trainer's, [`Trainer::threads`], which is the
    /// cores available unless set; 0 counts as 1). The result is the same, bit for bit, for
    /// every thread count: each batch is cut into shards of [`SHARD`] samples, a number that
    /// does not depend on the threads, whose gradients are summed in shard order. A model with
    /// batch statistics (BatchNormalization) trains each batch as one shard, so threads do not
    /// speed up its training (they still speed up its validation).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }
    /// Adds a callback run after each epoch, after those already added (default none; Keras'
    /// `callbacks`). A closure `FnMut(&EpochLogs) -> Control` is one.
    pub fn callback(mut self, callback: &'a mut dyn Callback<T>) -> Self {
        self.callbacks.push(callback);
        self
    }
}

/// Loss and metrics over a dataset, from [`Trainer::evaluate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss over the dataset's samples.
    pub loss: f64,
    /// Metrics, `(name, value)`, in the order they were added to the trainer.
    pub metrics: Vec<(&'static str, f64)>,
}

impl Evaluation {
    /// A metric by name (`"accuracy"`), or the loss for `"loss"`.
    pub fn get(&self, name: &str) -> Option<f64> {
        if name == "loss" {
            return Some(self.loss);
        }
        self.metrics
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

impl<T: Scalar, M: Model<T>, O: Optimizer<T>, L: Loss<T>> Trainer<T, M, O, L> {
    /// See [`Compile::compile`].
    pub fn new(model: M, mut optimizer: O, loss: L) -> Self
    where
        L: FitsOutput<M::Output>,
    {
        optimizer.init(M::TRAINABLE_PARAMS);
        let base_lr = optimizer.learning_rate();
        let ws = model.workspace(0);
        Trainer {
            model,
            optimizer,
            loss,
            metrics: Vec::new(),
            schedule: None,
            clip_norm: None,
            base_lr,
            ws,
            batch_x: Vec::new(),
            batch_y: Vec::new(),
            position: Position::new(),
            threads: shards::available_threads(),
            shards: Shards::new(),
        }
    }

    /// Runs `train_step`, `evaluate`, `predict` and `fit` on `threads` threads (default: the
    /// cores available, `std::thread::available_parallelism`; 0 counts as 1); see
    /// [`Fit::threads`]. Results do not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.set_threads(threads);
        self
    }

    /// [`Trainer::threads`] on a trainer already built.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// The threads `train_step`, `evaluate` and `predict` run on.
    pub fn thread_count(&self) -> usize {
        self.threads
    }

    /// Adds a metric reported by `fit` and `evaluate`.
    pub fn metric(mut self, metric: impl Metric<T, L::Target> + 'static) -> Self {
        self.metrics.push(Box::new(metric));
        self
    }

    /// Sets the learning rate of each epoch from the optimizer's initial rate.
    pub fn schedule(mut self, schedule: impl Schedule + 'static) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// Clips the gradient to a global L2 norm of at most `max_norm` before each step.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(T::of(max_norm));
        self
    }

    /// The model being trained.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model being trained, mutable (e.g. to set or load its parameters between `fit`s).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The trained model, for inference; the optimizer and training state are dropped.
    pub fn into_model(self) -> M {
        self.model
    }

    /// The optimizer, with its state and current learning rate.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The optimizer, mutable (e.g. to set its learning rate; a [`schedule`](Trainer::schedule)
    /// sets it again at the start of each epoch).
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// Epochs trained so far, over every `fit` (and restored by
    /// [`load_checkpoint`](Trainer::load_checkpoint)): the next epoch's zero-based index.
    pub fn epochs_done(&self) -> usize {
        self.position.epoch
    }

    /// Makes room for batches of `capacity` samples (allocates only when it grows; the dropout
    /// streams carry over to the larger workspace).
    fn reserve(&mut self, capacity: usize) {
        if self.ws.capacity() < capacity {
            let mut ws = self.model.workspace(capacity);
            for (new, old) in ws.rngs_mut().into_iter().zip(self.ws.rngs()) {
                *new = old.clone();
            }
            self.ws = ws;
        }
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        if self.batch_x.len() < capacity * M::INPUT_SIZE {
            self.batch_x.resize(capacity * M::INPUT_SIZE, T::zero());
        }
        if self.batch_y.len() < capacity * per_sample {
            let fill = self.batch_y.first().copied();
            match fill {
                Some(fill) => self.batch_y.resize(capacity * per_sample, fill),
                None => self.batch_y.reserve_exact(capacity * per_sample),
            }
        }
    }

    /// Checks `x` and `y` of `set` against each other first (the targets say how many samples
    /// there are, and `x` must hold exactly that many), then the targets against the loss;
    /// returns the sample count.
    fn check_data(&self, x: &[T], y: &[L::Target], set: Dataset) -> Result<usize> {
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE).max(1);
        if !y.len().is_multiple_of(per_sample) {
            return Err(Error::RaggedTargets {
                what: set.y(),
                len: y.len(),
                per_sample,
            });
        }
        let n = y.len() / per_sample;
        if n.checked_mul(M::INPUT_SIZE) != Some(x.len()) {
            return Err(Error::SampleCount {
                x: set.x(),
                y: set.y(),
                samples: n,
                input_size: M::INPUT_SIZE,
                found: x.len(),
            });
        }
        if n == 0 {
            return Err(Error::Empty { what: set.name() });
        }
        self.loss
            .check_targets_for(M::OUTPUT_SIZE, n, y)
            .map_err(|source| Error::Target {
                what: set.name(),
                source,
            })?;
        Ok(n)
    }

    /// One gradient step on a batch of `n` samples (`x`: `INPUT_SIZE × n`, `y`: targets);
    /// returns the batch's mean loss. Checks the slices against `n`, the targets, the inputs'
    /// and the updated parameters' finiteness (a failed check before the step changes
    /// nothing; [`Error::NonFiniteParam`] comes after it). Allocates nothing once the trainer
    /// has room for `n` samples (the first call, or a larger `n`, makes room).
    pub fn train_step(&mut self, x: &[T], y: &[L::Target], n: usize) -> Result<T> {
        self.check_hyper_parameters()?;
        if n == 0 {
            return Err(Error::Empty { what: "train_step" });
        }
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        for (what, expected, found) in [
            ("x", n.checked_mul(M::INPUT_SIZE), x.len()),
            ("y", n.checked_mul(per_sample), y.len()),
        ] {
            if expected != Some(found) {
                return Err(Error::BatchSize {
                    what,
                    n,
                    expected: expected.unwrap_or(usize::MAX),
                    found,
                });
            }
        }
        self.loss
            .check_targets_for(M::OUTPUT_SIZE, n, y)
            .map_err(|source| Error::Target {
                what: "train_step",
                source,
            })?;
        self.reserve(n);
        self.shards.set_threads(self.threads);
        let epoch = self.position.epoch;
        self.step(x, y, n)
            .map_err(|fault| fault.at(epoch, 0, |slot| slot))
    }

    /// The optimizer's learning rate and the clipping norm are usable.
    fn check_hyper_parameters(&self) -> Result<()> {
        let lr = self.optimizer.learning_rate();
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(Error::InvalidOption(format!(
                "the learning rate must be finite and not negative, but is {lr}"
            )));
        }
        if let Some(norm) = self.clip_norm.map(T::to_f64) {
            if norm.is_nan() || norm <= 0.0 {
                return Err(Error::InvalidOption(format!(
                    "the gradient clipping norm must be positive, but is {norm}"
                )));
            }
        }
        Ok(())
    }

    /// The step itself, on checked slices: inputs checked finite, forward, loss, backward,
    /// clipping, update, parameters checked finite. Allocates nothing; the checks are one pass
    /// over the batch's inputs and one over the parameters, small beside the step.
    fn step(&mut self, x: &[T], y: &[L::Target], n: usize) -> Result<T, Fault> {
        // A branch-free fold (vectorised) first; the position only when something is wrong.
        let finite = |v: &[T]| !v.iter().fold(false, |bad, v| bad | !v.is_finite());
        if let Some(at) = (!finite(x))
            .then(|| x.iter().position(|v| !v.is_finite()))
            .flatten()
        {
            return Err(Fault::Input {
                slot: at / M::INPUT_SIZE,
                index: at % M::INPUT_SIZE,
                value: x[at].to_f64(),
            });
        }
        let trainable = M::TRAINABLE_PARAMS;
        let count = training_shards::<T, M>(n);
        let (loss, mut first);
        let grads = if count == 1 {
            (loss, _) = forward_backward(&self.model, &self.loss, &mut self.ws, (x, y), (n, n));
            if !loss.is_finite() {
                return Err(Fault::Loss(loss.to_f64()));
            }
            self.model.update_moving_statistics(&self.ws, n);
            &mut self.ws.grads_mut()[..trainable]
        } else {
            loss = self.sharded_pass(x, y, n, count);
            if !loss.is_finite() {
                return Err(Fault::Loss(loss.to_f64()));
            }
            first = self.shards.reduce(count, trainable);
            &mut first.ws.grads_mut()[..trainable]
        };
        if let Some(max_norm) = self.clip_norm {
            clip_grad_norm(grads, max_norm);
        }
        self.optimizer
            .step(&mut self.model.params_mut()[..trainable], grads);
        let params = self.model.params();
        if let Some(index) = (!finite(params))
            .then(|| params.iter().position(|v| !v.is_finite()))
            .flatten()
        {
            return Err(Fault::Param {
                index,
                value: params[index].to_f64(),
            });
        }
        Ok(loss)
    }

    /// Forward, loss and backward of a batch of `n` samples as its `count` shards, on the
    /// trainer's threads (see [`SHARD`]); returns the batch's mean loss, and leaves each
    /// shard's gradient in its workspace. Each shard's loss gradient is scaled by its share of
    /// the batch, `m/n`. Allocates nothing once the shards exist.
    fn sharded_pass(&mut self, x: &[T], y: &[L::Target], n: usize, count: usize) -> T {
        self.shards.reserve(&self.model, count);
        self.shards.derive_streams(count, &mut self.ws);
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        let (model, loss) = (&self.model, &self.loss);
        self.shards.run(n, |start, m, shard| {
            let xs = &x[start * M::INPUT_SIZE..(start + m) * M::INPUT_SIZE];
            let ys = &y[start * per_sample..(start + m) * per_sample];
            (shard.loss, shard.at) = forward_backward(model, loss, &mut shard.ws, (xs, ys), (m, n));
        });
        T::of(self.shards.loss_sum(n) / n as f64)
    }

    /// Trains for `options.epochs` more epochs; returns their history.
    ///
    /// Epochs are numbered over the trainer's life: after `fit(Fit::epochs(2))`, a second
    /// `fit(Fit::epochs(2))` runs epochs 2 and 3 (Keras' `initial_epoch = 2, epochs = 4`), with
    /// the learning-rate schedule, the shuffling and the dropout streams continuing, so that it
    /// trains exactly as one `fit(Fit::epochs(4))` would (see [`Fit::seed`] for restarting the
    /// streams). If the training set's size changes between calls, the sample order restarts
    /// from the identity (the stream continues).
    ///
    /// Each epoch reshuffles the previous epoch's order in place (Fisher-Yates, when
    /// [`Fit::shuffle`]), trains on consecutive batches of it, validates, then runs the callbacks,
    /// which may stop training or fail (a failing callback, e.g. a checkpoint that cannot be
    /// written, ends `fit` with its error). Allocates nothing per batch.
    ///
    /// `x` and `y` are flat slices (`INPUT_SIZE` values per sample; the loss's targets per
    /// sample) or slices of per-sample arrays, `&[[T; INPUT_SIZE]]` and `&[[T; OUTPUT_SIZE]]`,
    /// whose widths the compiler checks. Either way the sample counts of `x` and `y` are
    /// checked against each other first, and an error names the argument at fault.
    pub fn fit<X, Y>(&mut self, x: &X, y: &Y, mut options: Fit<'_, T, L::Target>) -> Result<History>
    where
        X: Samples<T, M> + ?Sized,
        Y: Targets<L::Target, M> + ?Sized,
    {
        let (x, y) = (x.values(), y.values());
        if options.batch_size == 0 {
            return Err(Error::InvalidOption("batch_size must be at least 1".into()));
        }
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(Error::InvalidOption(format!(
                "validation_split must lie in [0, 1), but is {}",
                options.validation_split
            )));
        }
        self.check_hyper_parameters()?;
        let total = self.check_data(x, y, Dataset::Training)?;
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        // Keras holds out the *last* samples, before any shuffling; `validation_data` overrides
        // the split (every sample trains), as in Keras.
        let held_out = if options.validation_data.is_some() {
            0
        } else {
            (total as f64 * options.validation_split) as usize
        };
        let n = total - held_out;
        let (x, x_val) = x.split_at(n * M::INPUT_SIZE);
        let (y, y_val) = y.split_at(n * per_sample);
        let validation = match options.validation_data {
            Some((xv, yv)) => {
                self.check_data(xv, yv, Dataset::Validation)?;
                Some((xv, yv))
            }
            None if held_out > 0 => Some((x_val, y_val)),
            None => None,
        };
        if n == 0 {
            return Err(Error::Empty {
                what: "training (after the validation split)",
            });
        }

        let batch = options.batch_size.min(n);
        self.reserve(batch);
        self.shards
            .set_threads(options.threads.unwrap_or(self.threads));
        self.shards
            .reserve(&self.model, training_shards::<T, M>(batch));
        let seed = options.seed.or(self.position.seed).unwrap_or(0);
        if self.position.seed != Some(seed) {
            self.position.seed = Some(seed);
            self.position.shuffle = Rng::new(seed);
            self.position.order.clear();
            self.ws.reseed(seed);
        }
        if self.position.order.len() != n {
            self.position.order.clear();
            self.position.order.extend(0..n);
        }
        let batches = n.div_ceil(batch);
        let last_epoch = self.position.epoch.saturating_add(options.epochs);
        let mut history = History::default();

        for _ in 0..options.epochs {
            let epoch = self.position.epoch;
            if let Some(schedule) = &self.schedule {
                self.optimizer
                    .set_learning_rate(schedule.lr(self.base_lr, epoch));
                self.check_hyper_parameters()?;
            }
            let mut order = std::mem::take(&mut self.position.order);
            if options.shuffle {
                self.position.shuffle.shuffle(&mut order);
            }
            let mut progress = EpochProgress::start(options.verbosity, epoch, last_epoch, batches);
            let started = Instant::now();
            let trained = self.train_epoch(x, y, &order, batch, epoch, &mut progress);
            self.position.order = order;
            let loss_sum = trained?;
            let seconds = started.elapsed().as_secs_f64();
            let mut logs = EpochLogs {
                epoch,
                loss: loss_sum / n as f64,
                metrics: self
                    .metrics
                    .iter()
                    .map(|m| (m.name(), m.result()))
                    .collect(),
                val_loss: None,
                val_metrics: Vec::new(),
                learning_rate: self.optimizer.learning_rate(),
                seconds,
                samples_per_second: n as f64 / seconds.max(1e-9),
            };
            if let Some((xv, yv)) = validation {
                let evaluation = self.evaluate_with(xv, yv, batch)?;
                logs.val_loss = Some(evaluation.loss);
                logs.val_metrics = evaluation.metrics;
            }
            progress.finish(last_epoch, &logs);
            self.position.epoch = self.position.epoch.saturating_add(1);
            let mut stop = false;
            for callback in &mut options.callbacks {
                stop |= callback.on_epoch_end_with(&logs, &*self)? == Control::Stop;
            }
            history.epochs.push(logs);
            if stop {
                history.stopped_early_at = Some(epoch);
                break;
            }
        }
        for callback in &mut options.callbacks {
            callback.on_train_end(self.model.params_mut());
        }
        Ok(history)
    }

    /// Trains one epoch on the samples of `order`, in batches of `batch`; returns the sum of
    /// the batch losses weighted by the batch sizes. Allocates nothing.
    fn train_epoch(
        &mut self,
        x: &[T],
        y: &[L::Target],
        order: &[usize],
        batch: usize,
        epoch: usize,
        progress: &mut EpochProgress,
    ) -> Result<f64> {
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        for metric in &mut self.metrics {
            metric.reset();
        }
        let mut loss_sum = 0.0;
        for (index, chunk) in order.chunks(batch).enumerate() {
            let m = chunk.len();
            for (slot, &i) in chunk.iter().enumerate() {
                self.batch_x[slot * M::INPUT_SIZE..(slot + 1) * M::INPUT_SIZE]
                    .copy_from_slice(&x[i * M::INPUT_SIZE..(i + 1) * M::INPUT_SIZE]);
            }
            self.batch_y.clear();
            for &i in chunk {
                self.batch_y
                    .extend_from_slice(&y[i * per_sample..(i + 1) * per_sample]);
            }
            let batch_x = std::mem::take(&mut self.batch_x);
            let batch_y = std::mem::take(&mut self.batch_y);
            let loss = self.step(&batch_x[..m * M::INPUT_SIZE], &batch_y, m);
            self.batch_x = batch_x;
            self.batch_y = batch_y;
            let loss = loss.map_err(|fault| fault.at(epoch, index, |slot| chunk[slot]))?;
            loss_sum += loss.to_f64() * m as f64;
            self.update_metrics(m, training_shards::<T, M>(m));
            let seen = (index * batch + m) as f64;
            let metrics = &self.metrics;
            progress.batch_done(index * batch + m, || {
                running_summary(loss_sum / seen, metrics)
            });
        }
        Ok(loss_sum)
    }

    /// Updates the metrics with the last batch of `m` samples (in `batch_y`), run as `count`
    /// shards.
    fn update_metrics(&mut self, m: usize, count: usize) {
        let metrics = &mut self.metrics;
        if count == 1 {
            let output = &self.ws.output()[..M::OUTPUT_SIZE * m];
            for metric in metrics {
                metric.update(output, &self.batch_y, M::OUTPUT_SIZE, m);
            }
            return;
        }
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        self.shards
            .for_each_output(m, &self.batch_y, per_sample, |output, y, k| {
                for metric in metrics.iter_mut() {
                    metric.update(output, y, M::OUTPUT_SIZE, k);
                }
            });
    }

    /// Loss and metrics over a dataset, in inference mode, in batches of the workspace size;
    /// `x` and `y` as for [`fit`](Trainer::fit).
    pub fn evaluate<X, Y>(&mut self, x: &X, y: &Y) -> Result<Evaluation>
    where
        X: Samples<T, M> + ?Sized,
        Y: Targets<L::Target, M> + ?Sized,
    {
        let (x, y) = (x.values(), y.values());
        self.check_data(x, y, Dataset::Evaluation)?;
        self.shards.set_threads(self.threads);
        let batch = self.ws.capacity().max(32);
        self.evaluate_with(x, y, batch)
    }

    /// [`evaluate`](Trainer::evaluate) in batches of `batch`, each cut into shards as in
    /// training (whatever the model's layers: inference treats samples independently).
    fn evaluate_with(&mut self, x: &[T], y: &[L::Target], batch: usize) -> Result<Evaluation> {
        self.reserve(batch);
        self.shards.reserve(&self.model, batch.div_ceil(SHARD));
        let n = x.len() / M::INPUT_SIZE;
        let per_sample = self.loss.targets_per_sample(M::OUTPUT_SIZE);
        for metric in &mut self.metrics {
            metric.reset();
        }
        let mut loss_sum = 0.0;
        for start in (0..n).step_by(batch) {
            let m = batch.min(n - start);
            let xb = &x[start * M::INPUT_SIZE..(start + m) * M::INPUT_SIZE];
            let yb = &y[start * per_sample..(start + m) * per_sample];
            if m > SHARD {
                let (model, loss) = (&self.model, &self.loss);
                self.shards.run(m, |start, k, shard| {
                    let xs = &xb[start * M::INPUT_SIZE..(start + k) * M::INPUT_SIZE];
                    model.forward(&mut shard.ws, xs, k, Mode::Infer);
                    let views = shard.ws.loss_views();
                    let ys = &yb[start * per_sample..(start + k) * per_sample];
                    let (logits, output) = (views.logits, views.output);
                    shard.loss =
                        loss.loss(M::OUTPUT_ACTIVATION, logits, output, ys, M::OUTPUT_SIZE, k);
                });
                loss_sum += self.shards.loss_sum(m);
                let metrics = &mut self.metrics;
                self.shards
                    .for_each_output(m, yb, per_sample, |output, y, k| {
                        for metric in metrics.iter_mut() {
                            metric.update(output, y, M::OUTPUT_SIZE, k);
                        }
                    });
                continue;
            }
            self.model.forward(&mut self.ws, xb, m, Mode::Infer);
            let views = self.ws.loss_views();
            let loss = self.loss.loss(
                M::OUTPUT_ACTIVATION,
                views.logits,
                views.output,
                yb,
                M::OUTPUT_SIZE,
                m,
            );
            loss_sum += loss.to_f64() * m as f64;
            let output = &self.ws.output()[..M::OUTPUT_SIZE * m];
            for metric in &mut self.metrics {
                metric.update(output, yb, M::OUTPUT_SIZE, m);
            }
        }
        Ok(Evaluation {
            loss: loss_sum / n as f64,
            metrics: self
                .metrics
                .iter()
                .map(|m| (m.name(), m.result()))
                .collect(),
        })
    }

    /// The model's outputs for every sample of `x` (flat, or `&[[T; INPUT_SIZE]]`, as for
    /// [`fit`](Trainer::fit)), `OUTPUT_SIZE` values per sample: shards of [`SHARD`] samples
    /// on the trainer's threads, each sample's output the same for every thread count.
    pub fn predict<X: Samples<T, M> + ?Sized>(&mut self, x: &X) -> Result<Vec<T>> {
        let x = x.values();
        let n = samples_in::<T, M>(x)?;
        self.shards.set_threads(self.threads);
        // Samples per round: two shards per thread. The rounds do not change any output.
        let round = 2 * SHARD * self.shards.threads();
        self.shards.reserve(&self.model, round.div_ceil(SHARD));
        let mut out = Vec::with_capacity(n * M::OUTPUT_SIZE);
        let model = &self.model;
        for begin in (0..n).step_by(round) {
            let m = round.min(n - begin);
            let xb = &x[begin * M::INPUT_SIZE..(begin + m) * M::INPUT_SIZE];
            self.shards.run(m, |start, k, shard| {
                let xs = &xb[start * M::INPUT_SIZE..(start + k) * M::INPUT_SIZE];
                model.forward(&mut shard.ws, xs, k, Mode::Infer);
            });
            self.shards
                .for_each_output(m, &[(); 0][..], 0, |output, _, _| {
                    out.extend_from_slice(output)
                });
        }
        Ok(out)
    }
}

/// What a callback sees of the trainer running it.
impl<T: Scalar, M: Model<T>, O: Optimizer<T>, L: Loss<T>> TrainerView<T> for Trainer<T, M, O, L> {
    fn params(&self) -> &[T] {
        self.model.params()
    }

    fn epochs_done(&self) -> usize {
        self.position.epoch
    }

    fn save_weights(&self, path: &Path) -> Result<(), WeightsError> {
        crate::io::save(&self.model, path)
    }

    fn save_checkpoint(&self, path: &Path) -> Result<(), CheckpointError> {
        Trainer::save_checkpoint(self, path)
    }
}

/// Runs `model` over every sample of `x` in inference mode, in batches of the workspace's
/// capacity; returns `OUTPUT_SIZE` values per sample.
pub fn predict<T: Scalar, M: Model<T>>(
    model: &M,
    ws: &mut M::Workspace,
    x: &[T],
) -> Result<Vec<T>> {
    let n = samples_in::<T, M>(x)?;
    if ws.capacity() == 0 {
        *ws = model.workspace(32);
    }
    let batch = ws.capacity();
    let mut out = Vec::with_capacity(n * M::OUTPUT_SIZE);
    for start in (0..n).step_by(batch) {
        let m = batch.min(n - start);
        model.forward(
            ws,
            &x[start * M::INPUT_SIZE..(start + m) * M::INPUT_SIZE],
            m,
            Mode::Infer,
        );
        out.extend_from_slice(&ws.output()[..m * M::OUTPUT_SIZE]);
    }
    Ok(out)
}

/// Why a step stopped, before it is placed in an epoch and batch.
enum Fault {
    /// Input `index` of the batch's sample `slot` is `value`.
    Input {
        slot: usize,
        index: usize,
        value: f64,
    },
    /// The batch's loss.
    Loss(f64),
    /// Parameter `index` became `value`.
    Param { index: usize, value: f64 },
}

impl Fault {
    /// The error, in `epoch` and `batch`; `sample` maps a slot of the batch to the sample.
    fn at(self, epoch: usize, batch: usize, sample: impl FnOnce(usize) -> usize) -> Error {
        match self {
            Fault::Input { slot, index, value } => Error::NonFiniteInput {
                epoch,
                batch,
                sample: sample(slot),
                index,
                value,
            },
            Fault::Loss(loss) => Error::NonFiniteLoss { epoch, batch, loss },
            Fault::Param { index, value } => Error::NonFiniteParam {
                epoch,
                batch,
                index,
                value,
            },
        }
    }
}

/// The number of samples in `x`, which must be a whole number of them.
fn samples_in<T: Scalar, M: Model<T>>(x: &[T]) -> Result<usize> {
    if !x.len().is_multiple_of(M::INPUT_SIZE) {
        return Err(Error::RaggedInput {
            what: "x",
            len: x.len(),
            input_size: M::INPUT_SIZE,
        });
    }
    Ok(x.len() / M::INPUT_SIZE)
}

/// Forward, loss and backward of `m` of a batch's `n` samples (`x`, `y`) in `ws`, the loss
/// gradient scaled by their share of the batch, `m/n` (left as it is for the whole batch):
/// returns the `m` samples' mean loss and where its gradient is taken, and runs no backward
/// pass when the loss is not finite.
fn forward_backward<T: Scalar, M: Model<T>, L: Loss<T>>(
    model: &M,
    loss: &L,
    ws: &mut M::Workspace,
    (x, y): (&[T], &[L::Target]),
    (m, n): (usize, usize),
) -> (T, GradAt) {
    model.forward(ws, x, m, Mode::Train);
    let views = ws.loss_views();
    let (value, at) = loss.loss_and_grad(
        M::OUTPUT_ACTIVATION,
        views.logits,
        views.output,
        y,
        M::OUTPUT_SIZE,
        m,
        views.output_grad,
    );
    if m < n {
        let share = T::of(m as f64 / n as f64);
        for g in &mut views.output_grad[..M::OUTPUT_SIZE * m] {
            *g *= share;
        }
    }
    if value.is_finite() {
        model.backward(ws, x, m, at, false);
    }
    (value, at)
}

/// The data sets `fit` and `evaluate` check, for errors that name the argument at fault.
#[derive(Clone, Copy)]
enum Dataset {
    Training,
    Validation,
    Evaluation,
}

impl Dataset {
    fn name(self) -> &'static str {
        match self {
            Dataset::Training => "training",
            Dataset::Validation => "validation",
            Dataset::Evaluation => "evaluation",
        }
    }

    fn x(self) -> &'static str {
        match self {
            Dataset::Training => "training x",
            Dataset::Validation => "validation x",
            Dataset::Evaluation => "evaluation x",
        }
    }

    fn y(self) -> &'static str {
        match self {
            Dataset::Training => "training y",
            Dataset::Validation => "validation y",
            Dataset::Evaluation => "evaluation y",
        }
    }
}

/// `loss: 0.2931 - accuracy: 0.9147` for the progress bar.
fn running_summary<T: Scalar, Y>(loss: f64, metrics: &[Box<dyn Metric<T, Y>>]) -> String {
    let mut s = format!("loss: {loss:.4}");
    for m in metrics {
        s.push_str(&format!(" - {}: {:.4}", m.name(), m.result()));
    }
    s
}
