//! Checkpoints: everything a [`Trainer`](crate::Trainer) needs to continue training exactly, in one
//! [safetensors](https://huggingface.co/docs/safetensors) file.
//!
//! A checkpoint holds
//!
//! * the model's parameters, exactly as [`crate::io::save`] writes them (same tensor names,
//!   layouts and metadata, so the parameters load the way a weight file does);
//! * the optimizer's state buffers as `optimizer/<name>` tensors of `TRAINABLE_PARAMS` values, with
//!   PyTorch's `state_dict` names (`optimizer/exp_avg`, `optimizer/exp_avg_sq`,
//!   `optimizer/momentum_buffer`, ...), in the model's dtype;
//! * where training stands, once `fit` has run: `fit/shuffle_rng` (`U64 [4]`, the xoshiro256++
//!   state of the shuffling stream), `fit/order` (`U32` or `U64 [n]`, the current sample order,
//!   which each epoch reshuffles in place) and, for models with dropout, `fit/dropout_rng`
//!   (`U64 [layers, 4]`);
//! * `__metadata__` strings: `checkpoint.version` (`"1"`), `checkpoint.model` (the model type's
//!   name), `checkpoint.optimizer` (its
//!   Keras-style name, `"adam"`), `checkpoint.optimizer_step` (steps taken, Adam's `t`),
//!   `checkpoint.learning_rate` and `checkpoint.base_learning_rate` (the current rate and the
//!   one schedules start from, shortest round-trip decimals), `checkpoint.epoch` (epochs done)
//!   and `checkpoint.seed` (the seed the streams started from).
//!
//! Tensor names under `optimizer/` and `fit/` and metadata keys under `checkpoint.` are
//! reserved; everything else belongs to the weights.
//!
//! The file is read by kiln's own safetensors reader, the one weight files go through (so a
//! checkpoint is held to the same checks: no duplicate names, overlapping offsets, gaps or
//! trailing bytes), and written by kiln's own writer (reproducible bytes).
//!
//! Saving is atomic: the bytes go to an exclusively created temporary file in the same folder,
//! which is synced and then renamed over the target, so a reader sees the old file or the new
//! one, never a mix, and nothing is left behind on failure. Loading checks everything (kind of optimizer, every
//! buffer's presence, dtype, shape and finiteness, the order being a permutation, the streams
//! being valid, moments that must be non-negative being so, the step and epoch counts being
//! below [`MAX_STEP`] and [`MAX_EPOCH`]) before changing anything: on error the trainer is unchanged, and no malformed
//! file makes it panic.
//!
//! ```
//! use kiln::losses::MeanSquaredError;
//! use kiln::optim::Adam;
//! use kiln::{model, Compile, Fit};
//!
//! model! { struct Net { Input(2), Dense(4, activation = tanh), Dense(1) } }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let x = [0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 1.0, 1.0];
//! let y = [1.0, 1.0, 1.0, 2.0];
//! let dir = std::env::temp_dir().join(format!("kiln-checkpoint-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("net.ckpt.safetensors");
//!
//! let mut straight = Net::new(1).compile(Adam::new(0.01), MeanSquaredError);
//! straight.fit(&x, &y, Fit::epochs(4).batch_size(2).quiet())?;
//!
//! let mut first = Net::new(1).compile(Adam::new(0.01), MeanSquaredError);
//! first.fit(&x, &y, Fit::epochs(2).batch_size(2).quiet())?;
//! first.save_checkpoint(&path)?;
//! let mut resumed = Net::new(99).compile(Adam::new(0.01), MeanSquaredError);
//! resumed.load_checkpoint(&path)?;
//! assert_eq!(resumed.epochs_done(), 2);
//! resumed.fit(&x, &y, Fit::epochs(2).batch_size(2).quiet())?;
//! assert_eq!(resumed.model().params(), straight.model().params()); // bit for bit
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

