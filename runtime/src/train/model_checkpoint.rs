//! `ModelCheckpoint`: saves the model, or a full checkpoint, after the epochs that improve a
//! monitored value (Keras' callback of the same name).

use super::callbacks::{Callback, Control, Goal, TrainerView};
use super::history::EpochLogs;
use crate::error::{Error, Result};
use crate::io::CheckpointError;
use std::path::{Path, PathBuf};

/// Saves the trainer at the end of an epoch (Keras' `ModelCheckpoint`): by default a full
/// checkpoint ([`Trainer::save_checkpoint`](super::Trainer::save_checkpoint): parameters,
/// optimizer state, training position) of each epoch that improves `val_loss`, so the file
/// always holds the best epoch so far.
///
/// * `monitor` (default `"val_loss"`): a name of [`EpochLogs::get`]; its [`Goal`] is inferred
///   like Keras' `mode = "auto"` (names containing `acc` are maximised, others minimised) and can
///   be set with [`goal`](Self::goal).
/// * `save_best_only` (default **true**, unlike Keras' `False`, since keeping the best epoch is
///   what this callback is for): save only when the monitored value is strictly better than the
///   best so far (`<` when minimising, `>` when maximising; NaN never is), else after every
///   epoch. A monitored value that the epoch logs do not have stops `fit` with
///   [`Error::InvalidOption`] (a misspelt name would otherwise never save).
/// * `save_weights_only` (default false): write only the weights ([`crate::io::save`]) instead
///   of a full checkpoint.
/// * `initial_value_threshold` (Keras' name): the value to beat before anything is saved, e.g.
///   the best of an interrupted run that is being resumed.
///
/// The path may contain `{epoch}` (the 1-based epoch number, as Keras formats it; `{epoch:03}`
/// pads it with zeros) and `{name}` or `{name:.4}` for any value of the epoch logs
/// (`{val_loss:.4}`, `.4f` is accepted too), giving one file per saved epoch; without
/// placeholders each save replaces the file. Every save is atomic (a temporary file in the same
/// folder, then a rename). A save that fails stops `fit` with [`Error::Checkpoint`].
///
/// Saving allocates (the file's bytes) once per saved epoch; training steps do not.
#[derive(Clone, Debug)]
pub struct ModelCheckpoint {
    /// Where to save, possibly with placeholders.
    pub path: PathBuf,
    /// What to watch, by Keras' name.
    pub monitor: String,
    /// Minimise (losses) or maximise (accuracies).
    pub goal: Goal,
    /// Save only improving epochs.
    pub save_best_only: bool,
    /// Save the weights alone, not a full checkpoint.
    pub save_weights_only: bool,
    /// A value the first save must beat.
    pub initial_value_threshold: Option<f64>,
    best: Option<f64>,
    best_epoch: Option<usize>,
    last_saved: Option<PathBuf>,
}

impl ModelCheckpoint {
    /// Saves a full checkpoint to `path` after each epoch that improves `val_loss`. A path
    /// whose placeholders are malformed (an unclosed `{`, a width or a number of decimals out
    /// of range: `{epoch:065536}`, `{loss:.70000}`) is [`Error::InvalidOption`] here, not at
    /// the first save.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if let Some(template) = path.to_str() {
            parse(template)?;
        }
        Ok(ModelCheckpoint {
            path,
            monitor: "val_loss".into(),
            goal: Goal::Minimize,
            save_best_only: true,
            save_weights_only: false,
            initial_value_threshold: None,
            best: None,
            best_epoch: None,
            last_saved: None,
        })
    }

    /// Watches `monitor` (`"val_accuracy"`, `"loss"`, ...), its goal inferred from the name.
    pub fn monitor(mut self, monitor: impl Into<String>) -> Self {
        self.monitor = monitor.into();
        self.goal = Goal::for_monitor(&self.monitor);
        self
    }

    /// Sets whether smaller or larger monitored values are better (Keras' `mode`).
    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = goal;
        self
    }

    /// Saves only improving epochs (true, the default) or every epoch (false).
    pub fn save_best_only(mut self, save_best_only: bool) -> Self {
        self.save_best_only = save_best_only;
        self
    }

    /// Writes only the weights (true) or a full checkpoint (false, the default).
    pub fn save_weights_only(mut self, save_weights_only: bool) -> Self {
        self.save_weights_only = save_weights_only;
        self
    }

    /// Saves nothing until the monitored value beats `value`.
    pub fn initial_value_threshold(mut self, value: f64) -> Self {
        self.initial_value_threshold = Some(value);
        self
    }

    /// The best monitored value saved so far (with `save_best_only`).
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The zero-based epoch of [`best`](Self::best).
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The file written last.
    pub fn last_saved(&self) -> Option<&Path> {
        self.last_saved.as_deref()
    }

    /// The path for the epoch of `logs`, placeholders filled in.
    fn path_for(&self, logs: &EpochLogs) -> Result<PathBuf> {
        match self.path.to_str() {
            Some(template) if template.contains('{') => fill(template, logs).map(PathBuf::from),
            _ => Ok(self.path.clone()),
        }
    }
}

