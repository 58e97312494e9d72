//! Reading a model's parameters from safetensors bytes in memory, without allocating and without
//! `std`: the path for weights compiled into the binary with `include_bytes!`. The file
//! functions of `std` builds call it too, and turn its [`Fault`] into their own errors.

use super::header::{Corrupt, Entry, Header, JsonStr, WINDOW};
use super::layout::{specs, Map, Naming, Shape, Spec};
use super::LoadOptions;
use crate::{Model, Scalar};
use core::fmt;

/// Bytes a [`TensorName`] holds; longer names are cut (at a character boundary) and marked.
const NAME_CAPACITY: usize = 46;

/// A tensor's name (or a dtype) in a [`ReadError`], held inline so that errors need no
/// allocation: up to 46 bytes; longer names are cut and shown with a trailing `…` (the `std`
/// file functions report them whole).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TensorName {
    bytes: [u8; NAME_CAPACITY],
    len: u8,
    truncated: bool,
}

impl TensorName {
    fn of(value: impl fmt::Display) -> Self {
        let mut name = TensorName {
            bytes: [0; NAME_CAPACITY],
            len: 0,
            truncated: false,
        };
        // Writing into a `TensorName` never fails: what does not fit is dropped and marked.
        let _ = fmt::write(&mut name, format_args!("{value}"));
        name
    }

    /// The name (its first bytes when [`TensorName::is_truncated`]).
    pub fn as_str(&self) -> &str {
        // Only whole characters are ever copied in, so this cannot fail.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Whether the name was longer than 46 bytes and cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Write for TensorName {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let mut buf = [0; 4];
            let c = c.encode_utf8(&mut buf).as_bytes();
            let len = usize::from(self.len);
            match self.bytes.get_mut(len..len + c.len()) {
                Some(slot) if !self.truncated => {
                    slot.copy_from_slice(c);
                    self.len += c.len() as u8;
                }
                _ => self.truncated = true,
            }
        }
        Ok(())
    }
}

impl fmt::Display for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl PartialEq<str> for TensorName {
    fn eq(&self, other: &str) -> bool {
        !self.truncated && self.as_str() == other
    }
}

impl PartialEq<&str> for TensorName {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// Most dimensions a [`Dims`] keeps.
const DIMS: usize = 6;

/// A tensor shape in a [`ReadError`], held inline: up to 6 dimensions of up to `u32::MAX`
/// (a shape beyond that, which no kiln tensor has, is shown cut, with `…`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dims {
    dims: [u32; DIMS],
    rank: u8,
    exact: bool,
}

impl Dims {
    fn of(shape: &Shape) -> Self {
        let mut out = Dims {
            dims: [0; DIMS],
            rank: 0,
            exact: shape.rank() == shape.as_slice().len() && shape.rank() <= DIMS,
        };
        for (slot, &d) in out.dims.iter_mut().zip(shape.as_slice()) {
            *slot = u32::try_from(d).unwrap_or_else(|_| {
                out.exact = false;
                u32::MAX
            });
            out.rank += 1;
        }
        out
    }

