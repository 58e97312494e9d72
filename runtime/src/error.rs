//! The errors training and evaluation report instead of panicking.

use crate::losses::TargetError;

/// Why `fit`, `evaluate` or `predict` could not run or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inputs are not a whole number of samples.
    #[error("{what} has {len} values, which is not a whole number of samples of {input_size} values (the model's input size)")]
    RaggedInput {
        /// The argument: `"x"` of `predict`.
        what: &'static str,
        /// Values in `x`.
        len: usize,
        /// Values per sample: the model's `INPUT_SIZE`.
        input_size: usize,
    },
    /// The targets are not a whole number of samples' targets.
    #[error("{what} has {len} values, which is not a whole number of samples of {per_sample} targets (the loss's targets per sample)")]
    RaggedTargets {
        /// The argument: `"training y"`, `"validation y"` or `"evaluation y"`.
        what: &'static str,
        /// Values in `y`.
        len: usize,
        /// Targets per sample: the model's `OUTPUT_SIZE`, or 1 class label.
        per_sample: usize,
    },
    /// `x` does not hold the samples `y` has targets for.
    #[error("{x} has {found} values, but {y} has targets for {samples} samples, which take {samples} × {input_size} values (the model's input size is {input_size}): the two must describe the same samples")]
    SampleCount {
        /// The inputs: `"training x"`, `"validation x"` or `"evaluation x"`.
        x: &'static str,
        /// The targets: `"training y"`, ...
        y: &'static str,
        /// Samples whose targets `y` holds.
        samples: usize,
        /// Values per sample: the model's `INPUT_SIZE`.
        input_size: usize,
        /// Values in `x`.
        found: usize,
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
    /// A training input is NaN or infinite (a relu would hide it in the loss while the
    /// gradients made the parameters NaN).
    #[error("training sample {sample} holds {value} at input {index} (epoch {epoch}, batch {batch}): training stopped; clean the data of NaN/Inf")]
    NonFiniteInput {
        /// Zero-based epoch index, counted over the trainer's life (for
        /// [`train_step`](crate::Trainer::train_step): the epochs done).
        epoch: usize,
        /// Zero-based index of the batch within the epoch (0 for `train_step`).
        batch: usize,
        /// The sample's index in the training data (for `train_step`: in the batch given).
        sample: usize,
        /// The input's index within the sample.
        index: usize,
        /// The value: NaN or ±∞.
        value: f64,
    },
    /// An optimizer step made a parameter NaN or infinite (the model keeps it: load a
    /// checkpoint to go on).
    #[error("parameter {index} became {value} in the step of epoch {epoch}, batch {batch}: training stopped; lower the learning rate or clip gradients")]
    NonFiniteParam {
        /// Zero-based epoch index, as in [`Error::NonFiniteInput`].
        epoch: usize,
        /// Zero-based index of the batch within the epoch (0 for `train_step`).
        batch: usize,
        /// The parameter's index in the model's flat parameters.
        index: usize,
        /// The value: NaN or ±∞.
        value: f64,
    },
    /// [`train_step`](crate::Trainer::train_step) was given slices that do not hold `n`
    /// samples.
    #[error("train_step: {n} samples need {expected} values in {what}, but it holds {found}")]
    BatchSize {
        /// `"x"` or `"y"`.
        what: &'static str,
        /// The sample count given.
        n: usize,
        /// Values `n` samples need.
        expected: usize,
        /// Values the slice holds.
        found: usize,
    },
    /// An option of `fit` has an impossible value.
    #[error("invalid fit option: {0}")]
    InvalidOption(String),
    /// A checkpoint or weight file could not be written or read (e.g. by `ModelCheckpoint`
    /// during `fit`).
    #[error(transparent)]
    Checkpoint(#[from] crate::io::CheckpointError),
}

/// `Result<T, kiln::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
