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
//! | `Conv1D(f, k, activation = a)` | `Conv1d`, then `a` unless linear | `weight [f, c, k]`, `bias [f]` | `kernel [k, c, f]`, axes reversed |
//! | `LSTM(u)` | `LSTM(batch_first=True)` | `weight_ih_l0 [4u, in]`, `weight_hh_l0 [4u, u]`, `bias_ih_l0 [4u]`, `bias_hh_l0 [4u]` | `kernel`, `recurrent_kernel` transposed (gates i, f, g, o = Keras i, f, c, o); `bias` = `bias_ih_l0 + bias_hh_l0` |
//! | `SimpleRNN(u)` | `RNN(batch_first=True)` | as LSTM with `u` rows | as LSTM |
//! | `GRU(u)` | `GRU(batch_first=True)` | as LSTM with `3u` rows | transposed, gate blocks Keras z, r, h ↔ PyTorch r, z, n; `bias [2, 3u]` rows = `bias_ih_l0`, `bias_hh_l0` |
//! | `BatchNormalization` | `BatchNorm1d` / `BatchNorm2d` | `weight`, `bias`, `running_mean`, `running_var` `[c]`, `num_batches_tracked` (`I64`) | `gamma`, `beta`, `moving_mean`, `moving_variance`, `num_batches_tracked`, same layout |
//! | `LayerNormalization` | `LayerNorm` | `weight`, `bias` `[f]` | `gamma`, `beta` |
//! | `PReLU` | `PReLU(num_parameters = c)` | `weight [c]` | `alpha` |
//! | `Residual(shortcut = S) { … }` | one module: the block's layers as an `nn.Sequential`, `S` as `shortcut` | `2.0.weight`, `2.shortcut.weight` | — |
//! | `Bidirectional(cell(u))` | the cell with `bidirectional=True` | the cell's tensors, then `weight_ih_l0_reverse`, ... | `forward.*`, `backward.*`, each as the cell's |
//! | `Embedding(n, d)` | `Embedding` | `weight [n, d]` | `embeddings [n, d]`, the same |
//! | `Flatten`, `Dropout`, `Activation`, `MaxPooling2D`, `AveragePooling2D` | one module each | — | — |
//! | `GlobalMaxPooling2D`, `GlobalAveragePooling2D` | `AdaptiveMaxPool2d(1)` / `AdaptiveAvgPool2d(1)`, `Flatten` | — | — |
//! | `MaxPooling1D`, `AveragePooling1D` | `MaxPool1d`, `AvgPool1d` | — | — |
//! | `GlobalMaxPooling1D`, `GlobalAveragePooling1D` | `AdaptiveMaxPool1d(1)` / `AdaptiveAvgPool1d(1)`, `Flatten` | — | — |
//!
//! - **Names.** [`Format::Torch`] numbers the modules as `nn.Sequential` does ([`LayerInfo::torch_prefix`](crate::LayerInfo::torch_prefix)):
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
//! **Without allocation or `std`.** [`read_params`] (and [`read_into`], [`read`]) read the same
//! files from bytes in memory, e.g. weights compiled into the binary with `include_bytes!`: a
//! zero-copy safetensors reader that copies each tensor straight into the model's parameter
//! buffer (or any `[T]` of `PARAM_COUNT` values) with the mapping above, allocating nothing, and
//! reports [`ReadError`]s that are plain data. The bytes need no alignment. The file functions
//! ([`load`], ...) need the `std` feature and call the same reader; writing ([`save`],
//! [`to_bytes`], ...) needs the `save` feature (on by default).
//!
//! Saving is atomic and safe against other writers: the bytes go to a temporary file created
//! exclusively (`O_EXCL`, an unpredictable name) in the same folder, synced, then renamed over
//! the target, so an interrupted save never leaves a half-written file under the final name,
//! concurrent saves to one path each rename a whole file, and a symlink planted where the
//! temporary file would go is never written through. The temporary file is locked (`flock`)
//! while it is written, and temporary files left by killed processes are removed by the next
//! save to the same path: those nobody holds locked, whatever PID namespace their writer ran
//! in. A temporary name that would pass 255 bytes is shortened (a hash of the target's name),
//! so every valid file name saves. [`checkpoint`] holds the training
//! checkpoints, which go through the same reader, writer and save. Loading checks every tensor's name,
//! dtype, shape and values and reports the first problem ([`WeightsError`]) with the file and
//! tensor at fault: missing and unexpected tensors, tensors of different formats mixed in one
//! file, wrong shapes (expected and found), wrong dtypes, non-finite values, truncated or corrupt
//! bytes, and what the safetensors format forbids: two tensors of one name, overlapping or
//! out-of-range `data_offsets`, bytes no tensor covers (gaps, trailing bytes), a key twice in a tensor's entry, and more tensors
//! than the model can need ([`max_tensors`], which bounds every read by the model). A path that
//! is not a regular file (a FIFO, a device) is refused before it is opened, unless
//! [`LoadOptions::allow_non_regular`] says otherwise. It never panics on malformed bytes, and a failed load leaves the model unchanged.
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

mod header;
mod layout;
mod read;

#[cfg(feature = "train")]
pub mod checkpoint;
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "save")]
pub(crate) mod write;

#[cfg(feature = "train")]
pub use checkpoint::{CheckpointError, CheckpointInfo};
#[cfg(feature = "std")]
pub use file::{
    from_bytes_into, from_bytes_into_with, load, load_into, load_into_with, load_with, WeightsError,
};
#[cfg(feature = "save")]
pub use file::{save, save_as, to_bytes, to_bytes_as};
pub use read::{
    max_tensors, read, read_into, read_into_with, read_params, read_params_with, Dims, ReadError,
    TensorName, MAX_COUNT,
};

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

/// How [`read_params_with`] and, with `std`, `load_with`, `load_into_with` and
/// `from_bytes_into_with` read a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Read the file in this format only; `None` (the default) detects it from the names.
    pub format: Option<Format>,
    /// Skip tensors that belong to no naming of the model (PyTorch's `strict=False`, for
    /// unexpected tensors only: missing tensors are still errors).
    pub ignore_unexpected: bool,
    /// Read a path that is not a regular file: a FIFO, a character device, a socket (`std`
    /// only). Off by default, which makes such a path a `WeightsError::NotAFile` before it is
    /// opened, since reading one can block until a writer comes, or never end. With it on,
    /// `load_with` reads the path to its end, as `std::fs::read` does.
    pub allow_non_regular: bool,
}
