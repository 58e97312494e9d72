//! Weight files on disk and in `Vec`s (needs `std`): saving, and loading with errors that name
//! the file. Loading goes through the allocation-free reader ([`super::read_params`]).

use super::header::Header;
use super::layout::{specs, Naming};
use super::read::{max_tensors, read_header, within_limit, Fault};
#[cfg(feature = "save")]
use super::write::{serialize, write_atomically, Tensor};
use super::LoadOptions;
#[cfg(feature = "save")]
use super::{layout::Map, Format};
use crate::{Model, Scalar};
#[cfg(feature = "save")]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a weight file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The path is not a regular file (a FIFO, a device, a socket, a folder), and the caller
    /// did not opt in with [`LoadOptions::allow_non_regular`]: reading it could block forever.
    #[error("{path}: is {kind}, not a regular file (reading it could block forever; set `LoadOptions::allow_non_regular` to read it anyway)")]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is: "a FIFO", "a character device", "a block device", "a socket",
        /// "a directory".
        kind: &'static str,
    },
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file (truncated, corrupt header, bad offsets).
    #[error("{path}: not a valid safetensors file: {reason}")]
    Corrupt {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// What is wrong, and at which byte.
        reason: String,
    },
    /// A tensor the model needs is absent.
    #[error(
        "{path}: tensor `{tensor}` is missing (the model `{model}` needs it, reading {naming})"
    )]
    Missing {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The missing tensor's name in that naming: `0.weight`, `dense.kernel`, ...
        tensor: String,
        /// The naming the file was read with: "PyTorch nn.Sequential names", ...
        naming: &'static str,
    },
    /// The file holds a tensor the model does not have.
    #[error("{path}: tensor `{tensor}` does not belong to the model `{model}` (reading {naming}, the model's tensors are {known})")]
    Unexpected {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The file's tensor that matches none of the model's.
        tensor: String,
        /// The naming the file was read with: "PyTorch nn.Sequential names", ...
        naming: &'static str,
        /// The model's tensor names in that naming (the first few).
        known: String,
    },
    /// The file mixes two namings (say PyTorch's `dense.weight` and Keras' `dense_1.kernel`), or
    /// matches two equally well.
    #[error("{path}: tensor `{tensor}` is named as in {other}, but the file's other tensors are named as in {naming}; a file must use one naming")]
    Mixed {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The file's tensor named in the odd naming out (the first such, in name order).
        tensor: String,
        /// The naming most of the file's tensors use, which it was read with.
        naming: &'static str,
        /// The other naming, the one `tensor` fits.
        other: &'static str,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, but the model expects {expected:?}")]
    Shape {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name in the file.
        tensor: String,
        /// The shape the model needs, in the file's layout (PyTorch's `[out, in]`, Keras'
        /// `[in, out]`, ...).
        expected: Vec<usize>,
        /// The shape the file gives it.
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("{path}: tensor `{tensor}` is {found}, but the model is {expected}")]
    Dtype {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name in the file.
        tensor: String,
        /// The model's scalar type as a safetensors dtype: `"F32"` or `"F64"`.
        expected: &'static str,
        /// The tensor's dtype in the file: `"F16"`, `"BF16"`, ...
        found: String,
    },
    /// A tensor holds NaN or an infinity (or PyTorch's two recurrent biases add up to one).
    #[error("{path}: tensor `{tensor}` holds a non-finite value ({value}) at element {index}")]
    NonFinite {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name in the file (`bias_ih_l0 + bias_hh_l0` for a sum of two biases).
        tensor: String,
        /// The element's flat index, in the tensor's row-major order.
        index: usize,
        /// The value: NaN or ±∞.
        value: f64,
    },
    /// A value the tensor cannot hold: a count (BatchNorm's `num_batches_tracked`) that is
    /// negative, fractional or above [`super::MAX_COUNT`].
    #[error("{path}: tensor `{tensor}` holds {value} at element {index}, but its values must be {expected}")]
    OutOfRange {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The tensor's name in the file.
        tensor: String,
        /// The element's flat index, in the tensor's row-major order.
        index: usize,
        /// The value.
        value: f64,
        /// What the values must be: "a whole count from 0 to 2⁵³", "a variance: 0 or more".
        expected: &'static str,
    },
    /// The header holds more tensors than the model can need ([`super::max_tensors`]); reading
    /// stopped at the first one beyond.
    #[error("{path}: the file holds more than {limit} tensors, more than the model `{model}` can need (the next one starts at byte {offset})")]
    TooManyTensors {
        /// The file read (for bytes, the `origin` given for them).
        path: PathBuf,
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The most tensors a file for this model may hold.
        limit: usize,
        /// The byte of the file where the first tensor beyond the limit starts.
        offset: usize,
    },
}

