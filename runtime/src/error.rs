//! The errors training and evaluation report instead of panicking.

use crate::losses::TargetError;

/// Why `fit`, `evaluate` or `predict` could not run or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inputs are not a whole number of samples.
    #[error("x has {len} values, which is not a whole number of samples of {input_size} values (the model's input size)")]
    RaggedInput {
        /// Values in `x`.
        len: usize,
        /// Values per sample: the model's `INPUT_SIZE`.
        input_size: usize,
    },
    /// x and y describe different numbers of samples.
    #[error("x has {x_samples} samples but y has targets for {y_samples}; they must match")]
    LengthMismatch {
        /// Samples in `x`.
        x_samples: usize,
        /// Samples whose targets `y` holds (its length over the targets per sample).
        y_samples: usize,
    },
    /// There is nothing to train or evaluate on.
    #[error("{what} is empty: there are no samples to work on")]
    Empty {
        /// The dataset: `"training"`, `"validation"`, `"evaluation"`, ...
        what: &'static str,
    },
    /// A target is not valid for the loss (e.g. a class label out of range).
    #[error("invalid {what} targets: {source}")]
    Target {
        /// The dataset the targets belong to: `"training"`, `"validation"` or `"evaluation"`.
        what: &'static str,
        /// What is wrong with them.
        #[source]
        source: TargetError,
    },
    /// The loss became NaN or infinite.
    #[error("the loss became {loss} at epoch {epoch}, batch {batch}: training stopped; lower the learning rate, clip gradients, or check the data for NaN/Inf")]
    NonFiniteLoss {
        /// Zero-based epoch index, counted over the trainer's life (as in
        /// [`EpochLogs::epoch`](crate::train::EpochLogs::epoch)).
        epoch: usize,
        /// Zero-based index of the batch within the epoch.
        batch: usize,
        /// The batch's mean loss: NaN or ±∞.
        loss: f64,
    },
    /// An option of `fit` has an impossible value.
    #[error("invalid fit option: {0}")]
    InvalidOption(String),
    /// A checkpoint or weight file could not be written or read (e.g. by `ModelCheckpoint`
    /// during `fit`).
    #[error(transparent)]
    Checkpoint(#[from] crate::train::CheckpointError),
}

/// `Result<T, kiln::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
