//! Checkpoints: everything a [`Trainer`] needs to continue training exactly, in one
//! [safetensors](https://huggingface.co/docs/safetensors) file.
//!
//! A checkpoint holds
//!
//! * the model's parameters, exactly as [`crate::io::save`] writes them (same tensor names,
//!   layouts and metadata, so the parameters load the way a weight file does);
//! * the optimizer's state buffers as `optimizer/<name>` tensors of `PARAM_COUNT` values, with
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
//! Saving is atomic: the bytes go to a temporary file in the same folder, which is synced and
//! then renamed over the target, so a reader sees the old file or the new one, never a mix, and
//! nothing is left behind on failure. Loading checks everything (kind of optimizer, every
//! buffer's presence, dtype, shape and finiteness, the order being a permutation, the streams
//! being valid) before changing anything: on error the trainer is unchanged, and no malformed
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

use super::{Position, Trainer};
use crate::io::{self, WeightsError};
use crate::losses::Loss;
use crate::optim::{Optimizer, StateError};
use crate::{Model, Rng, Scalar, Workspace};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The checkpoint format this version writes and reads.
const VERSION: &str = "1";
const OPTIMIZER_PREFIX: &str = "optimizer/";
const FIT_PREFIX: &str = "fit/";
const META_PREFIX: &str = "checkpoint.";
const SHUFFLE_RNG: &str = "fit/shuffle_rng";
const ORDER: &str = "fit/order";
const DROPOUT_RNG: &str = "fit/dropout_rng";

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
        /// The shape it must have: `[PARAM_COUNT]` for an optimizer buffer, `[4]` for the
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
    let file = Parsed::new(&bytes, path)?;
    Ok(CheckpointInfo {
        epoch: file.number("epoch")?,
        optimizer: file.text("optimizer")?.to_string(),
        optimizer_step: file.number("optimizer_step")?,
        learning_rate: file.rate("learning_rate")?,
        seed: file.optional_number("seed")?,
        model: file.meta.get(&format!("{META_PREFIX}model")).cloned(),
    })
}

impl<T: Scalar, M: Model<T>, O: Optimizer<T>, L: Loss<T>> Trainer<T, M, O, L> {
    /// The checkpoint's bytes (see the [module documentation](self) for the format):
    /// parameters, optimizer state, epochs done, and the shuffling and dropout streams.
    ///
    /// The bytes are a function of the trainer's state alone: the same state gives the same
    /// file, byte for byte (metadata keys sorted, tensors in a fixed order).
    pub fn checkpoint_bytes(&self) -> Vec<u8> {
        let weights = io::to_bytes(&self.model);
        let parsed = SafeTensors::deserialize(&weights).expect("kiln::io writes valid safetensors");
        let mut metadata: BTreeMap<String, String> = SafeTensors::read_metadata(&weights)
            .expect("kiln::io writes valid safetensors")
            .1
            .metadata()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let (step, buffers) = self.optimizer.state();
        let mut meta = |key: &str, value: String| {
            metadata.insert(format!("{META_PREFIX}{key}"), value);
        };
        meta("version", VERSION.into());
        meta("model", M::NAME.into());
        meta("optimizer", self.optimizer.name().into());
        meta("optimizer_step", step.to_string());
        meta("learning_rate", self.optimizer.learning_rate().to_string());
        meta("base_learning_rate", self.base_lr.to_string());
        meta("epoch", self.position.epoch.to_string());

        // Owned bytes of the tensors added to the weights': (name, dtype, shape, bytes).
        let mut extra: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for (name, values) in buffers {
            let mut bytes = Vec::with_capacity(size_of_val(values));
            for &v in values {
                v.write_le(&mut bytes);
            }
            extra.push((
                format!("{OPTIMIZER_PREFIX}{name}"),
                dtype_of::<T>(),
                vec![values.len()],
                bytes,
            ));
        }
        if let Some(seed) = self.position.seed {
            meta("seed", seed.to_string());
            let words = |rngs: &[&Rng]| -> Vec<u8> {
                rngs.iter()
                    .flat_map(|r| r.state())
                    .flat_map(u64::to_le_bytes)
                    .collect()
            };
            let shuffle = words(&[&self.position.shuffle]);
            extra.push((SHUFFLE_RNG.into(), Dtype::U64, vec![4], shuffle));
            let order = &self.position.order;
            let (dtype, bytes) = if u32::try_from(order.len()).is_ok() {
                let bytes = order.iter().flat_map(|&i| (i as u32).to_le_bytes());
                (Dtype::U32, bytes.collect())
            } else {
                let bytes = order.iter().flat_map(|&i| (i as u64).to_le_bytes());
                (Dtype::U64, bytes.collect())
            };
            extra.push((ORDER.into(), dtype, vec![order.len()], bytes));
            let dropout = self.ws.rngs();
            if !dropout.is_empty() {
                let shape = vec![dropout.len(), 4];
                extra.push((DROPOUT_RNG.into(), Dtype::U64, shape, words(&dropout)));
            }
        }
        let mut tensors: Vec<(String, Dtype, Vec<usize>, &[u8])> = parsed
            .tensors()
            .into_iter()
            .map(|(name, view)| (name, view.dtype(), view.shape().to_vec(), view.data()))
            .collect();
        tensors.extend(
            extra.iter().map(|(name, dtype, shape, bytes)| {
                (name.clone(), *dtype, shape.clone(), &bytes[..])
            }),
        );
        serialize(tensors, &metadata)
    }