use super::header::{Entry, Header};
use super::write::{serialize, Tensor};
use super::WeightsError;
use crate::optim::StateError;
use crate::{Model, Rng, Scalar};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The checkpoint format this version writes and reads.
const VERSION: &str = "1";
const OPTIMIZER_PREFIX: &str = "optimizer/";
const FIT_PREFIX: &str = "fit/";
const META_PREFIX: &str = "checkpoint.";
const SHUFFLE_RNG: &str = "fit/shuffle_rng";
const ORDER: &str = "fit/order";
const DROPOUT_RNG: &str = "fit/dropout_rng";

/// The largest optimizer step count a checkpoint may hold: 2⁵³, where `f64` (in which bias
/// corrections are computed) stops counting exactly; a billion steps a second would take
/// 285 years to reach it.
pub const MAX_STEP: u64 = 1 << 53;

/// The largest epoch count a checkpoint may hold: 2³², so that epoch numbers, their sums and
/// their printing never overflow.
pub const MAX_EPOCH: u64 = 1 << 32;

/// Why a checkpoint could not be written or read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The checkpoint file being read or written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file, or a checkpoint field is unreadable.
    #[error("{path}: corrupt checkpoint: {reason}")]
    Corrupt {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// What is wrong: the safetensors error, or the metadata field and its bad value.
        reason: String,
    },
    /// A valid safetensors file without training state, e.g. a weight file.
    #[error("{path}: not a kiln checkpoint (no `checkpoint.version` metadata); a weight file loads with `kiln::io::load_into`")]
    NotACheckpoint {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
    },
    /// A checkpoint of a format version this kiln does not read.
    #[error("{path}: checkpoint format version `{found}` is not supported (this kiln reads version {VERSION})")]
    Version {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The file's `checkpoint.version` metadata.
        found: String,
    },
    /// The model's parameters in the checkpoint do not fit the model (missing, extra,
    /// misshapen, wrongly typed or non-finite tensor).
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The checkpoint was written by a different kind of optimizer.
    #[error("{path}: the checkpoint holds the state of a `{found}` optimizer, but the trainer's optimizer is `{expected}`")]
    WrongOptimizer {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The trainer's optimizer, by its Keras-style name ([`Optimizer::name`]): `"adam"`.
        expected: &'static str,
        /// The optimizer the checkpoint was written with (its `checkpoint.optimizer` metadata).
        found: String,
    },
    /// The optimizer's state buffers do not fit the optimizer (one it needs with its current
    /// hyper-parameters is missing, or one it does not use is present).
    #[error("{path}: {source}")]
    OptimizerState {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// Which buffer is missing or unexpected.
        #[source]
        source: StateError,
    },
    /// A tensor the checkpoint needs is absent.
    #[error("{path}: tensor `{tensor}` is missing")]
    MissingTensor {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name: `fit/shuffle_rng`, `fit/order` or `fit/dropout_rng`.
        tensor: &'static str,
    },
    /// A tensor under a reserved prefix that no checkpoint holds.
    #[error("{path}: tensor `{tensor}` is not part of a checkpoint")]
    UnexpectedTensor {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name, under `fit/`.
        tensor: String,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, but {expected:?} is expected")]
    Shape {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name: an optimizer buffer (`optimizer/exp_avg`) or a `fit/` tensor.
        tensor: String,
        /// The shape it must have: `[TRAINABLE_PARAMS]` for an optimizer buffer, `[4]` for the
        /// shuffling stream, `[streams, 4]` for the dropout streams, `[samples]` for `fit/order`.
        expected: Vec<usize>,
        /// The shape the file gives it.
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("{path}: tensor `{tensor}` is {found}, but {expected} is expected")]
    Dtype {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name: an optimizer buffer (`optimizer/exp_avg`) or a `fit/` tensor.
        tensor: String,
        /// The dtype it must have: the model's (`"F32"`, `"F64"`) for an optimizer buffer,
        /// `"U64"` for a random stream, `"U32 or U64"` for `fit/order`.
        expected: &'static str,
        /// The tensor's dtype in the file.
        found: String,
    },
    /// An optimizer buffer holds NaN or an infinity.
    #[error("{path}: tensor `{tensor}` holds a non-finite value ({value}) at element {index}")]
    NonFinite {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The optimizer buffer's name (`optimizer/exp_avg`).
        tensor: String,
        /// The element's index in the buffer (the parameter's index in the model's layout).
        index: usize,
        /// The value: NaN or ±∞.
        value: f64,
    },
    /// A count is beyond what any training reaches (a step or epoch count near the top of its
    /// type would overflow, or lose precision, in the next `fit`).
    #[error(
        "{path}: metadata `checkpoint.{field}` is {value}, more than the {limit} this kiln accepts"
    )]
    OutOfRange {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The field: `optimizer_step` or `epoch`.
        field: &'static str,
        /// Its value in the file.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
    /// The header (its length, from the file's first 8 bytes) is larger than a checkpoint of
    /// the model can need: 64 KiB of metadata and 1 KiB per tensor it may hold. Checked before
    /// the header is read.
    #[error("{path}: the checkpoint's header takes {found} bytes, more than the {limit} a checkpoint of the model `{model}` can need")]
    HeaderTooLarge {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The model's type name.
        model: &'static str,
        /// The header's length in the file.
        found: u64,
        /// The most accepted.
        limit: u64,
    },
    /// The header holds more tensors than a checkpoint of the model can need (the weights'
    /// [`max_tensors`](super::max_tensors), 16 for the optimizer and `fit`); reading stopped at
    /// the first one beyond.
    #[error("{path}: the checkpoint holds more than {limit} tensors, more than a checkpoint of the model `{model}` can need (the next one starts at byte {offset})")]
    TooManyTensors {
        /// The checkpoint file (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The model's type name.
        model: &'static str,
        /// The most tensors accepted.
        limit: usize,
        /// The byte where the first tensor beyond the limit starts.
        offset: usize,
    },
}