    /// The dimensions kept (all of them unless [`Dims::is_exact`] is false).
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.dims[..usize::from(self.rank)]
            .iter()
            .map(|&d| d as usize)
    }

    /// Whether every dimension was kept as it is.
    pub fn is_exact(&self) -> bool {
        self.exact
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        if !self.exact {
            f.write_str(", …")?;
        }
        f.write_str("]")
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why safetensors bytes could not be read into a model's parameters ([`read_params`]). Plain
/// data, no allocation (at most 128 bytes); a failed read leaves the parameters unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ReadError {
    /// The bytes are not a valid safetensors file (truncated, corrupt header, bad offsets).
    Corrupt {
        /// What is wrong.
        reason: &'static str,
        /// The byte of the file where it was found.
        offset: usize,
    },
    /// The parameter buffer given has the wrong length for the model.
    ParamCount {
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The model's parameter count, `M::PARAM_COUNT`.
        expected: usize,
        /// The length of the buffer given.
        found: usize,
    },
    /// A tensor the model needs is absent.
    Missing {
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The missing tensor's name in that naming: `0.weight`, `dense.kernel`, ...
        tensor: TensorName,
        /// The naming the file was read with: "PyTorch nn.Sequential names (`0.weight`)", ...
        naming: &'static str,
    },
    /// The file holds a tensor the model does not have.
    Unexpected {
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The file's tensor that matches none of the model's.
        tensor: TensorName,
        /// The naming the file was read with: "PyTorch nn.Sequential names (`0.weight`)", ...
        naming: &'static str,
    },
    /// The file mixes two namings, or matches two equally well.
    Mixed {
        /// The file's tensor named in the odd naming out (the first such, in name order).
        tensor: TensorName,
        /// The naming most of the file's tensors use, which it was read with.
        naming: &'static str,
        /// The other naming, the one `tensor` fits.
        other: &'static str,
    },
    /// A tensor has the wrong shape.
    Shape {
        /// The tensor's name in the file.
        tensor: TensorName,
        /// The shape the model needs, in the file's layout (PyTorch's `[out, in]`, Keras'
        /// `[in, out]`, ...).
        expected: Dims,
        /// The shape the file gives it.
        found: Dims,
    },
    /// A tensor has the wrong element type.
    Dtype {
        /// The tensor's name in the file.
        tensor: TensorName,
        /// The model's scalar type as a safetensors dtype: `"F32"` or `"F64"`.
        expected: &'static str,
        /// The tensor's dtype in the file: `"F16"`, `"BF16"`, ...
        found: TensorName,
    },
    /// A tensor holds NaN or an infinity (or PyTorch's two recurrent biases add up to one).
    NonFinite {
        /// The tensor's name in the file (`bias_ih_l0 + bias_hh_l0` for a sum of two biases).
        tensor: TensorName,
        /// The element's flat index, in the tensor's row-major order.
        index: usize,
        /// The value: NaN or ±∞.
        value: f64,
    },
    /// A value the tensor cannot hold: a count (BatchNorm's `num_batches_tracked`) that is
    /// negative, fractional or above [`MAX_COUNT`].
    OutOfRange {
        /// The tensor's name in the file.
        tensor: TensorName,
        /// The element's flat index, in the tensor's row-major order.
        index: usize,
        /// The value.
        value: f64,
        /// What the values must be: "a whole count from 0 to 2⁵³", "a variance: 0 or more".
        expected: &'static str,
    },
    /// The header holds more tensors than the model can need ([`max_tensors`]): reading stops
    /// at the first one beyond, so that the work is bounded by the model, not by the file.
    TooManyTensors {
        /// The model's type name ([`Model::NAME`]).
        model: &'static str,
        /// The most tensors a file for this model may hold.
        limit: usize,
        /// The byte of the file where the first tensor beyond the limit starts.
        offset: usize,
    },
}

