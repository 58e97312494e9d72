//! How a model's parameters become a weight file's tensors, for every naming: the names, the
//! shapes and the element-by-element index mapping. Shared by saving, loading files and reading
//! bytes, and allocation-free (tensors are enumerated by an iterator, names are written through
//! [`core::fmt`]).

use super::Format;
use crate::{LayerInfo, ParamInfo, TorchMap, TorchTensor};
use core::fmt;

/// A way of naming a model's tensors: the [`Format`]s, and a bare module's state_dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Naming {
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
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Naming::Sequential => "PyTorch nn.Sequential names (`0.weight`)",
            Naming::ByName => "PyTorch names by layer (`dense.weight`)",
            Naming::Keras => "Keras names (`dense.kernel`)",
            Naming::Bare => "the names of a bare PyTorch module (`weight`)",
        }
    }
}

/// Most dimensions a [`Shape`] keeps (kiln's tensors have at most 4).
const MAX_RANK: usize = 8;

/// A tensor shape, held inline (no allocation). A shape read from a file with more than 8
/// dimensions keeps its rank and its first 8 (it matches no tensor of kiln's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    dims: [usize; MAX_RANK],
    rank: usize,
}

impl Shape {
    /// The shape `dims` (only the first 8 are kept).
    pub(crate) fn new(dims: &[usize]) -> Self {
        let mut out = Shape {
            dims: [0; MAX_RANK],
            rank: 0,
        };
        for &d in dims {
            out.push(d);
        }
        out
    }

    /// Appends a dimension (counted, but not kept beyond the 8th).
    pub(crate) fn push(&mut self, d: usize) {
        if let Some(slot) = self.dims.get_mut(self.rank) {
            *slot = d;
        }
        self.rank += 1;
    }

    /// The number of dimensions.
    pub(crate) fn rank(&self) -> usize {
        self.rank
    }

    /// The dimensions (the first 8 when [`Shape::rank`] is larger).
    pub(crate) fn as_slice(&self) -> &[usize] {
        &self.dims[..self.rank.min(MAX_RANK)]
    }
}

/// What comes before a tensor's name within its module.
#[derive(Clone, Copy, Debug)]
enum Prefix {
    /// Keras names and bare module state_dicts.
    None,
    /// `3.` (or `2.0.` inside a block) in an `nn.Sequential` state_dict.
    Path(&'static str),
    /// `dense.`, keyed by layer name.
    Layer(&'static str),
}

/// One tensor of a file: its name, shape, and where its elements live in a parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    prefix: Prefix,
    /// The name within the module (`weight`), or Keras' full name (`dense.kernel`).
    local: &'static str,
    /// The shape in the file.
    pub shape: Shape,
    pub param: &'static ParamInfo,
    pub map: Map,
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Prefix::None => {}
            Prefix::Path(path) => write!(f, "{path}.")?,
            Prefix::Layer(name) => write!(f, "{name}.")?,
        }
        f.write_str(self.local)
    }
}

impl Spec {
    /// Whether this tensor is called `name` (given as its characters), without allocating.
    pub(crate) fn is_named(&self, name: impl Iterator<Item = char>) -> bool {
        struct Compare<I> {
            rest: I,
            same: bool,
        }
        impl<I: Iterator<Item = char>> fmt::Write for Compare<I> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for c in s.chars() {
                    if self.rest.next() != Some(c) {
                        self.same = false;
                        return Err(fmt::Error);
                    }
                }
                Ok(())
            }
        }
        let mut cmp = Compare {
            rest: name,
            same: true,
        };
        let written = fmt::write(&mut cmp, format_args!("{self}")).is_ok();
        written && cmp.same && cmp.rest.next().is_none()
    }

    /// The number of elements.
    #[cfg(feature = "save")]
    pub(crate) fn len(&self) -> usize {
        self.shape.as_slice().iter().product()
    }
}

/// How a file tensor's elements (row-major) relate to a parameter's (Keras layout, row-major).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Map {
    /// Element `i` is parameter element `i` (Keras names: kiln's own layout).
    Same,
    /// A PyTorch tensor's map, as the layer kind stated it ([`TorchTensor::map`]).
    Torch(TorchMap),
    /// A tensor PyTorch adds to the parameter's first ([`TorchTensor::summed`]): added on load,
    /// zeros on save.
    SecondBias,
    /// A count PyTorch stores as `I64` ([`TorchTensor::counter`]).
    Counter,
}

impl Map {
    /// The parameter element of file element `i` (a bijection on `0..len`, or into one part).
    pub(crate) fn source(self, i: usize) -> usize {
        match self {
            Map::Same | Map::SecondBias | Map::Counter => i,
            Map::Torch(map) => map.source(i),
        }
    }
}

/// The tensors of a model (layers `layers`) under `naming`, in parameter order: a parameter's
/// PyTorch tensors are consecutive (`bias_ih_l0` just before `bias_hh_l0`).
pub(crate) fn specs(
    _input: &'static [usize],
    layers: &'static [LayerInfo],
    naming: Naming,
) -> impl Iterator<Item = Spec> {
    layers.iter().flat_map(move |layer| {
        let prefix = match naming {
            Naming::Sequential => Prefix::Path(layer.torch_prefix),
            Naming::ByName => Prefix::Layer(layer.name),
            Naming::Keras | Naming::Bare => Prefix::None,
        };
        layer.params.iter().flat_map(move |param| {
            let keras = (naming == Naming::Keras).then(|| Spec {
                prefix,
                local: param.name,
                shape: Shape::new(param.shape),
                param,
                map: Map::Same,
            });
            let torch = param
                .torch
                .iter()
                .filter(move |_| naming != Naming::Keras)
                .map(move |tensor| Spec {
                    prefix,
                    local: tensor.name,
                    shape: Shape::new(tensor.shape),
                    param,
                    map: torch_map(tensor, naming),
                });
            keras.into_iter().chain(torch)
        })
    })
}

/// The map of a PyTorch tensor under `naming`.
fn torch_map(tensor: &TorchTensor, naming: Naming) -> Map {
    if tensor.counter {
        return Map::Counter;
    }
    match (tensor.summed, tensor.sequential) {
        (true, _) => Map::SecondBias,
        (false, Some(sequential)) if naming == Naming::Sequential => Map::Torch(sequential),
        (false, _) => Map::Torch(tensor.map),
    }
}