/// Tensors a checkpoint may hold besides the weights: the optimizer's buffers (three at most)
/// and the `fit/` tensors (three), with room to spare.
const EXTRA_TENSORS: usize = 16;

/// The most tensors a checkpoint of model `M` may hold.
fn max_tensors<T: Scalar, M: Model<T>>() -> usize {
    super::max_tensors::<T, M>() + EXTRA_TENSORS
}

/// The longest header a checkpoint of model `M` may have: 64 KiB of metadata, 1 KiB per tensor.
fn max_header_bytes<T: Scalar, M: Model<T>>() -> u64 {
    (64 << 10) + 1024 * max_tensors::<T, M>() as u64
}

/// The header's size and tensor count within what a checkpoint of `M` can need: the length is
/// checked from the first 8 bytes, the entries by reading no further than the first beyond.
fn within_bounds<T: Scalar, M: Model<T>>(bytes: &[u8], path: &Path) -> Result<(), CheckpointError> {
    let found = bytes
        .first_chunk::<8>()
        .map_or(0, |len| u64::from_le_bytes(*len));
    let limit = max_header_bytes::<T, M>();
    if found > limit {
        return Err(CheckpointError::HeaderTooLarge {
            path: path.to_path_buf(),
            model: M::NAME,
            found,
            limit,
        });
    }
    let limit = max_tensors::<T, M>();
    match Header::beyond(bytes, limit) {
        Some(offset) => Err(CheckpointError::TooManyTensors {
            path: path.to_path_buf(),
            model: M::NAME,
            limit,
            offset,
        }),
        None => Ok(()),
    }
}

/// What a checkpoint says about itself, read without a trainer by [`read_info`].
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    /// Epochs completed when it was written: the next `fit` starts at this epoch index.
    pub epoch: usize,
    /// The optimizer's Keras-style name (`"adam"`).
    pub optimizer: String,
    /// Optimizer steps taken.
    pub optimizer_step: u64,
    /// The learning rate when it was written.
    pub learning_rate: f64,
    /// The seed the shuffling and dropout streams started from (`None` before any `fit`).
    pub seed: Option<u64>,
    /// The model's type name, as the weights record it (if they do).
    pub model: Option<String>,
}

