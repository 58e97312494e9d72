//! Weight files: a model's parameters in the [safetensors](https://huggingface.co/docs/safetensors)
//! format, named and laid out as a PyTorch state_dict (the default) or as Keras.
//!
//! [`save`] and [`to_bytes`] write the state_dict of the equivalent PyTorch `nn.Sequential`, so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads kiln's files, and a state_dict
//! PyTorch saved with `safetensors.torch.save_file(model.state_dict(), path)` loads with [`load`].
//! [`save_as`] and [`to_bytes_as`] write the other [`Format`]s. Loading detects the format from
//! the tensor names, so files of every format load with the same call.
//!
//! | kiln layer | PyTorch module(s) | PyTorch tensors | from kiln's (Keras') tensors |
//! |---|---|---|---|
//! | `Dense(u, activation = a)` | `Linear`, then `a` unless linear | `weight [u, in]`, `bias [u]` | `kernel [in, u]` transposed |
//! | `Conv2D(f, (kh, kw), activation = a)` | `Conv2d`, then `a` unless linear | `weight [f, c, kh, kw]`, `bias [f]` | `kernel [kh, kw, c, f]`, axes permuted |
//! | `LSTM(u)` | `LSTM(batch_first=True)` | `weight_ih_l0 [4u, in]`, `weight_hh_l0 [4u, u]`, `bias_ih_l0 [4u]`, `bias_hh_l0 [4u]` | `kernel`, `recurrent_kernel` transposed (gates i, f, g, o = Keras i, f, c, o); `bias` = `bias_ih_l0 + bias_hh_l0` |
//! | `SimpleRNN(u)` | `RNN(batch_first=True)` | as LSTM with `u` rows | as LSTM |
//! | `GRU(u)` | `GRU(batch_first=True)` | as LSTM with `3u` rows | transposed, gate blocks Keras z, r, h ↔ PyTorch r, z, n; `bias [2, 3u]` rows = `bias_ih_l0`, `bias_hh_l0` |
//! | `Flatten`, `Dropout`, `Activation`, `MaxPooling2D`, `AveragePooling2D` | one module each | — | — |
//! | `GlobalMaxPooling2D`, `GlobalAveragePooling2D` | `AdaptiveMaxPool2d(1)` / `AdaptiveAvgPool2d(1)`, `Flatten` | — | — |
//!
//! - **Names.** [`Format::Torch`] numbers the modules as `nn.Sequential` does ([`LayerInfo::torch_index`]):
//!   `Input(784), Dense(64, activation = relu), Dense(10, activation = softmax)` is `Linear`,
//!   `ReLU`, `Linear`, `Softmax`, so its tensors are `0.weight`, `0.bias`, `2.weight`, `2.bias`.
//!   A final softmax counts as a module but, being last, changes no name (PyTorch models usually
//!   end at the `Linear` and give logits to the loss: same names). [`Format::TorchByName`] keys
//!   the same tensors by kiln's layer names (`dense.weight`), as a custom `nn.Module` with one
//!   attribute per layer would. When a single layer holds all the parameters, loading also
//!   accepts the bare module's state_dict (`weight_ih_l0`, as `nn.LSTM(...).state_dict()`).
//! - **Flatten.** kiln flattens images channels-last (NHWC), `nn.Flatten` channels-first (NCHW).
//!   With [`Format::Torch`] only, the `Linear` after a `Flatten` of an `h × w × c` image has its
//!   columns reordered from NCHW (in the file) to NHWC (in kiln) and back, so a real PyTorch
//!   model and kiln compute the same function (given the same image, NCHW for PyTorch, NHWC for
//!   kiln). [`Format::TorchByName`] keeps kiln's NHWC column order, as in the PyTorch reference
//!   cases.
//! - **Recurrent biases.** Keras and kiln have one LSTM / SimpleRNN bias where PyTorch has two
//!   that are always added: loading sums them, saving writes the bias as `bias_ih_l0` and zeros
//!   as `bias_hh_l0`. GRU keeps both (Keras' `[2, 3u]` bias), with PyTorch's gate order.
//! - **Stacked recurrent layers** are one module each (`0.weight_ih_l0`, `1.weight_ih_l0`), not
//!   one `nn.LSTM(num_layers = 2)`. A recurrent layer without `return_sequences` is counted as
//!   one module, the last step's selection included (an `nn.Sequential` needs a small wrapper
//!   module around `nn.LSTM` anyway).
//!
//! Saving is atomic (a temporary file in the same folder, then a rename), so an interrupted save
//! never leaves a half-written file under the final name. Loading checks every tensor's name,
//! dtype, shape and values and reports the first problem ([`WeightsError`]) with the file and
//! tensor at fault: missing and unexpected tensors, tensors of different formats mixed in one
//! file, wrong shapes (expected and found), wrong dtypes, non-finite values, truncated or corrupt
//! bytes. It never panics on malformed bytes, and a failed load leaves the model unchanged.
//!
//! ```
//! # use kiln::model;
//! use kiln::io::{self, Format};
//! model! { struct Net { Input(3), Dense(2, activation = tanh), Dense(1) } }
//!
//! # fn main() -> Result<(), kiln::io::WeightsError> {
//! let dir = std::env::temp_dir().join(format!("kiln-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("net.safetensors");
//! let net = Net::new(7);
//! io::save(&net, &path)?; // 0.weight [2, 3], 0.bias, 2.weight [1, 2], 2.bias
//! let back: Net = io::load(&path)?;
//! assert_eq!(back.predict(&[1.0, 2.0, 3.0]), net.predict(&[1.0, 2.0, 3.0]));
//!
//! io::save_as(&net, &path, Format::Keras)?; // dense.kernel [3, 2], ...
//! let back: Net = io::load(&path)?; // the same call reads either
//! assert_eq!(back.params(), net.params());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use crate::{LayerInfo, Model, ParamInfo, Scalar};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::{HashMap, HashSet};
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
    #[error(
        "{path}: tensor `{tensor}` is missing (the model `{model}` needs it, reading {naming})"
    )]
    Missing {
        path: PathBuf,
        model: &'static str,
        tensor: String,
        /// The naming the file was read with: "PyTorch nn.Sequential names", ...
        naming: &'static str,
    },
    /// The file holds a tensor the model does not have.
    #[error("{path}: tensor `{tensor}` does not belong to the model `{model}` (reading {naming}, the model's tensors are {known})")]
    Unexpected {
        path: PathBuf,
        model: &'static str,
        tensor: String,
        naming: &'static str,
        /// The model's tensor names in that naming (the first few).
        known: String,
    },
    /// The file mixes two namings (say PyTorch's `dense.weight` and Keras' `dense_1.kernel`), or
    /// matches two equally well.
    #[error("{path}: tensor `{tensor}` is named as in {other}, but the file's other tensors are named as in {naming}; a file must use one naming")]
    Mixed {
        path: PathBuf,
        tensor: String,
        naming: &'static str,
        other: &'static str,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, but the model expects {expected:?}")]
    Shape {
        path: PathBuf,
        tensor: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("{path}: tensor `{tensor}` is {found}, but the model is {expected}")]
    Dtype {
        path: PathBuf,
        tensor: String,
        expected: &'static str,
        found: String,
    },
    /// A tensor holds NaN or an infinity (or PyTorch's two recurrent biases add up to one).
    #[error("{path}: tensor `{tensor}` holds a non-finite value ({value}) at element {index}")]
    NonFinite {
        path: PathBuf,
        tensor: String,
        index: usize,
        value: f64,
    },
}

