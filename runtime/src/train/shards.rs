//! Data parallelism that gives the same bits on any number of threads.
//!
//! A batch of `n` samples is cut into shards of [`SHARD`] samples (the last one smaller), a
//! number that depends on `n` only, never on the thread count. Each shard has a workspace of
//! its own, so its forward pass, loss gradient and backward pass are the same arithmetic on
//! the same values whichever thread runs them; shard `s` runs on worker `s mod threads`. The
//! parameter gradient is then the sum `shard 0 + shard 1 + …`, element by element in that
//! order, on the calling thread. Each shard's loss gradient is scaled by `m/n` (its share of
//! the batch), so that the sum is the gradient of the batch's mean loss.
//!
//! A batch of at most [`SHARD`] samples is one shard, and a model with batch statistics
//! (BatchNormalization) trains every batch as one shard: its normalisation couples every
//! sample of the batch, which no shard sees alone. Both run the trainer's own workspace on the
//! calling thread, exactly as without threads.

use super::pool::Pool;
use crate::{GradAt, Model, Rng, Scalar, Workspace};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Samples per shard.
pub const SHARD: usize = 16;

/// One shard's workspace and the results of its last pass.
pub(crate) struct Shard<T, W> {
    pub ws: W,
    /// The shard's mean loss (training or evaluation).
    pub loss: T,
    /// What the loss gradient was taken with respect to.
    pub at: GradAt,
}

/// The shards' workspaces and the workers that run them.
pub(crate) struct Shards<T: Scalar, M: Model<T>> {
    shards: Vec<Mutex<Shard<T, M::Workspace>>>,
    pool: Option<Pool>,
}

impl<T: Scalar, M: Model<T>> Shards<T, M> {
    pub(crate) fn new() -> Self {
        Shards {
            shards: Vec::new(),
            pool: None,
        }
    }

    /// Runs on `threads` threads from now on (spawning or stopping workers if that changes).
    pub(crate) fn set_threads(&mut self, threads: usize) {
        let threads = threads.max(1);
        if self.threads() != threads {
            self.pool = (threads > 1).then(|| Pool::new(threads));
        }
    }

    /// Threads the shards run on.
    pub(crate) fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, Pool::threads)
    }

    /// Makes room for `count` shards (allocates only when that grows).
    pub(crate) fn reserve(&mut self, model: &M, count: usize) {
        while self.shards.len() < count {
            self.shards.push(Mutex::new(Shard {
                ws: model.workspace(SHARD),
                loss: T::zero(),
                at: GradAt::Output,
            }));
        }
    }

    /// Shard `s`, locked (uncontended outside [`Shards::run`]).
    pub(crate) fn get(&self, s: usize) -> MutexGuard<'_, Shard<T, M::Workspace>> {
        self.shards[s]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Restarts shard `s`'s random streams for the next batch: stream `l` from the draw
    /// `keys(l)` of the trainer's stream `l`, and the shard's index, so that a shard's dropout
    /// masks depend on the batch and the shard only.
    pub(crate) fn derive_streams(&self, count: usize, main: &mut M::Workspace) {
        for stream in 0..main.rng_count() {
            let Some(key) = main.rng_mut(stream).map(Rng::next_u64) else {
                continue;
            };
            for s in 0..count {
                if let Some(rng) = self.get(s).ws.rng_mut(stream) {
                    *rng = Rng::derive(key, s as u64);
                }
            }
        }
    }

    /// Runs `job(start, m, shard)` for each of the `count` shards of a batch of `n` samples
    /// (shard `s` holds samples `start..start + m`), shard `s` on worker `s mod threads`;
    /// returns when all are done. Allocates nothing.
    pub(crate) fn run<F>(&self, n: usize, job: F)
    where
        F: Fn(usize, usize, &mut Shard<T, M::Workspace>) + Sync,
        M::Workspace: Send,
    {
        let count = n.div_ceil(SHARD);
        debug_assert!(count <= self.shards.len());
        let threads = self.threads();
        let work = |worker: usize| {
            for s in (worker..count).step_by(threads) {
                let start = s * SHARD;
                job(start, SHARD.min(n - start), &mut self.get(s));
            }
        };
        match &self.pool {
            Some(pool) => pool.run(&work),
            None => work(0),
        }
    }

    /// Adds the trainable gradients of shards `1..count` to shard 0's, in shard order (each
    /// element is `((g₀ + g₁) + g₂) + …`); shard 0, which then holds the batch's gradient.
    pub(crate) fn reduce(
        &self,
        count: usize,
        trainable: usize,
    ) -> MutexGuard<'_, Shard<T, M::Workspace>> {
        let mut first = self.get(0);
        for s in 1..count {
            let other = self.get(s);
            let sum = &mut first.ws.grads_mut()[..trainable];
            for (total, &g) in sum.iter_mut().zip(&other.ws.grads()[..trainable]) {
                *total += g;
            }
        }
        first
    }
}

impl<T: Scalar, M: Model<T>> Shards<T, M> {
    /// `Σ loss·m` over the shards of a batch of `n` samples, in shard order: `n` times the
    /// batch's mean loss.
    pub(crate) fn loss_sum(&self, n: usize) -> f64 {
        (0..n.div_ceil(SHARD))
            .map(|s| self.get(s).loss.to_f64() * SHARD.min(n - s * SHARD) as f64)
            .sum()
    }

    /// Each shard's outputs, `OUTPUT_SIZE × m`, and targets, in shard order, for metrics.
    pub(crate) fn for_each_output<Y>(
        &self,
        n: usize,
        y: &[Y],
        per_sample: usize,
        mut f: impl FnMut(&[T], &[Y], usize),
    ) {
        for s in 0..n.div_ceil(SHARD) {
            let (start, shard) = (s * SHARD, self.get(s));
            let m = SHARD.min(n - start);
            f(
                &shard.ws.output()[..M::OUTPUT_SIZE * m],
                &y[start * per_sample..(start + m) * per_sample],
                m,
            );
        }
    }
}

/// Shards of a training batch of `n` samples for model `M`: one for a model with batch
/// statistics (see the module's documentation). A layer that normalises by its batch's
/// statistics keeps their moving averages as non-trainable parameters, so those are the sign.
pub(crate) fn training_shards<T: Scalar, M: Model<T>>(n: usize) -> usize {
    let batch_statistics = M::TRAINABLE_PARAMS < M::PARAM_COUNT;
    if batch_statistics {
        1
    } else {
        n.div_ceil(SHARD)
    }
}

/// The threads `fit` uses by default: the cores available to the process.
pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}