impl<T> Callback<T> for ModelCheckpoint {
    fn on_epoch_end_with(
        &mut self,
        logs: &EpochLogs,
        trainer: &dyn TrainerView<T>,
    ) -> Result<Control> {
        if self.save_best_only {
            let Some(value) = logs.get(&self.monitor) else {
                return Err(Error::InvalidOption(format!(
                    "ModelCheckpoint monitors `{}`, which this fit does not report (it reports {})",
                    self.monitor,
                    reported(logs)
                )));
            };
            let best = self.best.or(self.initial_value_threshold);
            if value.is_nan() || !self.goal.improves(value, best, 0.0) {
                return Ok(Control::Continue);
            }
            self.best = Some(value);
            self.best_epoch = Some(logs.epoch);
        }
        let path = self.path_for(logs)?;
        if self.save_weights_only {
            trainer.save_weights(&path).map_err(CheckpointError::from)?;
        } else {
            trainer.save_checkpoint(&path)?;
        }
        self.last_saved = Some(path);
        Ok(Control::Continue)
    }
}

/// The names `logs` can be asked for, for error messages: `loss, accuracy, val_loss, ...`.
pub(super) fn reported(logs: &EpochLogs) -> String {
    let mut names = vec!["loss".to_string()];
    names.extend(logs.metrics.iter().map(|(n, _)| n.to_string()));
    if logs.val_loss.is_some() {
        names.push("val_loss".into());
    }
    names.extend(logs.val_metrics.iter().map(|(n, _)| format!("val_{n}")));
    names.join(", ")
}

/// Widest `{epoch:0N}` accepted: a `u64` has 20 digits.
const MAX_WIDTH: usize = 20;
/// Most decimals `{name:.N}` accepts: an `f64` has 17 significant digits.
const MAX_DECIMALS: usize = 17;

/// A piece of a path template.
enum Piece<'t> {
    Text(&'t str),
    /// `{epoch}` or `{epoch:0N}`: the 1-based epoch, zero-padded to `width`.
    Epoch {
        width: usize,
    },
    /// `{name}` or `{name:.N}`: a value of the epoch logs, with `decimals`.
    Value {
        name: &'t str,
        decimals: Option<usize>,
    },
}

/// The pieces of `template`, or what is wrong with it (widths and decimals are bounded, so
/// that formatting can never fail).
fn parse(template: &str) -> Result<Vec<Piece<'_>>> {
    let bad =
        |what: String| Error::InvalidOption(format!("ModelCheckpoint path `{template}`: {what}"));
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pieces.push(Piece::Text(&rest[..open]));
        let Some(close) = rest[open..].find('}') else {
            return Err(bad("a `{` is not closed".into()));
        };
        let field = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        if name == "epoch" {
            let width = spec.trim_end_matches('d');
            let width = match width {
                "" => Some(0),
                w => w.parse().ok().filter(|&w| w <= MAX_WIDTH),
            };
            let width = width.ok_or_else(|| {
                bad(format!(
                    "`{{{field}}}`: the epoch takes `:0N` (zero-padded width N of at most {MAX_WIDTH})"
                ))
            })?;
            pieces.push(Piece::Epoch { width });
        } else if spec.is_empty() {
            pieces.push(Piece::Value {
                name,
                decimals: None,
            });
        } else {
            let precision = spec.trim_start_matches('.').trim_end_matches('f');
            let decimals: usize = precision
                .parse()
                .ok()
                .filter(|&d| spec.starts_with('.') && d <= MAX_DECIMALS)
                .ok_or_else(|| {
                    bad(format!(
                        "`{{{field}}}`: values take `:.N` (N decimals, at most {MAX_DECIMALS})"
                    ))
                })?;
            pieces.push(Piece::Value {
                name,
                decimals: Some(decimals),
            });
        }
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