/// How a weight file names and lays out the tensors (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// The state_dict of the equivalent PyTorch `nn.Sequential`: `0.weight` `[out, in]`, NCHW
    /// flatten order for the `Linear` after a `Flatten`. The default.
    #[default]
    Torch,
    /// PyTorch's tensor names and layouts keyed by kiln's layer names (`dense.weight`
    /// `[out, in]`), kiln's own (NHWC) flatten order.
    TorchByName,
    /// Keras' names and layouts (`dense.kernel` `[in, out]`), which are kiln's memory layout.
    Keras,
}

/// How [`load_with`], [`load_into_with`] and [`from_bytes_into_with`] read a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Read the file in this format only; `None` (the default) detects it from the names.
    pub format: Option<Format>,
    /// Skip tensors that belong to no naming of the model (PyTorch's `strict=False`, for
    /// unexpected tensors only: missing tensors are still errors).
    pub ignore_unexpected: bool,
}

/// The safetensors bytes of `model`'s parameters, as a PyTorch `nn.Sequential` state_dict.
pub fn to_bytes<T: Scalar, M: Model<T>>(model: &M) -> Vec<u8> {
    to_bytes_as(model, Format::Torch)
}

/// The safetensors bytes of `model`'s parameters in `format`.
pub fn to_bytes_as<T: Scalar, M: Model<T>>(model: &M, format: Format) -> Vec<u8> {
    let dtype = dtype_of::<T>();
    let params = model.params();
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = tensors::<T, M>(Naming::from(format))
        .into_iter()
        .map(|t| {
            let values = &params[t.param.offset..t.param.offset + t.param.len];
            let len = t.shape.iter().product::<usize>();
            let mut bytes = Vec::with_capacity(len * core::mem::size_of::<T>());
            for i in 0..len {
                let v = if t.map == Map::SecondBias {
                    T::zero()
                } else {
                    values[t.map.source(i)]
                };
                v.write_le(&mut bytes);
            }
            (t.name, t.shape, bytes)
        })
        .collect();
    let views = buffers.iter().map(|(name, shape, bytes)| {
        (
            name.as_str(),
            TensorView::new(dtype, shape.clone(), bytes).expect("shape and byte count agree"),
        )
    });
    let layout = match format {
        Format::Torch => "torch",
        Format::TorchByName => "torch-by-name",
        Format::Keras => "keras",
    };
    // One entry: the header lists a map's entries in hash order, and saves must be reproducible.
    let metadata = HashMap::from([(
        "kiln".to_string(),
        format!("model {}, layout {layout}", M::NAME),
    )]);
    safetensors::tensor::serialize(views, Some(metadata)).expect("serialising in-memory tensors")
}

