//! Callbacks: code that runs after every epoch and may stop training.

use super::history::EpochLogs;
use crate::error::Result;
use crate::io::CheckpointError;
use crate::io::WeightsError;
use std::path::Path;

/// Whether training goes on after a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on to the next epoch.
    Continue,
    /// End `fit` after this epoch (the other callbacks still run; Keras'
    /// `model.stop_training = True`).
    Stop,
}

/// Code run by `fit` at the end of every epoch and once when training ends.
///
/// A callback that only reads the parameters implements [`on_epoch_end`](Callback::on_epoch_end);
/// one that needs the trainer (to save it) or that can fail implements
/// [`on_epoch_end_with`](Callback::on_epoch_end_with) instead, which is what `fit` calls.
pub trait Callback<T> {
    /// After each epoch, with its logs and the current parameters. The default continues.
    fn on_epoch_end(&mut self, _logs: &EpochLogs, _params: &[T]) -> Control {
        Control::Continue
    }

    /// After each epoch, with its logs and a view of the trainer (parameters, epochs done,
    /// saving); an error stops `fit`, which returns it. The default calls
    /// [`on_epoch_end`](Callback::on_epoch_end) with the parameters.
    fn on_epoch_end_with(
        &mut self,
        logs: &EpochLogs,
        trainer: &dyn TrainerView<T>,
    ) -> Result<Control> {
        Ok(self.on_epoch_end(logs, trainer.params()))
    }

    /// When training ends (normally or stopped); may change the parameters.
    fn on_train_end(&mut self, _params: &mut [T]) {}
}

/// What a callback sees of the [`Trainer`](super::Trainer) running it (Keras' `callback.model`),
/// at the end of an epoch.
pub trait TrainerView<T> {
    /// All parameters, flat.
    fn params(&self) -> &[T];

    /// Epochs completed, the one just finished included.
    fn epochs_done(&self) -> usize;

    /// Writes the model's weights to `path` ([`crate::io::save`]: atomic).
    fn save_weights(&self, path: &Path) -> Result<(), WeightsError>;

    /// Writes a full checkpoint to `path` ([`Trainer::save_checkpoint`](super::Trainer::save_checkpoint):
    /// parameters, optimizer state and training position; atomic).
    fn save_checkpoint(&self, path: &Path) -> Result<(), CheckpointError>;
}

/// Any `FnMut(&EpochLogs) -> Control` is a per-epoch hook.
impl<T, F: FnMut(&EpochLogs) -> Control> Callback<T> for F {
    fn on_epoch_end(&mut self, logs: &EpochLogs, _params: &[T]) -> Control {
        self(logs)
    }
}

/// Whether a smaller or a larger monitored value is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Lower is better: losses, errors (Keras' `mode = "min"`).
    Minimize,
    /// Higher is better: accuracies (Keras' `mode = "max"`).
    Maximize,
}

impl Goal {
    /// Keras' `mode = "auto"`: maximise a monitored value whose name contains "acc"
    /// (`accuracy`, `val_binary_accuracy`), minimise anything else (losses, errors).
    pub fn for_monitor(monitor: &str) -> Self {
        if monitor.contains("acc") {
            Goal::Maximize
        } else {
            Goal::Minimize
        }
    }

    /// Whether `value` improves on `best` by more than `min_delta` (`None`: nothing to beat,
    /// so any value does).
    pub fn improves(self, value: f64, best: Option<f64>, min_delta: f64) -> bool {
        match (best, self) {
            (None, _) => true,
            (Some(best), Goal::Minimize) => value < best - min_delta,
            (Some(best), Goal::Maximize) => value > best + min_delta,
        }
    }
}

/// Stops training when a monitored value has not improved for `patience` epochs (Keras'
/// `EarlyStopping`), optionally restoring the parameters of the best epoch.
#[derive(Clone, Debug)]
pub struct EarlyStopping<T> {
    /// What to watch, by Keras' name: `"val_loss"` (the default), `"val_accuracy"`, `"loss"`...
    pub monitor: &'static str,
    /// Epochs without improvement to tolerate.
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    pub min_delta: f64,
    /// Minimise (losses) or maximise (accuracies); guessed from the name by [`Self::new`].
    pub goal: Goal,
    /// Put back the best epoch's parameters when training ends.
    pub restore_best_weights: bool,
    best: Option<f64>,
    best_epoch: usize,
    waited: usize,
    best_params: Vec<T>,
}

impl<T: Copy> EarlyStopping<T> {
    /// Watches `monitor`, maximising it if its name contains "acc", else minimising.
    pub fn new(monitor: &'static str, patience: usize) -> Self {
        EarlyStopping {
            monitor,
            patience,
            min_delta: 0.0,
            goal: Goal::for_monitor(monitor),
            restore_best_weights: false,
            best: None,
            best_epoch: 0,
            waited: 0,
            best_params: Vec::new(),
        }
    }

    /// Restore the best epoch's parameters at the end.
    pub fn restore_best_weights(mut self) -> Self {
        self.restore_best_weights = true;
        self
    }

    /// The smallest change that counts as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// The epoch with the best monitored value so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|_| self.best_epoch)
    }
}

impl<T: Copy> Callback<T> for EarlyStopping<T> {
    /// As [`on_epoch_end`](Callback::on_epoch_end), but a monitored value the epoch logs do not
    /// have (a misspelt name, or `val_*` without validation data) stops `fit` with
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) instead of never stopping.
    fn on_epoch_end_with(
        &mut self,
        logs: &EpochLogs,
        trainer: &dyn TrainerView<T>,
    ) -> Result<Control> {
        if logs.get(self.monitor).is_none() {
            return Err(crate::Error::InvalidOption(format!(
                "EarlyStopping monitors `{}`, which this fit does not report (it reports {})",
                self.monitor,
                super::model_checkpoint::reported(logs)
            )));
        }
        Ok(self.on_epoch_end(logs, trainer.params()))
    }

    fn on_epoch_end(&mut self, logs: &EpochLogs, params: &[T]) -> Control {
        let Some(value) = logs.get(self.monitor) else {
            return Control::Continue;
        };
        if self.goal.improves(value, self.best, self.min_delta) {
            self.best = Some(value);
            self.best_epoch = logs.epoch;
            self.waited = 0;
            if self.restore_best_weights {
                self.best_params.clear();
                self.best_params.extend_from_slice(params);
            }
            Control::Continue
        } else {
            self.waited += 1;
            if self.waited >= self.patience {
                Control::Stop
            } else {
                Control::Continue
            }
        }
    }

    fn on_train_end(&mut self, params: &mut [T]) {
        if self.restore_best_weights && self.best_params.len() == params.len() {
            params.copy_from_slice(&self.best_params);
        }
    }
}
