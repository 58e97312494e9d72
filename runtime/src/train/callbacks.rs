//! Callbacks: code that runs after every epoch and may stop training.

use super::history::EpochLogs;

/// Whether training goes on after a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Code run by `fit` at the end of every epoch and once when training ends.
pub trait Callback<T> {
    /// After each epoch, with its logs and the current parameters.
    fn on_epoch_end(&mut self, logs: &EpochLogs, params: &[T]) -> Control;

    /// When training ends (normally or stopped); may change the parameters.
    fn on_train_end(&mut self, _params: &mut [T]) {}
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
    Minimize,
    Maximize,
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
        let goal = if monitor.contains("acc") {
            Goal::Maximize
        } else {
            Goal::Minimize
        };
        EarlyStopping {
            monitor,
            patience,
            min_delta: 0.0,
            goal,
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
    fn on_epoch_end(&mut self, logs: &EpochLogs, params: &[T]) -> Control {
        let Some(value) = logs.get(self.monitor) else {
            return Control::Continue;
        };
        let improved = match (self.best, self.goal) {
            (None, _) => true,
            (Some(best), Goal::Minimize) => value < best - self.min_delta,
            (Some(best), Goal::Maximize) => value > best + self.min_delta,
        };
        if improved {
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