/// Writes `model`'s parameters to `path` as a PyTorch `nn.Sequential` state_dict, atomically.
pub fn save<T: Scalar, M: Model<T>>(model: &M, path: impl AsRef<Path>) -> Result<(), WeightsError> {
    save_as(model, path, Format::Torch)
}

/// Writes `model`'s parameters to `path` in `format`, atomically.
pub fn save_as<T: Scalar, M: Model<T>>(
    model: &M,
    path: impl AsRef<Path>,
    format: Format,
) -> Result<(), WeightsError> {
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
        file.write_all(&to_bytes_as(model, format))?;
        file.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
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
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes_into_with(model, &bytes, path, options)
}

/// Reads parameters from safetensors bytes (e.g. `include_bytes!`) into `model`; `origin` names
/// the source in errors. On error `model` is left unchanged.
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
    let path = || origin.to_path_buf();
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Corrupt {
        path: path(),
        reason: e.to_string(),
    })?;
    let mut names = file.names();
    names.sort_unstable();

    // Every naming the file may use, with the tensors the model needs in it.
    let candidates: Vec<Naming> = match options.format {
        Some(format) => vec![Naming::from(format)],
        None => {
            let mut all = vec![Naming::Sequential, Naming::ByName, Naming::Keras];
            if M::LAYERS.iter().filter(|l| !l.params.is_empty()).count() == 1 {
                all.push(Naming::Bare);
            }
            all
        }
    };
    let expected: Vec<(Naming, Vec<Tensor>, HashSet<String>)> = candidates
        .into_iter()
        .map(|naming| {
            let tensors = tensors::<T, M>(naming);
            let set = tensors.iter().map(|t| t.name.clone()).collect();
            (naming, tensors, set)
        })
        .collect();

    // The naming most of the file's names belong to; a tie between different sets of names is a
    // mixed file.
    let matched: Vec<Vec<&str>> = expected
        .iter()
        .map(|(_, _, set)| {
            names
                .iter()
                .filter(|n| set.contains(**n))
                .copied()
                .collect()
        })
        .collect();
    let most = matched.iter().map(Vec::len).max().unwrap_or(0);
    let best = matched.iter().position(|m| m.len() == most).unwrap_or(0);
    if most > 0 {
        for (i, these) in matched.iter().enumerate() {
            if these.len() == most && these != &matched[best] {
                let tensor = these.iter().find(|n| !matched[best].contains(n));
                return Err(WeightsError::Mixed {
                    path: path(),
                    tensor: tensor.unwrap_or(&these[0]).to_string(),
                    naming: expected[best].0.describe(),
                    other: expected[i].0.describe(),
                });
            }
        }
    }
    let (naming, tensors, set) = &expected[best];

    for name in &names {
        if set.contains(*name) {
            continue;
        }
        if let Some((other, _, _)) = expected.iter().find(|(_, _, s)| s.contains(*name)) {
            return Err(WeightsError::Mixed {
                path: path(),
                tensor: name.to_string(),
                naming: naming.describe(),
                other: other.describe(),
            });
        }
        if !options.ignore_unexpected {
            return Err(WeightsError::Unexpected {
                path: path(),
                model: M::NAME,
                tensor: name.to_string(),
                naming: naming.describe(),
                known: known(tensors),
            });
        }
    }

    let mut values = vec![T::zero(); M::PARAM_COUNT];
    let size = core::mem::size_of::<T>();
    for t in tensors {
        let tensor = file.tensor(&t.name).map_err(|_| WeightsError::Missing {
            path: path(),
            model: M::NAME,
            tensor: t.name.clone(),
            naming: naming.describe(),
        })?;
        if tensor.dtype() != dtype_of::<T>() {
            return Err(WeightsError::Dtype {
                path: path(),
                tensor: t.name.clone(),
                expected: T::DTYPE,
                found: format!("{:?}", tensor.dtype()),
            });
        }
        if tensor.shape() != t.shape {
            return Err(WeightsError::Shape {
                path: path(),
                tensor: t.name.clone(),
                expected: t.shape.clone(),
                found: tensor.shape().to_vec(),
            });
        }
        let len = t.shape.iter().product::<usize>();
        if tensor.data().len() != len * size {
            return Err(WeightsError::Corrupt {
                path: path(),
                reason: format!(
                    "tensor `{}` holds {} bytes for {len} values",
                    t.name,
                    tensor.data().len()
                ),
            });
        }
        let param = &mut values[t.param.offset..t.param.offset + t.param.len];
        for (i, chunk) in tensor.data().chunks_exact(size).enumerate() {
            let v = T::read_le(chunk);
            if !v.is_finite() {
                return Err(WeightsError::NonFinite {
                    path: path(),
                    tensor: t.name.clone(),
                    index: i,
                    value: v.to_f64(),
                });
            }
            let slot = &mut param[t.map.source(i)];
            if t.map != Map::SecondBias {
                *slot = v;
            } else if v != T::zero() {
                // Adding only non-zeros keeps a saved bias bit for bit (−0 + 0 would be +0).
                *slot += v;
                if !slot.is_finite() {
                    let first = t.name.replace("bias_hh_l0", "bias_ih_l0");
                    return Err(WeightsError::NonFinite {
                        path: path(),
                        tensor: format!("{first} + {}", t.name),
                        index: i,
                        value: slot.to_f64(),
                    });
                }
            }
        }
    }
    model.params_mut().copy_from_slice(&values);
    Ok(())
}