/// `template` with `{epoch}`, `{epoch:03}` and `{name}`, `{name:.4}` (or `.4f`) replaced.
fn fill(template: &str, logs: &EpochLogs) -> Result<String> {
    let mut out = String::new();
    for piece in parse(template)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            // As u128 the 1-based epoch cannot overflow, whatever the epoch.
            Piece::Epoch { width } => out.push_str(&format!("{:0width$}", logs.epoch as u128 + 1)),
            Piece::Value { name, decimals } => {
                let Some(value) = logs.get(name) else {
                    return Err(Error::InvalidOption(format!(
                        "ModelCheckpoint path `{template}`: `{{{name}}}` is not a value of the epoch logs ({})",
                        reported(logs)
                    )));
                };
                match decimals {
                    None => out.push_str(&value.to_string()),
                    Some(decimals) => out.push_str(&format!("{value:.decimals$}")),
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs() -> EpochLogs {
        EpochLogs {
            epoch: 4,
            loss: 0.5,
            metrics: vec![("accuracy", 0.75)],
            val_loss: Some(0.123456),
            val_metrics: vec![],
            learning_rate: 0.1,
            seconds: 1.0,
            samples_per_second: 1.0,
        }
    }

    #[test]
    fn placeholders_are_filled_like_keras() {
        let l = logs();
        assert_eq!(fill("w-{epoch}.st", &l).unwrap(), "w-5.st");
        assert_eq!(fill("w-{epoch:03d}.st", &l).unwrap(), "w-005.st");
        assert_eq!(
            fill("w-{epoch:02}-{val_loss:.3f}", &l).unwrap(),
            "w-05-0.123"
        );
        assert_eq!(fill("{accuracy:.1}", &l).unwrap(), "0.8");
        assert_eq!(fill("plain", &l).unwrap(), "plain");
        for bad in [
            "{epoch",
            "{nope}",
            "{epoch:x}",
            "{loss:4}",
            "w-{epoch:65536}",
            "{loss:.70000}",
        ] {
            assert!(
                matches!(fill(bad, &l), Err(Error::InvalidOption(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn patterns_that_cannot_be_formatted_are_refused_when_built() {
        for bad in [
            "w-{epoch:65536}",
            "{loss:.70000}",
            "w-{epoch:021}",
            "{epoch",
        ] {
            assert!(
                matches!(ModelCheckpoint::new(bad), Err(Error::InvalidOption(_))),
                "{bad}"
            );
        }
        assert!(ModelCheckpoint::new("w-{epoch:020}-{val_loss:.17}").is_ok());
    }

    #[test]
    fn an_absurd_epoch_is_formatted_without_overflow() {
        let l = EpochLogs {
            epoch: usize::MAX,
            ..logs()
        };
        let expected = (usize::MAX as u128 + 1).to_string();
        assert_eq!(fill("w-{epoch}", &l).unwrap(), format!("w-{expected}"));
    }

    #[test]
    fn the_goal_is_inferred_from_the_monitor() {
        assert_eq!(ModelCheckpoint::new("x").unwrap().goal, Goal::Minimize);
        let acc = ModelCheckpoint::new("x").unwrap().monitor("val_accuracy");
        assert_eq!(acc.goal, Goal::Maximize);
        assert_eq!(acc.monitor("loss").goal, Goal::Minimize);
    }
}