/// Reads the header of the checkpoint at `path`: epoch, optimizer, step, learning rate.
pub fn read_info(path: impl AsRef<Path>) -> Result<CheckpointInfo, CheckpointError> {
    let path = path.as_ref();
    let bytes = read(path)?;
    let header = parse(&bytes, path, usize::MAX)?;
    let file = Parsed::new(&header, path)?;
    Ok(CheckpointInfo {
        epoch: file.number("epoch")?,
        optimizer: file.text("optimizer")?.to_string(),
        optimizer_step: file.number("optimizer_step")?,
        learning_rate: file.rate("learning_rate")?,
        seed: file.optional_number("seed")?,
        model: file.meta.get(&format!("{META_PREFIX}model")).cloned(),
    })
}

/// Where `fit` stands, for a checkpoint: the streams' seed, the shuffling stream, the sample
/// order and the dropout streams.
pub(crate) struct FitState<R> {
    pub seed: u64,
    pub shuffle: R,
    pub order: Vec<usize>,
    pub dropout: Vec<R>,
}

/// Everything a checkpoint holds besides the format's own fields, as the trainer gives it.
pub(crate) struct Snapshot<'a, T> {
    /// The model's weight file ([`super::to_bytes`]).
    pub weights: Vec<u8>,
    pub model: &'static str,
    pub optimizer: &'static str,
    pub step: u64,
    pub buffers: Vec<(&'static str, &'a [T])>,
    pub learning_rate: f64,
    pub base_learning_rate: f64,
    pub epoch: usize,
    pub fit: Option<FitState<&'a Rng>>,
}

/// What a checkpoint restores, checked, for the trainer to take over.
pub(crate) struct Restored<T, M> {
    pub model: M,
    pub step: u64,
    pub buffers: Vec<(String, Vec<T>)>,
    pub learning_rate: f64,
    pub base_learning_rate: f64,
    pub epoch: usize,
    pub fit: Option<FitState<Rng>>,
}

/// The checkpoint's bytes: a function of the snapshot alone (metadata keys sorted, tensors in
/// a fixed order).
pub(crate) fn encode<T: Scalar>(s: &Snapshot<'_, T>) -> Vec<u8> {
    let weights =
        Header::parse_all(&s.weights, usize::MAX).expect("kiln::io writes valid safetensors");
    let mut metadata: BTreeMap<String, String> = weights
        .metadata()
        .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
        .collect();
    let mut meta = |key: &str, value: String| {
        metadata.insert(format!("{META_PREFIX}{key}"), value);
    };
    meta("version", VERSION.into());
    meta("model", s.model.into());
    meta("optimizer", s.optimizer.into());
    meta("optimizer_step", s.step.to_string());
    meta("learning_rate", s.learning_rate.to_string());
    meta("base_learning_rate", s.base_learning_rate.to_string());
    meta("epoch", s.epoch.to_string());

    // Owned bytes of the tensors added to the weights': (name, dtype, shape, bytes).
    let mut extra: Vec<(String, &str, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, values) in &s.buffers {
        let mut bytes = Vec::with_capacity(size_of_val(*values));
        for &v in *values {
            v.write_le(&mut bytes);
        }
        let name = format!("{OPTIMIZER_PREFIX}{name}");
        extra.push((name, T::DTYPE, vec![values.len()], bytes));
    }
    if let Some(fit) = &s.fit {
        meta("seed", fit.seed.to_string());
        let words = |rngs: &[&Rng]| -> Vec<u8> {
            rngs.iter()
                .flat_map(|r| r.state())
                .flat_map(u64::to_le_bytes)
                .collect()
        };
        extra.push((SHUFFLE_RNG.into(), "U64", vec![4], words(&[fit.shuffle])));
        let order = &fit.order;
        let (dtype, bytes) = if u32::try_from(order.len()).is_ok() {
            let bytes = order.iter().flat_map(|&i| (i as u32).to_le_bytes());
            ("U32", bytes.collect())
        } else {
            let bytes = order.iter().flat_map(|&i| (i as u64).to_le_bytes());
            ("U64", bytes.collect())
        };
        extra.push((ORDER.into(), dtype, vec![order.len()], bytes));
        if !fit.dropout.is_empty() {
            let shape = vec![fit.dropout.len(), 4];
            extra.push((DROPOUT_RNG.into(), "U64", shape, words(&fit.dropout)));
        }
    }
    let mut tensors: Vec<Tensor<'_>> = weights.entries().map(|e| tensor_of(&e)).collect();
    tensors.extend(extra.iter().map(|(name, dtype, shape, bytes)| Tensor {
        name: name.clone(),
        dtype: dtype.to_string(),
        shape: shape.clone(),
        data: bytes,
    }));
    serialize(tensors, &metadata)
}