/// The safetensors bytes of `model`'s parameters, as a PyTorch `nn.Sequential` state_dict.
#[cfg(feature = "save")]
pub fn to_bytes<T: Scalar, M: Model<T>>(model: &M) -> Vec<u8> {
    to_bytes_as(model, Format::Torch)
}

/// The safetensors bytes of `model`'s parameters in `format`.
#[cfg(feature = "save")]
pub fn to_bytes_as<T: Scalar, M: Model<T>>(model: &M, format: Format) -> Vec<u8> {
    let params = model.params();
    let buffers: Vec<(String, &str, Vec<usize>, Vec<u8>)> =
        specs(M::INPUT_SHAPE, M::LAYERS, Naming::from(format))
            .map(|t| {
                let values = &params[t.param.offset..t.param.offset + t.param.len];
                let len = t.len();
                let mut bytes = Vec::with_capacity(len * core::mem::size_of::<T>());
                let mut dtype = T::DTYPE;
                for i in 0..len {
                    match t.map {
                        Map::SecondBias => T::zero().write_le(&mut bytes),
                        Map::Counter => {
                            dtype = "I64";
                            let count = values[i].to_f64().round() as i64;
                            bytes.extend_from_slice(&count.to_le_bytes());
                        }
                        _ => values[t.map.source(i)].write_le(&mut bytes),
                    }
                }
                (t.to_string(), dtype, t.shape.as_slice().to_vec(), bytes)
            })
            .collect();
    let tensors = buffers
        .iter()
        .map(|(name, dtype, shape, bytes)| Tensor {
            name: name.clone(),
            dtype: (*dtype).into(),
            shape: shape.clone(),
            data: bytes,
        })
        .collect();
    let layout = match format {
        Format::Torch => "torch",
        Format::TorchByName => "torch-by-name",
        Format::Keras => "keras",
    };
    let metadata = BTreeMap::from([(
        "kiln".to_string(),
        format!("model {}, layout {layout}", M::NAME),
    )]);
    serialize(tensors, &metadata)
}

/// Writes `model`'s parameters to `path` as a PyTorch `nn.Sequential` state_dict, atomically.
#[cfg(feature = "save")]
pub fn save<T: Scalar, M: Model<T>>(model: &M, path: impl AsRef<Path>) -> Result<(), WeightsError> {
    save_as(model, path, Format::Torch)
}

/// Writes `model`'s parameters to `path` in `format`, atomically and safely against concurrent
/// saves and planted symlinks (see the [module docs](super)).
#[cfg(feature = "save")]
pub fn save_as<T: Scalar, M: Model<T>>(
    model: &M,
    path: impl AsRef<Path>,
    format: Format,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    write_atomically(path, &to_bytes_as(model, format)).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a model from `path`, in any [`Format`] (detected from the tensor names).
pub fn load<T: Scalar, M: Model<T>>(path: impl AsRef<Path>) -> Result<M, WeightsError> {
    load_with(path, LoadOptions::default())
}

/// [`load`] with options.
pub fn load_with<T: Scalar, M: Model<T>>(
    path: impl AsRef<Path>,
    options: LoadOptions,
) -> Result<M, WeightsError> {
    let mut model = M::seeded(0);
    load_into_with(&mut model, path, options)?;
    Ok(model)
}

/// Reads the parameters in `path` into `model`; on error `model` is left unchanged.
pub fn load_into<T: Scalar, M: Model<T>>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    load_into_with(model, path, LoadOptions::default())
}

/// [`load_into`] with options.
pub fn load_into_with<T: Scalar, M: Model<T>>(
    model: &mut M,
    path: impl AsRef<Path>,
    options: LoadOptions,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = read_file(path, options.allow_non_regular)?;
    from_bytes_into_with(model, &bytes, path, options)
}