/// "`0.weight`, `0.bias`, ... (12 in all)", or "none".
fn known(tensors: &[Tensor]) -> String {
    const SHOWN: usize = 6;
    if tensors.is_empty() {
        return "none".to_string();
    }
    let mut list: Vec<String> = tensors
        .iter()
        .take(SHOWN)
        .map(|t| format!("`{}`", t.name))
        .collect();
    if tensors.len() > SHOWN {
        list.push(format!("... ({} in all)", tensors.len()));
    }
    list.join(", ")
}

fn dtype_of<T: Scalar>() -> Dtype {
    match T::DTYPE {
        "F64" => Dtype::F64,
        _ => Dtype::F32,
    }
}

/// A way of naming a model's tensors: the [`Format`]s, and a bare module's state_dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Naming {
    Sequential,
    ByName,
    Keras,
    /// The state_dict of the one module holding every parameter (`weight_ih_l0`): read only.
    Bare,
}

impl From<Format> for Naming {
    fn from(format: Format) -> Self {
        match format {
            Format::Torch => Naming::Sequential,
            Format::TorchByName => Naming::ByName,
            Format::Keras => Naming::Keras,
        }
    }
}

impl Naming {
    fn describe(self) -> &'static str {
        match self {
            Naming::Sequential => "PyTorch nn.Sequential names (`0.weight`)",
            Naming::ByName => "PyTorch names by layer (`dense.weight`)",
            Naming::Keras => "Keras names (`dense.kernel`)",
            Naming::Bare => "the names of a bare PyTorch module (`weight`)",
        }
    }
}