/// The most tensors a weight file for model `M` may hold: twice the most it has in any
/// naming, plus 64 (room for a file's extra tensors with
/// [`LoadOptions::ignore_unexpected`](super::LoadOptions::ignore_unexpected), and for
/// [`ReadError::Unexpected`] to name the extra tensor of a careless file). A header with more
/// is [`ReadError::TooManyTensors`], found before any other check: every reader's work is
/// bounded by the model (a header of a million entries is rejected after reading the first
/// few).
pub fn max_tensors<T: Scalar, M: Model<T>>() -> usize {
    let namings = [
        Naming::Sequential,
        Naming::ByName,
        Naming::Keras,
        Naming::Bare,
    ];
    let most = namings
        .iter()
        .map(|&naming| specs(M::INPUT_SHAPE, M::LAYERS, naming).count())
        .max()
        .unwrap_or(0);
    2 * most + WINDOW
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Corrupt { reason, offset } => {
                write!(f, "not a valid safetensors file: {reason} (at byte {offset})")
            }
            ReadError::ParamCount {
                model,
                expected,
                found,
            } => write!(
                f,
                "the model `{model}` has {expected} parameters, but the buffer given holds {found}"
            ),
            ReadError::Missing {
                model,
                tensor,
                naming,
            } => write!(
                f,
                "tensor `{tensor}` is missing (the model `{model}` needs it, reading {naming})"
            ),
            ReadError::Unexpected {
                model,
                tensor,
                naming,
            } => write!(
                f,
                "tensor `{tensor}` does not belong to the model `{model}` (reading {naming})"
            ),
            ReadError::Mixed {
                tensor,
                naming,
                other,
            } => write!(
                f,
                "tensor `{tensor}` is named as in {other}, but the file's other tensors are named as in {naming}; a file must use one naming"
            ),
            ReadError::Shape {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{tensor}` has shape {found:?}, but the model expects {expected:?}"
            ),
            ReadError::Dtype {
                tensor,
                expected,
                found,
            } => write!(f, "tensor `{tensor}` is {found}, but the model is {expected}"),
            ReadError::NonFinite {
                tensor,
                index,
                value,
            } => write!(
                f,
                "tensor `{tensor}` holds a non-finite value ({value}) at element {index}"
            ),
            ReadError::OutOfRange {
                tensor,
                index,
                value,
                expected,
            } => write!(
                f,
                "tensor `{tensor}` holds {value} at element {index}, but its values must be {expected}"
            ),
            ReadError::TooManyTensors {
                model,
                limit,
                offset,
            } => write!(
                f,
                "the file holds more than {limit} tensors, more than the model `{model}` can need (the next one starts at byte {offset})"
            ),
        }
    }
}

impl core::error::Error for ReadError {}

/// A tensor named in a [`Fault`]: the model's (with the bias it is added to, for PyTorch's
/// second recurrent bias) or the file's.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Name<'a> {
    Model(Spec),
    Sum(Spec, Spec),
    File(JsonStr<'a>),
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Model(spec) => write!(f, "{spec}"),
            Name::Sum(first, second) => write!(f, "{first} + {second}"),
            Name::File(name) => write!(f, "{name}"),
        }
    }
}

/// Why a read failed, in full (names borrowed from the model and the bytes): [`ReadError`]
/// without `std`, `WeightsError` with it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault<'a> {
    Corrupt(Corrupt),
    ParamCount {
        expected: usize,
        found: usize,
    },
    Missing {
        tensor: Name<'a>,
        naming: Naming,
    },
    Unexpected {
        tensor: Name<'a>,
        naming: Naming,
    },
    Mixed {
        tensor: Name<'a>,
        naming: Naming,
        other: Naming,
    },
    Shape {
        tensor: Name<'a>,
        expected: Shape,
        found: Shape,
    },
    Dtype {
        tensor: Name<'a>,
        found: JsonStr<'a>,
    },
    NonFinite {
        tensor: Name<'a>,
        index: usize,
        value: f64,
    },
    OutOfRange {
        tensor: Name<'a>,
        index: usize,
        value: f64,
        expected: &'static str,
    },
    TooManyTensors {
        limit: usize,
        offset: usize,
    },
}

impl From<Corrupt> for Fault<'_> {
    fn from(c: Corrupt) -> Self {
        Fault::Corrupt(c)
    }
}

impl Fault<'_> {
    fn into_error<T: Scalar, M: Model<T>>(self) -> ReadError {
        let name = TensorName::of;
        match self {
            Fault::Corrupt(Corrupt { reason, offset }) => ReadError::Corrupt { reason, offset },
            Fault::ParamCount { expected, found } => ReadError::ParamCount {
                model: M::NAME,
                expected,
                found,
            },
            Fault::Missing { tensor, naming } => ReadError::Missing {
                model: M::NAME,
                tensor: name(tensor),
                naming: naming.describe(),
            },
            Fault::Unexpected { tensor, naming } => ReadError::Unexpected {
                model: M::NAME,
                tensor: name(tensor),
                naming: naming.describe(),
            },
            Fault::Mixed {
                tensor,
                naming,
                other,
            } => ReadError::Mixed {
                tensor: name(tensor),
                naming: naming.describe(),
                other: other.describe(),
            },
            Fault::Shape {
                tensor,
                expected,
                found,
            } => ReadError::Shape {
                tensor: name(tensor),
                expected: Dims::of(&expected),
                found: Dims::of(&found),
            },
            Fault::Dtype { tensor, found } => ReadError::Dtype {
                tensor: name(tensor),
                expected: T::DTYPE,
                found: TensorName::of(found),
            },
            Fault::NonFinite {
                tensor,
                index,
                value,
            } => ReadError::NonFinite {
                tensor: name(tensor),
                index,
                value,
            },
            Fault::OutOfRange {
                tensor,
                index,
                value,
                expected,
            } => ReadError::OutOfRange {
                tensor: name(tensor),
                index,
                value,
                expected,
            },
            Fault::TooManyTensors { limit, offset } => ReadError::TooManyTensors {
                model: M::NAME,
                limit,
                offset,
            },
        }
    }
}

/// Reads the parameters of model `M` from safetensors bytes (e.g. `include_bytes!`) into
/// `params` (`M::PARAM_COUNT` values: a model's [`Model::params_mut`], or a plain array), in any
/// [`Format`](super::Format), detected from the tensor names. Allocates nothing and needs no
/// `std`; the bytes need no alignment. On error `params` is left unchanged.
///
/// ```
/// kiln::model! { struct Net { Input(3), Dense(2, activation = tanh), Dense(1) } }
///
/// let bytes = kiln::io::to_bytes(&Net::new(7)); // in firmware: include_bytes!("net.safetensors")
/// let mut params = [0.0f32; Net::<f32>::PARAM_COUNT];
/// kiln::io::read_params::<f32, Net>(&bytes, &mut params)?;
/// let x = [1.0, 2.0, 3.0];
/// assert_eq!(Net::predict_with(&params, &x), Net::new(7).predict(&x));
/// # Ok::<(), kiln::io::ReadError>(())
/// ```
pub fn read_params<T: Scalar, M: Model<T>>(
    bytes: &[u8],
    params: &mut [T],
) -> Result<(), ReadError> {
    read_params_with::<T, M>(bytes, params, LoadOptions::default())
}

/// [`read_params`] with options.
pub fn read_params_with<T: Scalar, M: Model<T>>(
    bytes: &[u8],
    params: &mut [T],
    options: LoadOptions,
) -> Result<(), ReadError> {
    read_params_raw::<T, M>(bytes, params, options).map_err(Fault::into_error::<T, M>)
}

/// Reads the parameters of `model` from safetensors bytes, like [`read_params`] (no allocation,
/// no `std`); on error `model` is left unchanged.
pub fn read_into<T: Scalar, M: Model<T>>(model: &mut M, bytes: &[u8]) -> Result<(), ReadError> {
    read_params::<T, M>(bytes, model.params_mut())
}

/// [`read_into`] with options.
pub fn read_into_with<T: Scalar, M: Model<T>>(
    model: &mut M,
    bytes: &[u8],
    options: LoadOptions,
) -> Result<(), ReadError> {
    read_params_with::<T, M>(bytes, model.params_mut(), options)
}

/// A model built from safetensors bytes: its parameter buffer is the one allocation.
pub fn read<T: Scalar, M: Model<T>>(bytes: &[u8]) -> Result<M, ReadError> {
    let mut model = M::seeded(0);
    read_into(&mut model, bytes)?;
    Ok(model)
}

/// The reader itself: [`read_params_with`] with the fault in full.
// `Fault` is large (it holds the tensors' descriptions, no allocation to box them in) but lives
// only until the public functions turn it into a small `ReadError` or a `WeightsError`.
#[allow(clippy::result_large_err)]
pub(crate) fn read_params_raw<'a, T: Scalar, M: Model<T>>(
    bytes: &'a [u8],
    params: &mut [T],
    options: LoadOptions,
) -> Result<(), Fault<'a>> {
    if params.len() != M::PARAM_COUNT {
        return Err(Fault::ParamCount {
            expected: M::PARAM_COUNT,
            found: params.len(),
        });
    }
    within_limit::<T, M>(bytes)?;
    read_header::<T, M>(&Header::parse(bytes)?, params, options)
}

