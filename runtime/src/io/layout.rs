//! How a model's parameters become a weight file's tensors, for every naming: the names, the
//! shapes and the element-by-element index mapping. Shared by saving, loading files and reading
//! bytes, and allocation-free (tensors are enumerated by an iterator, names are written through
//! [`core::fmt`]).

use super::Format;
use crate::{LayerInfo, ParamInfo};
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
    /// `3.` in an `nn.Sequential` state_dict.
    Index(usize),
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
            Prefix::Index(i) => write!(f, "{i}.")?,
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
    pub(crate) fn source(self, i: usize) -> usize {
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

    /// The shape of the file tensor this map makes of `param`.
    fn shape(self, param: &ParamInfo) -> Shape {
        match self {
            Map::Same | Map::SecondBias => Shape::new(param.shape),
            Map::Linear {
                inputs, outputs, ..
            } => Shape::new(&[outputs, inputs]),
            Map::Conv { kh, kw, c, f } => Shape::new(&[f, c, kh, kw]),
            Map::Gates {
                n, units, gates, ..
            } => Shape::new(&[gates * units, n]),
            Map::GruBias { units, .. } => Shape::new(&[3 * units]),
        }
    }
}

/// The tensors of a model (input shape `input`, layers `layers`) under `naming`, in parameter
/// order: a parameter's PyTorch tensors are consecutive (`bias_ih_l0` just before `bias_hh_l0`).
pub(crate) fn specs(
    input: &'static [usize],
    layers: &'static [LayerInfo],
    naming: Naming,
) -> impl Iterator<Item = Spec> {
    // The image a `Flatten` flattened, while it has not reached a layer with parameters.
    let flattened: Option<(usize, usize, usize)> = None;
    layers
        .iter()
        .scan((input, flattened), move |(input, flattened), layer| {
            match (layer.kind, *input) {
                ("Flatten", &[h, w, c]) => *flattened = Some((h, w, c)),
                ("Dropout" | "Activation", _) => {}
                _ if layer.params.is_empty() => *flattened = None,
                _ => {}
            }
            let nchw = flattened.filter(|_| naming == Naming::Sequential);
            if !layer.params.is_empty() {
                *flattened = None;
            }
            *input = layer.output_shape;
            Some((layer, nchw))
        })
        .flat_map(move |(layer, nchw)| {
            let prefix = match naming {
                Naming::Sequential => Prefix::Index(layer.torch_index),
                Naming::ByName => Prefix::Layer(layer.name),
                Naming::Keras | Naming::Bare => Prefix::None,
            };
            layer.params.iter().flat_map(move |param| {
                let maps = if naming == Naming::Keras {
                    [Some((param.name, Map::Same)), None]
                } else {
                    torch_maps(layer, param, nchw)
                };
                maps.into_iter().flatten().map(move |(local, map)| Spec {
                    prefix,
                    local,
                    shape: map.shape(param),
                    param,
                    map,
                })
            })
        })
}

/// PyTorch's tensors of one parameter (one or two): names within the module and maps.
fn torch_maps(
    layer: &LayerInfo,
    param: &'static ParamInfo,
    nchw: Option<(usize, usize, usize)>,
) -> [Option<(&'static str, Map)>; 2] {
    let role = param
        .name
        .strip_prefix(layer.name)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(param.name);
    let names = param.torch_names;
    let first = names.first().copied().unwrap_or(role);
    let units = layer.output_shape.last().copied().unwrap_or(1).max(1);
    let gru = layer.kind == "GRU";
    let (a, b) = match (layer.kind, role, param.shape) {
        ("Dense", "kernel", &[inputs, outputs]) => (
            Map::Linear {
                inputs,
                outputs,
                nchw: nchw.filter(|(h, w, c)| h * w * c == inputs),
            },
            None,
        ),
        ("Conv2D", "kernel", &[kh, kw, c, f]) => (Map::Conv { kh, kw, c, f }, None),
        ("LSTM" | "GRU" | "SimpleRNN", "kernel" | "recurrent_kernel", &[n, gu])
            if gu % units == 0 =>
        {
            let gates = gu / units;
            (
                Map::Gates {
                    n,
                    units,
                    gates,
                    gru,
                },
                None,
            )
        }
        ("GRU", "bias", &[2, gu]) if gu == 3 * units && names.len() == 2 => (
            Map::GruBias { row: 0, units },
            Some(Map::GruBias { row: 1, units }),
        ),
        ("LSTM" | "SimpleRNN", "bias", &[_]) if names.len() == 2 => {
            (Map::Same, Some(Map::SecondBias))
        }
        _ => return [Some((first, Map::Same)), None],
    };
    let second = b.and_then(|b| names.get(1).map(|&n| (n, b)));
    [names.first().map(|&n| (n, a)), second]
}