/// One tensor of a file: its name, shape, and where its elements live in a parameter.
struct Tensor {
    name: String,
    shape: Vec<usize>,
    param: &'static ParamInfo,
    map: Map,
}

/// How a file tensor's elements (row-major) relate to a parameter's (Keras layout, row-major).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Map {
    /// Element `i` is parameter element `i`.
    Same,
    /// `Linear.weight [out, in]` of a Dense `kernel [in, out]`; `nchw = Some((h, w, c))` when the
    /// columns follow `nn.Flatten`'s channels-first order of an `h × w × c` image.
    Linear {
        inputs: usize,
        outputs: usize,
        nchw: Option<(usize, usize, usize)>,
    },
    /// `Conv2d.weight [f, c, kh, kw]` of a `kernel [kh, kw, c, f]`.
    Conv {
        kh: usize,
        kw: usize,
        c: usize,
        f: usize,
    },
    /// A recurrent `weight_*_l0 [g·u, n]` of a `kernel [n, g·u]`; GRU swaps the first two gate
    /// blocks (Keras z, r, h; PyTorch r, z, n).
    Gates {
        n: usize,
        units: usize,
        gates: usize,
        gru: bool,
    },
    /// Row `row` of a GRU `bias [2, 3u]`, in PyTorch's gate order.
    GruBias { row: usize, units: usize },
    /// `bias_hh_l0` of an LSTM or SimpleRNN: added to `bias_ih_l0` on load, zeros on save.
    SecondBias,
}

impl Map {
    /// The parameter element of file element `i` (a bijection on `0..len`, or into one row).
    fn source(self, i: usize) -> usize {
        let gate = |block: usize, gru: bool| match (gru, block) {
            (true, 0) => 1,
            (true, 1) => 0,
            _ => block,
        };
        match self {
            Map::Same | Map::SecondBias => i,
            Map::Linear {
                inputs,
                outputs,
                nchw,
            } => {
                let (o, col) = (i / inputs, i % inputs);
                let col = match nchw {
                    Some((h, w, c)) => {
                        let (ch, pixel) = (col / (h * w), col % (h * w));
                        pixel * c + ch
                    }
                    None => col,
                };
                col * outputs + o
            }
            Map::Conv { kh, kw, c, f } => {
                let (x, rest) = (i % kw, i / kw);
                let (y, rest) = (rest % kh, rest / kh);
                let (ci, o) = (rest % c, rest / c);
                ((y * kw + x) * c + ci) * f + o
            }
            Map::Gates {
                n,
                units,
                gates,
                gru,
            } => {
                let (row, col) = (i / n, i % n);
                let (block, j) = (row / units, row % units);
                col * gates * units + gate(block, gru) * units + j
            }
            Map::GruBias { row, units } => {
                let (block, j) = (i / units, i % units);
                row * 3 * units + gate(block, true) * units + j
            }
        }
    }
}