/// [`Fault::TooManyTensors`] if the header holds more than [`max_tensors`]: checked first, by
/// reading no further than the first tensor beyond.
#[allow(clippy::result_large_err)]
pub(crate) fn within_limit<'a, T: Scalar, M: Model<T>>(bytes: &'a [u8]) -> Result<(), Fault<'a>> {
    let limit = max_tensors::<T, M>();
    match Header::beyond(bytes, limit) {
        Some(offset) => Err(Fault::TooManyTensors { limit, offset }),
        None => Ok(()),
    }
}

/// [`read_params_raw`] from a parsed header.
#[allow(clippy::result_large_err)]
pub(crate) fn read_header<'a, T: Scalar, M: Model<T>>(
    header: &Header<'a>,
    params: &mut [T],
    options: LoadOptions,
) -> Result<(), Fault<'a>> {
    if params.len() != M::PARAM_COUNT {
        return Err(Fault::ParamCount {
            expected: M::PARAM_COUNT,
            found: params.len(),
        });
    }
    let header = *header;
    let naming = choose::<T, M>(&header, options)?;
    check::<T, M>(&header, naming)?;
    // Checked: every tensor is present, of the right dtype and shape, and finite.
    for (spec, entry) in pairs::<T, M>(&header, naming) {
        let counter = spec.map == Map::Counter && entry.dtype.is("I64");
        let size = if counter {
            8
        } else {
            core::mem::size_of::<T>()
        };
        for (i, chunk) in entry.data.chunks_exact(size).enumerate() {
            let v = if counter {
                count(chunk)
            } else {
                T::read_le(chunk)
            };
            let Some(slot) = params.get_mut(spec.param.offset + spec.map.source(i)) else {
                continue;
            };
            if spec.map != Map::SecondBias {
                *slot = v;
            } else if v != T::zero() {
                // Adding only non-zeros keeps a saved bias bit for bit (−0 + 0 would be +0).
                *slot += v;
            }
        }
    }
    Ok(())
}