fn tensor_of<'b>(e: &Entry<'b>) -> Tensor<'b> {
    Tensor {
        name: e.name.to_string(),
        dtype: e.dtype.to_string(),
        shape: e.shape.as_slice().to_vec(),
        data: e.data,
    }
}

/// Reads and checks a checkpoint for a model `M` and an optimizer called `optimizer` (its
/// [`Optimizer::name`](crate::optim::Optimizer::name)) with `streams` dropout streams.
/// Whether the optimizer accepts the buffers is its own check
/// ([`Optimizer::load_state`](crate::optim::Optimizer::load_state)).
pub(crate) fn decode<T: Scalar, M: Model<T>>(
    bytes: &[u8],
    origin: &Path,
    optimizer: &'static str,
    streams: usize,
) -> Result<Restored<T, M>, CheckpointError> {
    within_bounds::<T, M>(bytes, origin)?;
    let header = parse(bytes, origin, max_tensors::<T, M>())?;
    let file = Parsed::new(&header, origin)?;
    let path = || origin.to_path_buf();
    let found = file.text("optimizer")?;
    if found != optimizer {
        return Err(CheckpointError::WrongOptimizer {
            path: path(),
            expected: optimizer,
            found: found.to_string(),
        });
    }
    let step: u64 = file.number("optimizer_step")?;
    let epoch: u64 = file.number("epoch")?;
    for (field, value, limit) in [
        ("optimizer_step", step, MAX_STEP),
        ("epoch", epoch, MAX_EPOCH),
    ] {
        if value > limit {
            return Err(CheckpointError::OutOfRange {
                path: path(),
                field,
                value,
                limit,
            });
        }
    }
    let epoch = usize::try_from(epoch).map_err(|_| CheckpointError::OutOfRange {
        path: path(),
        field: "epoch",
        value: epoch,
        limit: usize::MAX as u64,
    })?;
    let learning_rate = file.rate("learning_rate")?;
    let base_learning_rate = file.rate("base_learning_rate")?;
    let seed: Option<u64> = file.optional_number("seed")?;

    // Sort the tensors: optimizer buffers, training position, weights.
    let mut buffers: Vec<(String, Vec<T>)> = Vec::new();
    let mut weights: Vec<Tensor<'_>> = Vec::new();
    for entry in header.entries() {
        let name = entry.name.to_string();
        if let Some(buffer) = name.strip_prefix(OPTIMIZER_PREFIX) {
            let values = file.floats::<T>(&name, &entry, M::TRAINABLE_PARAMS)?;
            buffers.push((buffer.to_string(), values));
        } else if name.starts_with(FIT_PREFIX) {
            if ![SHUFFLE_RNG, ORDER, DROPOUT_RNG].contains(&name.as_str()) || seed.is_none() {
                return Err(CheckpointError::UnexpectedTensor {
                    path: path(),
                    tensor: name,
                });
            }
        } else {
            weights.push(tensor_of(&entry));
        }
    }
    let fit = match seed {
        None => None,
        Some(seed) => {
            let shuffle = file.rngs(SHUFFLE_RNG, vec![4])?.remove(0);
            let order = file.order()?;
            let dropout = if streams > 0 {
                file.rngs(DROPOUT_RNG, vec![streams, 4])?
            } else if file.tensor(DROPOUT_RNG).is_ok() {
                return Err(CheckpointError::UnexpectedTensor {
                    path: path(),
                    tensor: DROPOUT_RNG.into(),
                });
            } else {
                Vec::new()
            };
            Some(FitState {
                seed,
                shuffle,
                order,
                dropout,
            })
        }
    };

    // The weights go through kiln::io as a weight file, which knows their names, layouts and
    // checks.
    let io_metadata: BTreeMap<String, String> = file
        .meta
        .iter()
        .filter(|(k, _)| !k.starts_with(META_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let weights = serialize(weights, &io_metadata);
    let mut model = M::seeded(0);
    super::from_bytes_into(&mut model, &weights, origin)?;
    Ok(Restored {
        model,
        step,
        buffers,
        learning_rate,
        base_learning_rate,
        epoch,
        fit,
    })
}

/// The checked safetensors header of a checkpoint.
fn parse<'a>(bytes: &'a [u8], path: &Path, tensors: usize) -> Result<Header<'a>, CheckpointError> {
    Header::parse_all(bytes, tensors).map_err(|c| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        reason: format!(
            "not a valid safetensors file: {} (at byte {})",
            c.reason, c.offset
        ),
    })
}