/// The tensors of model `M` under `naming`, in parameter order.
fn tensors<T: Scalar, M: Model<T>>(naming: Naming) -> Vec<Tensor> {
    let mut out = Vec::new();
    let mut input: &[usize] = M::INPUT_SHAPE;
    // The image a `Flatten` flattened, while it has not reached a layer with parameters.
    let mut flattened: Option<(usize, usize, usize)> = None;
    for layer in M::LAYERS {
        match (layer.kind, input) {
            ("Flatten", &[h, w, c]) => flattened = Some((h, w, c)),
            ("Dropout" | "Activation", _) => {}
            _ if layer.params.is_empty() => flattened = None,
            _ => {}
        }
        let prefix = match naming {
            Naming::Sequential => format!("{}.", layer.torch_index),
            Naming::ByName => format!("{}.", layer.name),
            Naming::Keras | Naming::Bare => String::new(),
        };
        for param in layer.params {
            if naming == Naming::Keras {
                out.push(Tensor {
                    name: param.name.to_string(),
                    shape: param.shape.to_vec(),
                    param,
                    map: Map::Same,
                });
                continue;
            }
            let nchw = flattened.filter(|_| naming == Naming::Sequential);
            for (name, map) in torch_maps(layer, param, nchw) {
                out.push(Tensor {
                    name: format!("{prefix}{name}"),
                    shape: torch_shape(param, map),
                    param,
                    map,
                });
            }
        }
        if !layer.params.is_empty() {
            flattened = None;
        }
        input = layer.output_shape;
    }
    out
}

/// PyTorch's tensors of one parameter: names within the module and maps.
fn torch_maps(
    layer: &LayerInfo,
    param: &'static ParamInfo,
    nchw: Option<(usize, usize, usize)>,
) -> Vec<(&'static str, Map)> {
    let role = param
        .name
        .strip_prefix(layer.name)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(param.name);
    let names = param.torch_names;
    let first = names.first().copied().unwrap_or(role);
    let units = layer.output_shape.last().copied().unwrap_or(1).max(1);
    let gru = layer.kind == "GRU";
    let maps = match (layer.kind, role, param.shape) {
        ("Dense", "kernel", &[inputs, outputs]) => vec![Map::Linear {
            inputs,
            outputs,
            nchw: nchw.filter(|(h, w, c)| h * w * c == inputs),
        }],
        ("Conv2D", "kernel", &[kh, kw, c, f]) => vec![Map::Conv { kh, kw, c, f }],
        ("LSTM" | "GRU" | "SimpleRNN", "kernel" | "recurrent_kernel", &[n, gu])
            if gu % units == 0 =>
        {
            vec![Map::Gates {
                n,
                units,
                gates: gu / units,
                gru,
            }]
        }
        ("GRU", "bias", &[2, gu]) if gu == 3 * units && names.len() == 2 => vec![
            Map::GruBias { row: 0, units },
            Map::GruBias { row: 1, units },
        ],
        ("LSTM" | "SimpleRNN", "bias", &[_]) if names.len() == 2 => {
            vec![Map::Same, Map::SecondBias]
        }
        _ => return vec![(first, Map::Same)],
    };
    names.iter().copied().zip(maps).collect()
}

/// The shape of the file tensor `map` makes of `param`.
fn torch_shape(param: &ParamInfo, map: Map) -> Vec<usize> {
    match map {
        Map::Same | Map::SecondBias => param.shape.to_vec(),
        Map::Linear {
            inputs, outputs, ..
        } => vec![outputs, inputs],
        Map::Conv { kh, kw, c, f } => vec![f, c, kh, kw],
        Map::Gates {
            n, units, gates, ..
        } => vec![gates * units, n],
        Map::GruBias { units, .. } => vec![3 * units],
    }
}
