//! What `fit` shows while it runs: an indicatif bar per epoch, or one line per epoch, or nothing.

use super::history::EpochLogs;
#[cfg(feature = "progress")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// How much `fit` prints (Keras' `verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing (Keras `verbose=0`).
    Quiet,
    /// A progress bar per epoch with loss, metrics and samples/s, then its summary line
    /// (Keras `verbose=1`). Where stderr is not a terminal, or without the `progress` feature,
    /// only the lines are printed.
    Bar,
    /// One line per epoch (Keras `verbose=2`).
    Lines,
}

/// Without the `progress` feature there is no bar: `Bar` prints the epoch lines only.
#[cfg(not(feature = "progress"))]
type ProgressBar = NoBar;

/// The bar that is never shown.
#[cfg(not(feature = "progress"))]
struct NoBar;

#[cfg(not(feature = "progress"))]
impl NoBar {
    fn inc(&self, _: u64) {}
    fn set_message(&self, _: String) {}
    fn finish_and_clear(&self) {}
}

/// The display of one epoch.
pub struct EpochProgress {
    bar: Option<ProgressBar>,
    verbosity: Verbosity,
    started: Instant,
    last_message: Instant,
}

impl EpochProgress {
    pub fn start(verbosity: Verbosity, epoch: usize, epochs: usize, batches: usize) -> Self {
        #[cfg(not(feature = "progress"))]
        let bar: Option<NoBar> = {
            let _ = (epoch, epochs, batches); // only the bar shows them
            None
        };
        #[cfg(feature = "progress")]
        let bar = (verbosity == Verbosity::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(batches as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} {bar:30} {pos}/{len} [{elapsed}<{eta}] {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("Epoch {}/{epochs}", epoch as u128 + 1));
            bar
        });
        let now = Instant::now();
        EpochProgress {
            bar,
            verbosity,
            started: now,
            last_message: now,
        }
    }

    /// After each batch, with the running loss, metrics and throughput (refreshed at most
    /// every 100 ms, so the bar costs nothing measurable).
    pub fn batch_done(&mut self, samples: usize, running: impl FnOnce() -> String) {
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if self.last_message.elapsed() >= Duration::from_millis(100) {
            self.last_message = Instant::now();
            let rate = samples as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{} - {rate:.0} samples/s", running()));
        }
    }

    /// At the end of the epoch: the Keras-style summary line.
    pub fn finish(self, epochs: usize, logs: &EpochLogs) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        if self.verbosity != Verbosity::Quiet {
            println!(
                "Epoch {}/{epochs} - {:.1}s - {:.0} samples/s - {}",
                logs.epoch as u128 + 1,
                logs.seconds,
                logs.samples_per_second,
                logs.summary()
            );
        }
    }
}
