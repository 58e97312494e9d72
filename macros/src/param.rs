//! Parameter tensors as a layer kind declares them: Keras' name, shape (kiln's memory layout)
//! and initialiser, and the PyTorch tensors they are in a state_dict with the index map between
//! the two layouts. Weight files read these facts from the generated `LAYERS` table.

/// How a parameter tensor starts out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Glorot (Xavier) uniform: U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))), Keras' default.
    GlorotUniform {
        fan_in: usize,
        fan_out: usize,
    },
    Zeros,
    Ones,
    /// Keras' `Orthogonal` for a `[rows, cols]` matrix (recurrent kernels).
    Orthogonal {
        rows: usize,
        cols: usize,
    },
    /// Keras' LSTM `unit_forget_bias`: zeros, and ones for the forget gate's `units` values.
    UnitForgetBias {
        units: usize,
    },
}

/// One parameter tensor of a layer.
#[derive(Clone, Debug)]
pub struct Param {
    /// Keras' name within the layer: `kernel`, `bias`.
    pub name: &'static str,
    /// Keras' shape (`kernel` of Dense is `[in, out]`), which is also kiln's memory layout.
    pub shape: Vec<usize>,
    pub init: Init,
    /// The PyTorch tensors holding it within the layer's module (one, or two for a bias PyTorch
    /// splits), in state_dict order.
    pub torch: Vec<TorchTensor>,
    /// Whether optimizers update it. Non-trainable parameters (BatchNormalization's moving
    /// statistics) are stored after every trainable one, and only the training step moves them.
    pub trainable: bool,
    /// Whether every value must be `≥ 0` (a variance): weight files with a negative value in it
    /// are rejected.
    pub non_negative: bool,
    /// Offset in the model's flat parameter buffer, filled in after shape inference.
    pub offset: usize,
}

impl Param {
    /// A parameter held in PyTorch's tensors `torch`.
    pub fn new(name: &'static str, shape: Vec<usize>, init: Init, torch: Vec<TorchTensor>) -> Self {
        Param {
            name,
            shape,
            init,
            torch,
            trainable: true,
            non_negative: false,
            offset: 0,
        }
    }

    /// The same parameter, kept out of the optimizers' reach.
    pub fn non_trainable(self) -> Self {
        Param {
            trainable: false,
            ..self
        }
    }

    /// The same parameter, whose values must not be negative (a variance).
    pub fn non_negative(self) -> Self {
        Param {
            non_negative: true,
            ..self
        }
    }

    /// A parameter PyTorch keeps in the same layout under the name `torch_name`.
    pub fn same_in_torch(
        name: &'static str,
        shape: Vec<usize>,
        init: Init,
        torch_name: &'static str,
    ) -> Self {
        let len = shape.iter().product();
        let torch = TorchTensor::new(torch_name, shape.clone(), TorchMap::identity(len));
        Param::new(name, shape, init, vec![torch])
    }

    /// A Glorot-uniform `kernel` of Keras shape `shape`, PyTorch's `weight` as `torch_kernel`,
    /// and, with `use_bias`, a zero `bias` of `outputs` values: the parameters of Dense and
    /// Conv2D.
    pub fn kernel_and_bias(
        shape: Vec<usize>,
        torch_kernel: TorchTensor,
        (fan_in, fan_out): (usize, usize),
        outputs: usize,
        use_bias: bool,
    ) -> Vec<Param> {
        let glorot = Init::GlorotUniform { fan_in, fan_out };
        let kernel = Param::new("kernel", shape, glorot, vec![torch_kernel]);
        let bias = Param::same_in_torch("bias", vec![outputs], Init::Zeros, "bias");
        if use_bias {
            vec![kernel, bias]
        } else {
            vec![kernel]
        }
    }

    /// A normalisation's `gamma` (ones, PyTorch's `weight`) with `scale`, and `beta` (zeros,
    /// `bias`) with `center`, of `features` values each.
    pub fn scale_and_shift(features: usize, scale: bool, center: bool) -> Vec<Param> {
        let gamma = Param::same_in_torch("gamma", vec![features], Init::Ones, "weight");
        let beta = Param::same_in_torch("beta", vec![features], Init::Zeros, "bias");
        [(scale, gamma), (center, beta)]
            .into_iter()
            .filter_map(|(keep, p)| keep.then_some(p))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
}

/// One tensor of a PyTorch state_dict (runtime `kiln::TorchTensor`).
#[derive(Clone, Debug)]
pub struct TorchTensor {
    /// Within the module: `weight`, `bias_ih_l0`.
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub map: TorchMap,
    /// The map in an `nn.Sequential` state_dict, where it differs (after a channels-first
    /// `nn.Flatten`).
    pub sequential: Option<TorchMap>,
    /// PyTorch's second tensor of a sum Keras keeps as one parameter: added on load.
    pub summed: bool,
    /// A count PyTorch keeps as an `I64` (BatchNorm's `num_batches_tracked`).
    pub counter: bool,
}

impl TorchTensor {
    pub fn new(name: &'static str, shape: Vec<usize>, map: TorchMap) -> Self {
        TorchTensor {
            name,
            shape,
            map,
            sequential: None,
            summed: false,
            counter: false,
        }
    }

    /// A count PyTorch keeps as an integer scalar (`num_batches_tracked`).
    pub fn counter(name: &'static str) -> Self {
        TorchTensor {
            counter: true,
            ..TorchTensor::new(name, vec![], TorchMap::identity(1))
        }
    }

    /// A tensor PyTorch adds to the parameter's first one (LSTM's `bias_hh_l0`).
    pub fn summed(name: &'static str, shape: Vec<usize>) -> Self {
        let len = shape.iter().product();
        TorchTensor {
            summed: true,
            ..TorchTensor::new(name, shape, TorchMap::identity(len))
        }
    }

    /// The same tensor with another map in an `nn.Sequential` state_dict.
    pub fn in_sequential(self, map: Option<TorchMap>) -> Self {
        TorchTensor {
            sequential: map,
            ..self
        }
    }
}

/// The index map from a PyTorch tensor to a parameter (runtime `kiln::TorchMap`): the
/// parameter's elements from `offset` on, viewed as `view`, read along `axes`, with the blocks
/// of one view axis reordered.
#[derive(Clone, Debug)]
pub struct TorchMap {
    pub offset: usize,
    pub view: Vec<usize>,
    pub axes: Vec<usize>,
    pub blocks: Option<(usize, Vec<usize>)>,
}

impl TorchMap {
    /// Element `i` is parameter element `i`.
    pub fn identity(len: usize) -> Self {
        TorchMap::permuted(vec![len], vec![0])
    }

    /// The parameter viewed as `view`, its axes read in the order `axes` (a transpose is
    /// `permuted(vec![rows, cols], vec![1, 0])`).
    pub fn permuted(view: Vec<usize>, axes: Vec<usize>) -> Self {
        debug_assert_eq!(view.len(), axes.len());
        TorchMap {
            offset: 0,
            view,
            axes,
            blocks: None,
        }
    }

    /// The blocks along view axis `axis` taken in the order `order`.
    pub fn reorder_blocks(self, axis: usize, order: Vec<usize>) -> Self {
        TorchMap {
            blocks: Some((axis, order)),
            ..self
        }
    }

    /// Starting at parameter element `offset` (one row of a parameter).
    pub fn at(self, offset: usize) -> Self {
        TorchMap { offset, ..self }
    }
}