/// The largest count a weight file may hold (BatchNorm's `num_batches_tracked`): 2⁵³, the
/// largest below which every whole number is exact in `f64`, far beyond any training.
pub const MAX_COUNT: u64 = 1 << 53;

/// A count stored as `I64` (8 little-endian bytes) as a scalar (checked by [`check_count`]
/// first).
fn count<T: Scalar>(bytes: &[u8]) -> T {
    T::of(raw_count(bytes) as f64)
}

fn raw_count(bytes: &[u8]) -> i64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(&bytes[..8]);
    i64::from_le_bytes(le)
}

/// Whether a counter's element (`I64`, or the model's dtype) is a whole count from 0 to
/// [`MAX_COUNT`].
fn check_count<T: Scalar>(chunk: &[u8], int: bool) -> Result<(), f64> {
    if int {
        let raw = raw_count(chunk);
        return match u64::try_from(raw) {
            Ok(n) if n <= MAX_COUNT => Ok(()),
            _ => Err(raw as f64),
        };
    }
    let v = T::read_le(chunk).to_f64();
    let whole = (0.0..=MAX_COUNT as f64).contains(&v) && (v as u64) as f64 == v;
    if whole {
        Ok(())
    } else {
        Err(v)
    }
}

/// Whether a file tensor called `name` belongs to `M` under `naming`.
fn belongs<T: Scalar, M: Model<T>>(naming: Naming, name: JsonStr<'_>) -> bool {
    specs(M::INPUT_SHAPE, M::LAYERS, naming).any(|s| s.is_named(name.chars()))
}