/// A checkpoint's parsed header and its string metadata.
struct Parsed<'h, 'a> {
    header: &'h Header<'a>,
    meta: BTreeMap<String, String>,
    path: &'h Path,
}

impl<'h, 'a> Parsed<'h, 'a> {
    fn new(header: &'h Header<'a>, path: &'h Path) -> Result<Self, CheckpointError> {
        let corrupt = |reason| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let mut meta = BTreeMap::new();
        for (key, value) in header.metadata() {
            let key = key.to_string();
            let Some(value) = value else {
                if key.starts_with(META_PREFIX) {
                    return Err(corrupt(format!("metadata `{key}` is not a string")));
                }
                continue;
            };
            if meta.insert(key.clone(), value.to_string()).is_some() {
                return Err(corrupt(format!("metadata `{key}` appears twice")));
            }
        }
        let parsed = Parsed { header, meta, path };
        match parsed.meta.get(&format!("{META_PREFIX}version")) {
            None => Err(CheckpointError::NotACheckpoint {
                path: path.to_path_buf(),
            }),
            Some(v) if v != VERSION => Err(CheckpointError::Version {
                path: path.to_path_buf(),
                found: v.clone(),
            }),
            Some(_) => Ok(parsed),
        }
    }

    fn corrupt(&self, reason: String) -> CheckpointError {
        CheckpointError::Corrupt {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    /// The metadata string `checkpoint.<key>`.
    fn text(&self, key: &str) -> Result<&str, CheckpointError> {
        self.meta
            .get(&format!("{META_PREFIX}{key}"))
            .map(String::as_str)
            .ok_or_else(|| self.corrupt(format!("metadata `{META_PREFIX}{key}` is missing")))
    }

    fn optional_number<N: std::str::FromStr>(
        &self,
        key: &str,
    ) -> Result<Option<N>, CheckpointError> {
        match self.meta.get(&format!("{META_PREFIX}{key}")) {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                self.corrupt(format!(
                    "metadata `{META_PREFIX}{key}` is `{text}`, not a whole number"
                ))
            }),
        }
    }

    fn number<N: std::str::FromStr>(&self, key: &str) -> Result<N, CheckpointError> {
        self.text(key)?;
        Ok(self.optional_number(key)?.expect("present"))
    }