/// The bytes of the file at `path`, refusing anything but a regular file unless `any` (checked
/// before opening, since opening a FIFO for reading blocks until a writer comes, and again on
/// the opened file, in case the path was swapped in between).
pub(crate) fn read_file(path: &Path, any: bool) -> Result<Vec<u8>, WeightsError> {
    use std::io::Read;
    let io = |source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let regular = |meta: std::fs::Metadata| match special(&meta.file_type()) {
        Some(kind) if !any => Err(WeightsError::NotAFile {
            path: path.to_path_buf(),
            kind,
        }),
        _ => Ok(meta.len()),
    };
    regular(std::fs::metadata(path).map_err(io)?)?;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = regular(file.metadata().map_err(io)?)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// What a file that is not regular is ("a FIFO", ...), or `None` for a regular file.
fn special(kind: &std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("an unusual file")
}

/// Reads parameters from safetensors bytes into `model`; `origin` names the source in errors.
/// On error `model` is left unchanged. Without `std`, or to avoid building the error's strings,
/// use [`super::read_into`], which this calls.
pub fn from_bytes_into<T: Scalar, M: Model<T>>(
    model: &mut M,
    bytes: &[u8],
    origin: &Path,
) -> Result<(), WeightsError> {
    from_bytes_into_with(model, bytes, origin, LoadOptions::default())
}

/// [`from_bytes_into`] with options.
pub fn from_bytes_into_with<T: Scalar, M: Model<T>>(
    model: &mut M,
    bytes: &[u8],
    origin: &Path,
    options: LoadOptions,
) -> Result<(), WeightsError> {
    within_limit::<T, M>(bytes).map_err(|fault| WeightsError::of::<T, M>(fault, origin))?;
    let header = Header::parse_all(bytes, max_tensors::<T, M>())
        .map_err(|c| WeightsError::of::<T, M>(Fault::Corrupt(c), origin))?;
    read_header::<T, M>(&header, model.params_mut(), options)
        .map_err(|fault| WeightsError::of::<T, M>(fault, origin))
}

impl WeightsError {
    /// The error of reading `origin`, with the file and the tensors named in full.
    fn of<T: Scalar, M: Model<T>>(fault: Fault<'_>, origin: &Path) -> Self {
        let path = origin.to_path_buf();
        match fault {
            Fault::Corrupt(c) => WeightsError::Corrupt {
                path,
                reason: format!("{} (at byte {})", c.reason, c.offset),
            },
            // A model's own parameter buffer always has its length.
            Fault::ParamCount { expected, found } => WeightsError::Corrupt {
                path,
                reason: format!("the model has {expected} parameters, the buffer {found}"),
            },
            Fault::Missing { tensor, naming } => WeightsError::Missing {
                path,
                model: M::NAME,
                tensor: tensor.to_string(),
                naming: naming.describe(),
            },
            Fault::Unexpected { tensor, naming } => WeightsError::Unexpected {
                path,
                model: M::NAME,
                tensor: tensor.to_string(),
                naming: naming.describe(),
                known: known::<T, M>(naming),
            },
            Fault::Mixed {
                tensor,
                naming,
                other,
            } => WeightsError::Mixed {
                path,
                tensor: tensor.to_string(),
                naming: naming.describe(),
                other: other.describe(),
            },
            Fault::Shape {
                tensor,
                expected,
                found,
            } => WeightsError::Shape {
                path,
                tensor: tensor.to_string(),
                expected: expected.as_slice().to_vec(),
                found: found.as_slice().to_vec(),
            },
            Fault::Dtype { tensor, found } => WeightsError::Dtype {
                path,
                tensor: tensor.to_string(),
                expected: T::DTYPE,
                found: found.to_string(),
            },
            Fault::NonFinite {
                tensor,
                index,
                value,
            } => WeightsError::NonFinite {
                path,
                tensor: tensor.to_string(),
                index,
                value,
            },
            Fault::OutOfRange {
                tensor,
                index,
                value,
                expected,
            } => WeightsError::OutOfRange {
                path,
                tensor: tensor.to_string(),
                index,
                value,
                expected,
            },
            Fault::TooManyTensors { limit, offset } => WeightsError::TooManyTensors {
                path,
                model: M::NAME,
                limit,
                offset,
            },
        }
    }
}

/// "`0.weight`, `0.bias`, ... (12 in all)", or "none": the model's tensors under `naming`.
fn known<T: Scalar, M: Model<T>>(naming: Naming) -> String {
    const SHOWN: usize = 6;
    let names: Vec<String> = specs(M::INPUT_SHAPE, M::LAYERS, naming)
        .map(|t| format!("`{t}`"))
        .collect();
    if names.is_empty() {
        return "none".to_string();
    }
    let total = names.len();
    let mut list: Vec<String> = names.into_iter().take(SHOWN).collect();
    if total > SHOWN {
        list.push(format!("... ({total} in all)"));
    }
    list.join(", ")
}