/// The entry that comes first in name order among `entries`.
fn first_by_name<'a>(entries: impl Iterator<Item = Entry<'a>>) -> Option<Entry<'a>> {
    entries.min_by(|a, b| a.name.chars().cmp(b.name.chars()))
}

/// The naming the file uses: the one most of its tensor names belong to. A tie between
/// different sets of names, or a name of another naming, is [`Fault::Mixed`]; a name of no
/// naming is [`Fault::Unexpected`] unless `options.ignore_unexpected`. Errors name the
/// first offending tensor in name order.
// `Fault` is large (it holds the tensors' descriptions, no allocation to box them in) but lives
// only until the public functions turn it into a small `ReadError` or a `WeightsError`.
#[allow(clippy::result_large_err)]
fn choose<'a, T: Scalar, M: Model<T>>(
    header: &Header<'a>,
    options: LoadOptions,
) -> Result<Naming, Fault<'a>> {
    let all = [
        Naming::Sequential,
        Naming::ByName,
        Naming::Keras,
        Naming::Bare,
    ];
    let one_layer = M::LAYERS.iter().filter(|l| !l.params.is_empty()).count() == 1;
    let forced = options.format.map(Naming::from);
    let candidates = match forced {
        Some(ref naming) => core::slice::from_ref(naming),
        None if one_layer => &all[..],
        None => &all[..3],
    };
    let mut counts = [0usize; 4];
    for (count, &naming) in counts.iter_mut().zip(candidates) {
        *count = header
            .entries()
            .filter(|e| belongs::<T, M>(naming, e.name))
            .count();
    }
    let counts = &counts[..candidates.len()];
    let most = counts.iter().copied().max().unwrap_or(0);
    let best_index = counts.iter().position(|&c| c == most).unwrap_or(0);
    let best = candidates[best_index];
    let mixed = |tensor: Entry<'a>, other: Naming| Fault::Mixed {
        tensor: Name::File(tensor.name),
        naming: best,
        other,
    };
    if most > 0 {
        for (&other, &count) in candidates.iter().zip(counts) {
            if count != most || other == best {
                continue;
            }
            let only_other =
                |e: &Entry<'_>| belongs::<T, M>(other, e.name) && !belongs::<T, M>(best, e.name);
            if header
                .entries()
                .any(|e| belongs::<T, M>(best, e.name) != belongs::<T, M>(other, e.name))
            {
                let tensor = first_by_name(header.entries().filter(only_other)).or_else(|| {
                    first_by_name(header.entries().filter(|e| belongs::<T, M>(other, e.name)))
                });
                if let Some(tensor) = tensor {
                    return Err(mixed(tensor, other));
                }
            }
        }
    }
    let other_naming = |e: &Entry<'_>| {
        candidates
            .iter()
            .copied()
            .find(|&n| n != best && belongs::<T, M>(n, e.name))
    };
    let offending = first_by_name(header.entries().filter(|e| {
        !belongs::<T, M>(best, e.name) && (!options.ignore_unexpected || other_naming(e).is_some())
    }));
    if let Some(tensor) = offending {
        return Err(match other_naming(&tensor) {
            Some(other) => mixed(tensor, other),
            None => Fault::Unexpected {
                tensor: Name::File(tensor.name),
                naming: best,
            },
        });
    }
    Ok(best)
}

