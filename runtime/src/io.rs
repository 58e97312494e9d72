//! Weight files: a model's parameters in the [safetensors](https://huggingface.co/docs/safetensors)
//! format, one tensor per parameter, named and laid out as in Keras (`dense.kernel` is
//! `[in, out]`, `dense.bias` is `[out]`: [`crate::ParamInfo`]).
//!
//! Saving is atomic (a temporary file in the same folder, then a rename), so an interrupted save
//! never leaves a half-written file under the final name. Loading checks every tensor's name,
//! dtype, shape and values and reports the first problem with the file and tensor at fault; it
//! never panics on malformed bytes.
//!
//! ```
//! # use kiln::model;
//! model! { struct Net { Input(3), Dense(2, activation = tanh), Dense(1) } }
//!
//! # fn main() -> Result<(), kiln::io::WeightsError> {
//! let dir = std::env::temp_dir().join(format!("kiln-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("net.safetensors");
//! let net = Net::new(7);
//! kiln::io::save(&net, &path)?;
//! let back: Net = kiln::io::load(&path)?;
//! assert_eq!(back.predict(&[1.0, 2.0, 3.0]), net.predict(&[1.0, 2.0, 3.0]));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use crate::{Model, Scalar};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a weight file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file (truncated, corrupt header, bad offsets).
    #[error("{path}: not a valid safetensors file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// A tensor the model needs is absent.
    #[error("{path}: tensor `{tensor}` is missing (the model `{model}` needs it)")]
    Missing {
        path: PathBuf,
        model: &'static str,
        tensor: &'static str,
    },
    /// The file holds a tensor the model does not have.
    #[error("{path}: tensor `{tensor}` does not belong to the model `{model}`")]
    Unexpected {
        path: PathBuf,
        model: &'static str,
        tensor: String,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, but the model expects {expected:?}")]
    Shape {
        path: PathBuf,
        tensor: &'static str,
        expected: &'static [usize],
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("{path}: tensor `{tensor}` is {found}, but the model is {expected}")]
    Dtype {
        path: PathBuf,
        tensor: &'static str,
        expected: &'static str,
        found: String,
    },
    /// A tensor holds NaN or an infinity.
    #[error("{path}: tensor `{tensor}` holds a non-finite value ({value}) at element {index}")]
    NonFinite {
        path: PathBuf,
        tensor: &'static str,
        index: usize,
        value: f64,
    },
}

/// The safetensors bytes of `model`'s parameters.
pub fn to_bytes<T: Scalar, M: Model<T>>(model: &M) -> Vec<u8> {
    let dtype = dtype_of::<T>();
    let params = model.params();
    let buffers: Vec<(&'static str, &'static [usize], Vec<u8>)> = M::LAYERS
        .iter()
        .flat_map(|layer| layer.params)
        .map(|p| {
            let mut bytes = Vec::with_capacity(p.len * core::mem::size_of::<T>());
            for &v in &params[p.offset..p.offset + p.len] {
                v.write_le(&mut bytes);
            }
            (p.name, p.shape, bytes)
        })
        .collect();
    let views = buffers.iter().map(|(name, shape, bytes)| {
        (
            *name,
            TensorView::new(dtype, shape.to_vec(), bytes).expect("shape and byte count agree"),
        )
    });
    let metadata = HashMap::from([
        ("format".to_string(), "kiln".to_string()),
        ("model".to_string(), M::NAME.to_string()),
        ("layout".to_string(), "keras".to_string()),
    ]);
    safetensors::tensor::serialize(views, Some(metadata)).expect("serialising in-memory tensors")
}

/// Writes `model`'s parameters to `path`, atomically.
pub fn save<T: Scalar, M: Model<T>>(model: &M, path: impl AsRef<Path>) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let io = |source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&to_bytes(model))?;
        file.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// Reads a model saved by [`save`] from `path`.
pub fn load<T: Scalar, M: Model<T>>(path: impl AsRef<Path>) -> Result<M, WeightsError> {
    let mut model = M::seeded(0);
    load_into(&mut model, path)?;
    Ok(model)
}

/// Reads the parameters in `path` into `model`; on error `model` is left unchanged.
pub fn load_into<T: Scalar, M: Model<T>>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes_into(model, &bytes, path)
}

/// Reads parameters from safetensors bytes (e.g. `include_bytes!`) into `model`; `origin` names
/// the source in errors. On error `model` is left unchanged.
pub fn from_bytes_into<T: Scalar, M: Model<T>>(
    model: &mut M,
    bytes: &[u8],
    origin: &Path,
) -> Result<(), WeightsError> {
    let path = || origin.to_path_buf();
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Corrupt {
        path: path(),
        reason: e.to_string(),
    })?;
    let expected: Vec<_> = M::LAYERS.iter().flat_map(|layer| layer.params).collect();
    if let Some(extra) = file
        .names()
        .into_iter()
        .find(|name| !expected.iter().any(|p| p.name == *name))
    {
        return Err(WeightsError::Unexpected {
            path: path(),
            model: M::NAME,
            tensor: extra.to_string(),
        });
    }
    let mut values = vec![T::zero(); M::PARAM_COUNT];
    let size = core::mem::size_of::<T>();
    for p in expected {
        let tensor = file.tensor(p.name).map_err(|_| WeightsError::Missing {
            path: path(),
            model: M::NAME,
            tensor: p.name,
        })?;
        if tensor.dtype() != dtype_of::<T>() {
            return Err(WeightsError::Dtype {
                path: path(),
                tensor: p.name,
                expected: T::DTYPE,
                found: format!("{:?}", tensor.dtype()),
            });
        }
        if tensor.shape() != p.shape {
            return Err(WeightsError::Shape {
                path: path(),
                tensor: p.name,
                expected: p.shape,
                found: tensor.shape().to_vec(),
            });
        }
        for (i, (chunk, slot)) in tensor
            .data()
            .chunks_exact(size)
            .zip(&mut values[p.offset..p.offset + p.len])
            .enumerate()
        {
            let v = T::read_le(chunk);
            if !v.is_finite() {
                return Err(WeightsError::NonFinite {
                    path: path(),
                    tensor: p.name,
                    index: i,
                    value: v.to_f64(),
                });
            }
            *slot = v;
        }
    }
    model.params_mut().copy_from_slice(&values);
    Ok(())
}

fn dtype_of<T: Scalar>() -> Dtype {
    match T::DTYPE {
        "F64" => Dtype::F64,
        _ => Dtype::F32,
    }
}