    /// Writes a checkpoint to `path`, atomically (a temporary file in the same folder, synced,
    /// then renamed over `path`). Allocates (the file's bytes); call it between epochs, e.g.
    /// from [`ModelCheckpoint`](super::ModelCheckpoint).
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        write_atomically(path, &self.checkpoint_bytes()).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Restores a checkpoint written by [`save_checkpoint`](Trainer::save_checkpoint) into this
    /// trainer, built like the one that wrote it (same model type, same kind of optimizer with
    /// the same hyper-parameters, same loss): parameters, optimizer state and step count,
    /// learning rate (PyTorch's `load_state_dict` restores it too), epochs done, and the
    /// shuffling and dropout streams. The next [`fit`](Trainer::fit) with the same data and
    /// options then continues exactly as the original run did (pass the same seed, or none).
    ///
    /// On error the trainer is unchanged.
    pub fn load_checkpoint(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = read(path)?;
        self.load_checkpoint_bytes(&bytes, path)
    }

    /// [`load_checkpoint`](Trainer::load_checkpoint) from bytes; `origin` names them in errors.
    pub fn load_checkpoint_bytes(
        &mut self,
        bytes: &[u8],
        origin: &Path,
    ) -> Result<(), CheckpointError> {
        let file = Parsed::new(bytes, origin)?;
        let path = || origin.to_path_buf();
        let found = file.text("optimizer")?;
        if found != self.optimizer.name() {
            return Err(CheckpointError::WrongOptimizer {
                path: path(),
                expected: self.optimizer.name(),
                found: found.to_string(),
            });
        }
        let step: u64 = file.number("optimizer_step")?;
        if step == u64::MAX {
            return Err(file.corrupt(format!(
                "metadata `{META_PREFIX}optimizer_step` is {step}, which cannot be stepped on"
            )));
        }
        let lr = file.rate("learning_rate")?;
        let base_lr = file.rate("base_learning_rate")?;
        let epoch: usize = file.number("epoch")?;
        let seed: Option<u64> = file.optional_number("seed")?;

        // Sort the tensors: optimizer buffers, training position, weights.
        let mut buffers: Vec<(&str, Vec<T>)> = Vec::new();
        let mut weights: Vec<(&str, TensorView<'_>)> = Vec::new();
        for (name, view) in file.tensors.iter() {
            if let Some(buffer) = name.strip_prefix(OPTIMIZER_PREFIX) {
                buffers.push((buffer, file.floats::<T>(name, &view, M::PARAM_COUNT)?));
            } else if name.starts_with(FIT_PREFIX) {
                if ![SHUFFLE_RNG, ORDER, DROPOUT_RNG].contains(&name) || seed.is_none() {
                    return Err(CheckpointError::UnexpectedTensor {
                        path: path(),
                        tensor: name.to_string(),
                    });
                }
            } else {
                weights.push((name, view));
            }
        }
        let position = match seed {
            None => Position::new(),
            Some(seed) => {
                let shuffle = file.rngs(SHUFFLE_RNG, vec![4])?.remove(0);
                let order = file.order()?;
                Position {
                    epoch,
                    seed: Some(seed),
                    shuffle,
                    order,
                }
            }
        };
        let streams = self.ws.rngs().len();
        let dropout = match seed {
            Some(_) if streams > 0 => file.rngs(DROPOUT_RNG, vec![streams, 4])?,
            Some(_) if file.tensors.tensor(DROPOUT_RNG).is_ok() => {
                return Err(CheckpointError::UnexpectedTensor {
                    path: path(),
                    tensor: DROPOUT_RNG.into(),
                })
            }
            _ => Vec::new(),
        };

        // The weights go through kiln::io, which knows their names, layouts and checks.
        let io_metadata = file
            .meta
            .iter()
            .filter(|(k, _)| !k.starts_with(META_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let weights = safetensors::tensor::serialize(weights, Some(io_metadata))
            .map_err(|e| file.corrupt(e.to_string()))?;
        let mut model = M::seeded(0);
        io::from_bytes_into(&mut model, &weights, origin)?;

        let state: Vec<(&str, &[T])> = buffers.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        self.optimizer.load_state(step, &state).map_err(|source| {
            CheckpointError::OptimizerState {
                path: path(),
                source,
            }
        })?;

        // Nothing can fail from here on.
        self.model.params_mut().copy_from_slice(model.params());
        self.optimizer.set_learning_rate(lr);
        self.base_lr = base_lr;
        self.position = Position { epoch, ..position };
        for (slot, rng) in self.ws.rngs_mut().into_iter().zip(dropout) {
            *slot = rng;
        }
        Ok(())
    }
}

/// A checkpoint's parsed header and tensors.
struct Parsed<'a> {
    tensors: SafeTensors<'a>,
    meta: HashMap<String, String>,
    path: &'a Path,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8], path: &'a Path) -> Result<Self, CheckpointError> {
        let corrupt = |e: safetensors::SafeTensorError| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let tensors = SafeTensors::deserialize(bytes).map_err(corrupt)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(corrupt)?;
        let meta = header.metadata().clone().unwrap_or_default();
        let parsed = Parsed {
            tensors,
            meta: meta.into_iter().collect(), // a hashbrown map without safetensors' `std`
            path,
        };
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

    fn shape_error(
        &self,
        tensor: &str,
        expected: Vec<usize>,
        view: &TensorView<'_>,
    ) -> CheckpointError {
        CheckpointError::Shape {
            path: self.path.to_path_buf(),
            tensor: tensor.to_string(),
            expected,
            found: view.shape().to_vec(),
        }
    }

    fn dtype_error(
        &self,
        tensor: &str,
        expected: &'static str,
        view: &TensorView<'_>,
    ) -> CheckpointError {
        CheckpointError::Dtype {
            path: self.path.to_path_buf(),
            tensor: tensor.to_string(),
            expected,
            found: format!("{:?}", view.dtype()),
        }
    }

    /// An optimizer buffer: `len` finite values of type `T`.
    fn floats<T: Scalar>(
        &self,
        name: &str,
        view: &TensorView<'_>,
        len: usize,
    ) -> Result<Vec<T>, CheckpointError> {
        if view.dtype() != dtype_of::<T>() {
            return Err(self.dtype_error(name, T::DTYPE, view));
        }
        if view.shape() != [len] {
            return Err(self.shape_error(name, vec![len], view));
        }
        let mut values = Vec::with_capacity(len);
        for (index, chunk) in view.data().chunks_exact(size_of::<T>()).enumerate() {
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

    fn tensor(&self, name: &'static str) -> Result<TensorView<'a>, CheckpointError> {
        self.tensors
            .tensor(name)
            .map_err(|_| CheckpointError::MissingTensor {
                path: self.path.to_path_buf(),
                tensor: name,
            })
    }

    /// Random-stream states, four `U64` words each, in a tensor of shape `expected`.
    fn rngs(&self, name: &'static str, expected: Vec<usize>) -> Result<Vec<Rng>, CheckpointError> {
        let view = self.tensor(name)?;
        if view.dtype() != Dtype::U64 {
            return Err(self.dtype_error(name, "U64", &view));
        }
        if view.shape() != expected.as_slice() {
            return Err(self.shape_error(name, expected, &view));
        }
        view.data()
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
        let width = match view.dtype() {
            Dtype::U32 => 4,
            Dtype::U64 => 8,
            _ => return Err(self.dtype_error(ORDER, "U32 or U64", &view)),
        };
        let &[n] = view.shape() else {
            let n = view.data().len() / width;
            return Err(self.shape_error(ORDER, vec![n], &view));
        };
        let mut seen = vec![false; n];
        let mut order = Vec::with_capacity(n);
        for chunk in view.data().chunks_exact(width) {
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

fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced then renamed
/// over `path`; on failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    let save = SAVES.fetch_add(1, Ordering::Relaxed);
    tmp_name.push(format!(".tmp-{}-{save}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// safetensors bytes whose header is a function of the content alone (`safetensors::serialize`
/// writes the metadata in a `HashMap`'s random order): `__metadata__` with sorted keys, then
/// the tensors by descending element size and name (safetensors' own order, which keeps each
/// tensor aligned), the header padded with spaces to a multiple of 8 bytes.
fn serialize(
    mut tensors: Vec<(String, Dtype, Vec<usize>, &[u8])>,
    metadata: &BTreeMap<String, String>,
) -> Vec<u8> {
    tensors.sort_by(|a, b| b.1.bitsize().cmp(&a.1.bitsize()).then(a.0.cmp(&b.0)));
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (key, value)) in metadata.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!("{}:{}", json_string(key), json_string(value)));
    }
    header.push('}');
    let mut offset = 0;
    for (name, dtype, shape, bytes) in &tensors {
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        header.push_str(&format!(
            ",{}:{{\"dtype\":\"{dtype:?}\",\"shape\":[{}],\"data_offsets\":[{offset},{}]}}",
            json_string(name),
            shape.join(","),
            offset + bytes.len()
        ));
        offset += bytes.len();
    }
    header.push('}');
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, _, _, bytes) in &tensors {
        out.extend_from_slice(bytes);
    }
    out
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dtype_of<T: Scalar>() -> Dtype {
    match T::DTYPE {
        "F64" => Dtype::F64,
        _ => Dtype::F32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_writer_escapes_and_safetensors_reads_it_back() {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é ∂";
        let metadata = BTreeMap::from([
            ("b".to_string(), awkward.to_string()),
            ("a".to_string(), String::new()),
        ]);
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let tensors = vec![
            (awkward.to_string(), Dtype::U8, vec![2, 2], &data[..4]),
            ("wide".to_string(), Dtype::U32, vec![1], &data[4..]),
        ];
        let bytes = serialize(tensors.clone(), &metadata);
        assert_eq!(bytes, serialize(tensors, &metadata), "deterministic");
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let read = header.metadata().clone().unwrap();
        assert_eq!(read.get("b").map(String::as_str), Some(awkward));
        assert_eq!(read.get("a").map(String::as_str), Some(""));
        let t = file.tensor(awkward).unwrap();
        assert_eq!(
            (t.dtype(), t.shape(), t.data()),
            (Dtype::U8, &[2, 2][..], &data[..4])
        );
        // The 4-byte tensor comes first, aligned.
        assert_eq!(file.tensor("wide").unwrap().data(), &data[4..]);
        assert_eq!((bytes.len() - 8) % 8, 0);
    }
}