/// Each tensor the model needs under `naming`, with its entry in the file (when present).
fn pairs<'h, T: Scalar, M: Model<T>>(
    header: &'h Header<'_>,
    naming: Naming,
) -> impl Iterator<Item = (Spec, Entry<'h>)> + 'h {
    specs(M::INPUT_SHAPE, M::LAYERS, naming).filter_map(move |spec| {
        let entry = header.entries().find(|e| spec.is_named(e.name.chars()))?;
        Some((spec, entry))
    })
}

/// Every tensor the model needs is present, of the model's dtype and shape, and finite (as is
/// the sum of PyTorch's two recurrent biases).
// `Fault` is large (it holds the tensors' descriptions, no allocation to box them in) but lives
// only until the public functions turn it into a small `ReadError` or a `WeightsError`.
#[allow(clippy::result_large_err)]
fn check<'a, T: Scalar, M: Model<T>>(header: &Header<'a>, naming: Naming) -> Result<(), Fault<'a>> {
    let size = core::mem::size_of::<T>();
    let mut previous: Option<(Spec, Entry<'_>)> = None;
    for spec in specs(M::INPUT_SHAPE, M::LAYERS, naming) {
        let tensor = Name::Model(spec);
        let Some(entry) = header.entries().find(|e| spec.is_named(e.name.chars())) else {
            return Err(Fault::Missing { tensor, naming });
        };
        let counter = spec.map == Map::Counter && entry.dtype.is("I64");
        if !entry.dtype.is(T::DTYPE) && !counter {
            return Err(Fault::Dtype {
                tensor,
                found: entry.dtype,
            });
        }
        if entry.shape != spec.shape {
            return Err(Fault::Shape {
                tensor,
                expected: spec.shape,
                found: entry.shape,
            });
        }
        // The header checked the byte count of every F32 and F64 tensor against its shape.
        // The tensor `bias_hh_l0` is added to (the one just before it).
        let first = previous
            .filter(|(p, _)| spec.map == Map::SecondBias && core::ptr::eq(p.param, spec.param));
        let chunk_size = if counter { 8 } else { size };
        for (i, chunk) in entry.data.chunks_exact(chunk_size).enumerate() {
            let v = if counter {
                count(chunk)
            } else {
                T::read_le(chunk)
            };
            if !v.is_finite() {
                return Err(Fault::NonFinite {
                    tensor,
                    index: i,
                    value: v.to_f64(),
                });
            }
            // A count in every naming (Keras' files keep it in the model's dtype).
            if spec.param.torch.iter().any(|t| t.counter) {
                check_count::<T>(chunk, counter).map_err(|value| Fault::OutOfRange {
                    tensor,
                    index: i,
                    value,
                    expected: "a whole count from 0 to 2⁵³",
                })?;
            }
            if spec.param.non_negative && v < T::zero() {
                return Err(Fault::OutOfRange {
                    tensor,
                    index: i,
                    value: v.to_f64(),
                    expected: "a variance: 0 or more",
                });
            }
            if let Some((first_spec, first_entry)) = first {
                let Some(a) = first_entry.data.get(i * size..(i + 1) * size) else {
                    continue;
                };
                let sum = T::read_le(a) + v;
                if v != T::zero() && !sum.is_finite() {
                    return Err(Fault::NonFinite {
                        tensor: Name::Sum(first_spec, spec),
                        index: i,
                        value: sum.to_f64(),
                    });
                }
            }
        }
        previous = Some((spec, entry));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_small_plain_data() {
        // Clippy's `result_large_err` limit: users return `Result<_, ReadError>` freely.
        assert!(core::mem::size_of::<ReadError>() <= 128);
    }

    #[test]
    fn names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(40);
        let name = TensorName::of(&long);
        assert!(name.is_truncated());
        assert_eq!(name.as_str(), "é".repeat(23));
        assert_eq!(name.to_string(), format!("{}…", "é".repeat(23)));
        assert!(name != long.as_str());
        assert!(TensorName::of("0.weight") == "0.weight");
    }

    #[test]
    fn dims_show_what_they_cannot_hold() {
        let dims = Dims::of(&Shape::new(&[1, 2, 3, 4, 5, 6, 7]));
        assert!(!dims.is_exact());
        assert_eq!(format!("{dims}"), "[1, 2, 3, 4, 5, 6, …]");
        let dims = Dims::of(&Shape::new(&[3, usize::MAX]));
        assert_eq!(format!("{dims:?}"), format!("[3, {}, …]", u32::MAX));
        assert_eq!(
            Dims::of(&Shape::new(&[4, 3])).iter().collect::<Vec<_>>(),
            [4, 3]
        );
    }
}