    /// A learning rate: finite and not negative.
    fn rate(&self, key: &str) -> Result<f64, CheckpointError> {
        let text = self.text(key)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(self.corrupt(format!(
                "metadata `{META_PREFIX}{key}` is `{text}`, not a learning rate"
            ))),
        }
    }

    fn shape_error(&self, tensor: &str, expected: Vec<usize>, view: &Entry<'_>) -> CheckpointError {
        CheckpointError::Shape {
            path: self.path.to_path_buf(),
            tensor: tensor.to_string(),
            expected,
            found: view.shape.as_slice().to_vec(),
        }
    }

    fn dtype_error(
        &self,
        tensor: &str,
        expected: &'static str,
        view: &Entry<'_>,
    ) -> CheckpointError {
        CheckpointError::Dtype {
            path: self.path.to_path_buf(),
            tensor: tensor.to_string(),
            expected,
            found: view.dtype.to_string(),
        }
    }

    /// An optimizer buffer: `len` finite values of type `T`.
    fn floats<T: Scalar>(
        &self,
        name: &str,
        view: &Entry<'_>,
        len: usize,
    ) -> Result<Vec<T>, CheckpointError> {
        if !view.dtype.is(T::DTYPE) {
            return Err(self.dtype_error(name, T::DTYPE, view));
        }
        if view.shape.rank() != 1 || view.shape.as_slice() != [len] {
            return Err(self.shape_error(name, vec![len], view));
        }
        let mut values = Vec::with_capacity(len);
        for (index, chunk) in view.data.chunks_exact(size_of::<T>()).enumerate() {
            let v = T::read_le(chunk);
            if !v.is_finite() {
                return Err(CheckpointError::NonFinite {
                    path: self.path.to_path_buf(),
                    tensor: name.to_string(),
                    index,
                    value: v.to_f64(),
                });
            }
            values.push(v);
        }
        Ok(values)
    }

    fn tensor(&self, name: &'static str) -> Result<Entry<'a>, CheckpointError> {
        self.header
            .entries()
            .find(|e| e.name.is(name))
            .ok_or_else(|| CheckpointError::MissingTensor {
                path: self.path.to_path_buf(),
                tensor: name,
            })
    }

    /// Random-stream states, four `U64` words each, in a tensor of shape `expected`.
    fn rngs(&self, name: &'static str, expected: Vec<usize>) -> Result<Vec<Rng>, CheckpointError> {
        let view = self.tensor(name)?;
        if !view.dtype.is("U64") {
            return Err(self.dtype_error(name, "U64", &view));
        }
        if view.shape.rank() != expected.len() || view.shape.as_slice() != expected.as_slice() {
            return Err(self.shape_error(name, expected, &view));
        }
        view.data
            .chunks_exact(32)
            .map(|state| {
                let mut words = [0u64; 4];
                for (word, bytes) in words.iter_mut().zip(state.chunks_exact(8)) {
                    *word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
                }
                Rng::from_state(words).ok_or_else(|| {
                    self.corrupt(format!("tensor `{name}` holds the all-zero random state"))
                })
            })
            .collect()
    }

    /// The sample order: a permutation of `0..n`, `U32` or `U64 [n]`.
    fn order(&self) -> Result<Vec<usize>, CheckpointError> {
        let view = self.tensor(ORDER)?;
        let width = if view.dtype.is("U32") {
            4
        } else if view.dtype.is("U64") {
            8
        } else {
            return Err(self.dtype_error(ORDER, "U32 or U64", &view));
        };
        let (1, &[n]) = (view.shape.rank(), view.shape.as_slice()) else {
            let n = view.data.len() / width;
            return Err(self.shape_error(ORDER, vec![n], &view));
        };
        let mut seen = vec![false; n];
        let mut order = Vec::with_capacity(n);
        for chunk in view.data.chunks_exact(width) {
            let mut bytes = [0u8; 8];
            bytes[..width].copy_from_slice(chunk);
            let i = u64::from_le_bytes(bytes);
            match usize::try_from(i).ok().filter(|&i| i < n) {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    order.push(i);
                }
                _ => {
                    return Err(self.corrupt(format!(
                        "tensor `{ORDER}` is not a permutation of 0..{n} (element {} is {i})",
                        order.len()
                    )))
                }
            }
        }
        Ok(order)
    }
}

/// The checkpoint's bytes; a path that is not a regular file is refused before it is opened
/// (`WeightsError::NotAFile`), as weight files are.
fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    super::file::read_file(path, false).map_err(|e| match e {
        WeightsError::Io { path, source } => CheckpointError::Io { path, source },
        other => other.into(),
    })
}
