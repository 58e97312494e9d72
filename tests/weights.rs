//! Weight files: round trips in every format are exact; PyTorch state_dicts (names, layouts,
//! `nn.Flatten`'s NCHW order, GRU gate order, the two recurrent biases) give the functions
//! PyTorch computes with them; every kind of bad file is a typed error naming the file and
//! tensor — never a panic, whatever the bytes.

use kiln::io::{self, Format, LoadOptions, WeightsError};
use kiln::{model, Mode, Model, Rng, Scalar, Workspace};
use proptest::prelude::*;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::path::Path;

model! {
    struct Net { Input(4), Dense(3, activation = relu), Dropout(0.5), Dense(2, activation = softmax) }
    /// 6×5×2 → 4×4×3 → 2×2×3 → 12 → 4: the `Linear` after `Flatten` (and a `Dropout`) is `5`.
    struct Cnn {
        Input(6, 5, 2),
        Conv2D(3, (3, 2), activation = relu),
        MaxPooling2D(2),
        Flatten(),
        Dropout(0.25),
        Dense(4, activation = softmax),
    }
    /// Conv2d 0, ReLU 1, Flatten 2, Linear 3.
    struct ConvFlat { Input(4, 3, 2), Conv2D(3, 2, activation = relu), Flatten(), Dense(2) }
    /// Conv2d 0, AdaptiveAvgPool2d 1, Flatten 2, Linear 3, Sigmoid 4, Tanh 5, Linear 6.
    struct Pooled {
        Input(6, 6, 2),
        Conv2D(3, 3, padding = same, use_bias = false),
        GlobalAveragePooling2D(),
        Dense(2, activation = sigmoid),
        Activation(tanh),
        Dense(1),
    }
    struct Lstm { Input(5, 3), LSTM(4, return_sequences = true), LSTM(3), Dense(2) }
    struct Gru { Input(5, 3), GRU(4, return_sequences = true), GRU(2), Dense(1) }
    struct Rnn { Input(5, 3), SimpleRNN(4), Dense(1, activation = sigmoid) }
    struct Gru1 { Input(3, 2), GRU(2) }
    struct Lstm1 { Input(3, 2), LSTM(2, name = "encoder") }
}

const FORMATS: [Format; 3] = [Format::Torch, Format::TorchByName, Format::Keras];

fn mem() -> &'static Path {
    Path::new("memory")
}

/// A tensor to write: name, dtype, shape, little-endian bytes.
type Raw<N> = (N, Dtype, Vec<usize>, Vec<u8>);

fn write_tensors<N: AsRef<str>>(path: &Path, tensors: &[Raw<N>]) {
    std::fs::write(path, serialize(tensors)).unwrap();
}

fn serialize<N: AsRef<str>>(tensors: &[Raw<N>]) -> Vec<u8> {
    let views = tensors
        .iter()
        .map(|(n, d, s, b)| (n.as_ref(), TensorView::new(*d, s.clone(), b).unwrap()));
    safetensors::tensor::serialize(views, None).unwrap()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `n` distinct-looking values in [-1, 1], different for each `seed`.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.uniform() * 2.0 - 1.0).collect()
}

/// Names and shapes of a file's tensors, sorted by name.
fn header(bytes: &[u8]) -> Vec<(String, Vec<usize>)> {
    let file = SafeTensors::deserialize(bytes).unwrap();
    let mut out: Vec<_> = file
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    out.sort();
    out
}

fn bits<T: Scalar>(values: &[T]) -> Vec<u64> {
    values.iter().map(|v| v.to_f64().to_bits()).collect()
}

/// A batch forward pass (inference), bit patterns of the output.
fn outputs<T: Scalar, M: Model<T>>(model: &M, batch: usize) -> Vec<u64> {
    let x: Vec<T> = values(M::INPUT_SIZE * batch, 99)
        .into_iter()
        .map(T::of)
        .collect();
    let mut ws = model.workspace(batch);
    model.forward(&mut ws, &x, batch, Mode::Infer);
    bits(&ws.output()[..M::OUTPUT_SIZE * batch])
}

/// Every format round-trips the parameters (negative zeros included) and so the predictions bit
/// for bit, in memory and through a file.
fn round_trip<T: Scalar, M: Model<T>>() {
    let mut model = M::seeded(11);
    for p in M::LAYERS.iter().flat_map(|l| l.params) {
        model.params_mut()[p.offset + p.len - 1] = T::of(-0.0);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    for format in FORMATS {
        let bytes = io::to_bytes_as(&model, format);
        let mut back = M::seeded(12);
        io::from_bytes_into(&mut back, &bytes, mem())
            .unwrap_or_else(|e| panic!("{} {format:?}: {e}", M::NAME));
        assert_eq!(bits(back.params()), bits(model.params()), "{format:?}");
        assert_eq!(outputs(&back, 3), outputs(&model, 3), "{format:?}");

        io::save_as(&model, &path, format).unwrap();
        let back: M = io::load(&path).unwrap();
        assert_eq!(bits(back.params()), bits(model.params()), "{format:?}");
        // The format is honoured when forced, too.
        let forced = LoadOptions {
            format: Some(format),
            ..LoadOptions::default()
        };
        let back: M = io::load_with(&path, forced).unwrap();
        assert_eq!(bits(back.params()), bits(model.params()), "{format:?}");
    }
    io::save(&model, &path).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        io::to_bytes_as(&model, Format::Torch)
    );
    // Saves leave no temporary file behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn every_format_round_trips_bit_for_bit() {
    round_trip::<f32, Net>();
    round_trip::<f64, Net<f64>>();
    round_trip::<f32, Cnn>();
    round_trip::<f64, Cnn<f64>>();
    round_trip::<f32, Pooled>();
    round_trip::<f32, Lstm>();
    round_trip::<f64, Lstm<f64>>();
    round_trip::<f32, Gru>();
    round_trip::<f64, Gru<f64>>();
    round_trip::<f32, Rnn>();
    round_trip::<f64, Rnn<f64>>();
}

fn names(list: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect();
    out.sort();
    out
}

#[test]
fn files_use_pytorch_sequential_names_and_layouts() {
    assert_eq!(
        header(&io::to_bytes(&Net::new(0))),
        names(&[
            ("0.weight", &[3, 4]),
            ("0.bias", &[3]),
            ("3.weight", &[2, 3]),
            ("3.bias", &[2]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes_as(&Net::new(0), Format::TorchByName)),
        names(&[
            ("dense.weight", &[3, 4]),
            ("dense.bias", &[3]),
            ("dense_1.weight", &[2, 3]),
            ("dense_1.bias", &[2]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes_as(&Net::new(0), Format::Keras)),
        names(&[
            ("dense.kernel", &[4, 3]),
            ("dense.bias", &[3]),
            ("dense_1.kernel", &[3, 2]),
            ("dense_1.bias", &[2]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes(&Cnn::new(0))),
        names(&[
            ("0.weight", &[3, 2, 3, 2]),
            ("0.bias", &[3]),
            ("5.weight", &[4, 12]),
            ("5.bias", &[4]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes(&Pooled::new(0))),
        names(&[
            ("0.weight", &[3, 2, 3, 3]),
            ("3.weight", &[2, 3]),
            ("3.bias", &[2]),
            ("6.weight", &[1, 2]),
            ("6.bias", &[1]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes(&Lstm::new(0))),
        names(&[
            ("0.weight_ih_l0", &[16, 3]),
            ("0.weight_hh_l0", &[16, 4]),
            ("0.bias_ih_l0", &[16]),
            ("0.bias_hh_l0", &[16]),
            ("1.weight_ih_l0", &[12, 4]),
            ("1.weight_hh_l0", &[12, 3]),
            ("1.bias_ih_l0", &[12]),
            ("1.bias_hh_l0", &[12]),
            ("2.weight", &[2, 3]),
            ("2.bias", &[2]),
        ])
    );
    assert_eq!(
        header(&io::to_bytes(&Gru::new(0)))[..4],
        names(&[
            ("0.bias_hh_l0", &[12]),
            ("0.bias_ih_l0", &[12]),
            ("0.weight_hh_l0", &[12, 4]),
            ("0.weight_ih_l0", &[12, 3]),
        ])[..]
    );
}

/// The `LayerInfo` / `ParamInfo` the macro generates agree with the files.
#[test]
fn param_infos_describe_the_pytorch_tensors() {
    fn check<M: Model<f32>>() {
        let file = header(&io::to_bytes(&M::seeded(0)));
        let mut listed = Vec::new();
        for layer in M::LAYERS {
            for p in layer.params {
                for tensor in p.torch {
                    listed.push((
                        format!("{}.{}", layer.torch_prefix, tensor.name),
                        tensor.shape.to_vec(),
                    ));
                }
            }
        }
        listed.sort();
        assert_eq!(listed, file, "{}", M::NAME);
    }
    check::<Net>();
    check::<Cnn>();
    check::<Pooled>();
    check::<Lstm>();
    check::<Gru>();
    check::<Rnn>();
    let indices: Vec<&str> = Pooled::<f32>::LAYERS
        .iter()
        .map(|l| l.torch_prefix)
        .collect();
    assert_eq!(indices, ["0", "1", "3", "5", "6"]);
}

/// `ConvFlat` by hand from PyTorch tensors: Conv2d on the NCHW image, ReLU, then the flatten
/// order `nchw` picks (PyTorch's channels-first, or kiln's channels-last), then Linear.
fn conv_flat_by_hand(
    x_nhwc: &[f64],
    conv_w: &[f64],
    conv_b: &[f64],
    lin_w: &[f64],
    lin_b: &[f64],
    nchw: bool,
) -> Vec<f64> {
    let (h, w, c, f, k) = (4, 3, 2, 3, 2);
    let (oh, ow) = (h - k + 1, w - k + 1);
    let mut flat = vec![0.0; oh * ow * f];
    for o in 0..f {
        for y in 0..oh {
            for x in 0..ow {
                let mut s = conv_b[o];
                for ci in 0..c {
                    for ky in 0..k {
                        for kx in 0..k {
                            let pixel = x_nhwc[((y + ky) * w + x + kx) * c + ci];
                            s += conv_w[((o * c + ci) * k + ky) * k + kx] * pixel;
                        }
                    }
                }
                let at = if nchw {
                    (o * oh + y) * ow + x
                } else {
                    (y * ow + x) * f + o
                };
                flat[at] = s.max(0.0);
            }
        }
    }
    (0..2)
        .map(|o| {
            lin_b[o]
                + (0..flat.len())
                    .map(|i| lin_w[o * flat.len() + i] * flat[i])
                    .sum::<f64>()
        })
        .collect()
}

#[test]
fn pytorch_state_dicts_compute_what_pytorch_computes() {
    let (conv_w, conv_b) = (values(3 * 2 * 2 * 2, 1), values(3, 2));
    let (lin_w, lin_b) = (values(2 * 18, 3), values(2, 4));
    let x = values(4 * 3 * 2, 5);
    let sample = <[f64; 24]>::try_from(&x[..]).unwrap();
    let tensors = |conv: &str, linear: &str| {
        vec![
            (
                format!("{conv}.weight"),
                Dtype::F64,
                vec![3, 2, 2, 2],
                f64_bytes(&conv_w),
            ),
            (
                format!("{conv}.bias"),
                Dtype::F64,
                vec![3],
                f64_bytes(&conv_b),
            ),
            (
                format!("{linear}.weight"),
                Dtype::F64,
                vec![2, 18],
                f64_bytes(&lin_w),
            ),
            (
                format!("{linear}.bias"),
                Dtype::F64,
                vec![2],
                f64_bytes(&lin_b),
            ),
        ]
    };
    // `nn.Sequential(Conv2d(2, 3, 2), ReLU(), Flatten(), Linear(18, 2))`: NCHW flatten order.
    let torch = tensors("0", "3");
    let mut model = ConvFlat::<f64>::seeded(0);
    io::from_bytes_into(&mut model, &serialize(&torch), mem()).unwrap();
    let expected = conv_flat_by_hand(&x, &conv_w, &conv_b, &lin_w, &lin_b, true);
    let got = model.predict(&sample);
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
    // Saved back, the tensors are PyTorch's, bit for bit.
    let saved = io::to_bytes(&model);
    let saved = SafeTensors::deserialize(&saved).unwrap();
    for (name, _, shape, bytes) in &torch {
        let tensor = saved.tensor(name).unwrap();
        assert_eq!(
            (tensor.shape(), tensor.data()),
            (&shape[..], &bytes[..]),
            "{name}"
        );
    }

    // By layer name: kiln's NHWC flatten order.
    let by_name = tensors("conv2d", "dense");
    io::from_bytes_into(&mut model, &serialize(&by_name), mem()).unwrap();
    let expected = conv_flat_by_hand(&x, &conv_w, &conv_b, &lin_w, &lin_b, false);
    let got = model.predict(&sample);
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Row `row` of a `[rows, cols]` matrix times `v`.
fn dot(m: &[f64], row: usize, v: &[f64]) -> f64 {
    v.iter()
        .enumerate()
        .map(|(i, x)| m[row * v.len() + i] * x)
        .sum()
}

#[test]
fn gru_gates_follow_pytorch_order() {
    // PyTorch's rows: r (0, 1), z (2, 3), n (4, 5); inputs of 2 features, 2 units, 3 steps.
    let (w_ih, w_hh) = (values(12, 20), values(12, 21));
    let (b_ih, b_hh) = (values(6, 22), values(6, 23));
    let bytes = serialize(&[
        ("0.weight_ih_l0", Dtype::F64, vec![6, 2], f64_bytes(&w_ih)),
        ("0.weight_hh_l0", Dtype::F64, vec![6, 2], f64_bytes(&w_hh)),
        ("0.bias_ih_l0", Dtype::F64, vec![6], f64_bytes(&b_ih)),
        ("0.bias_hh_l0", Dtype::F64, vec![6], f64_bytes(&b_hh)),
    ]);
    let mut model = Gru1::<f64>::seeded(0);
    io::from_bytes_into(&mut model, &bytes, mem()).unwrap();

    // Keras' columns are z, r, h: block k of Keras is block [1, 0, 2][k] of PyTorch.
    let kernel = model.param("gru.kernel").unwrap();
    let recurrent = model.param("gru.recurrent_kernel").unwrap();
    let bias = model.param("gru.bias").unwrap();
    for (keras, torch) in [(0, 1), (1, 0), (2, 2)] {
        for j in 0..2 {
            for i in 0..2 {
                assert_eq!(kernel[i * 6 + keras * 2 + j], w_ih[(torch * 2 + j) * 2 + i]);
                assert_eq!(
                    recurrent[i * 6 + keras * 2 + j],
                    w_hh[(torch * 2 + j) * 2 + i]
                );
            }
            assert_eq!(bias[keras * 2 + j], b_ih[torch * 2 + j]);
            assert_eq!(bias[6 + keras * 2 + j], b_hh[torch * 2 + j]);
        }
    }

    // PyTorch's equations over the PyTorch tensors.
    let x = values(6, 24);
    let mut h = vec![0.0; 2];
    for t in 0..3 {
        let xt = &x[t * 2..t * 2 + 2];
        let gate = |g: usize, j: usize| {
            let row = g * 2 + j;
            (
                dot(&w_ih, row, xt) + b_ih[row],
                dot(&w_hh, row, &h) + b_hh[row],
            )
        };
        let next: Vec<f64> = (0..2)
            .map(|j| {
                let (ri, rh) = gate(0, j);
                let (zi, zh) = gate(1, j);
                let (ni, nh) = gate(2, j);
                let (r, z) = (sigmoid(ri + rh), sigmoid(zi + zh));
                let n = (ni + r * nh).tanh();
                (1.0 - z) * n + z * h[j]
            })
            .collect();
        h = next;
    }
    let got = model.predict(&<[f64; 6]>::try_from(&x[..]).unwrap());
    for (g, e) in got.iter().zip(&h) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {h:?}");
    }
    // kiln → PyTorch gives the same tensors back.
    let back = io::to_bytes(&model);
    let back = SafeTensors::deserialize(&back).unwrap();
    assert_eq!(
        back.tensor("0.weight_ih_l0").unwrap().data(),
        f64_bytes(&w_ih)
    );
    assert_eq!(
        back.tensor("0.bias_hh_l0").unwrap().data(),
        f64_bytes(&b_hh)
    );
}

#[test]
fn lstm_biases_are_summed_on_load_and_split_on_save() {
    let (w_ih, w_hh) = (values(16, 30), values(16, 31));
    let (b_ih, b_hh) = (values(8, 32), values(8, 33));
    let tensors = |prefix: &str| {
        vec![
            (
                format!("{prefix}weight_ih_l0"),
                Dtype::F64,
                vec![8, 2],
                f64_bytes(&w_ih),
            ),
            (
                format!("{prefix}weight_hh_l0"),
                Dtype::F64,
                vec![8, 2],
                f64_bytes(&w_hh),
            ),
            (
                format!("{prefix}bias_ih_l0"),
                Dtype::F64,
                vec![8],
                f64_bytes(&b_ih),
            ),
            (
                format!("{prefix}bias_hh_l0"),
                Dtype::F64,
                vec![8],
                f64_bytes(&b_hh),
            ),
        ]
    };
    // A bare `nn.LSTM(2, 2, batch_first=True).state_dict()`, the layer-name keys and the
    // nn.Sequential keys all load, to the same parameters.
    let mut loaded = Vec::new();
    for prefix in ["", "encoder.", "0."] {
        let mut model = Lstm1::<f64>::seeded(0);
        io::from_bytes_into(&mut model, &serialize(&tensors(prefix)), mem()).unwrap();
        loaded.push(model.params().to_vec());
    }
    assert_eq!(loaded[0], loaded[1]);
    assert_eq!(loaded[0], loaded[2]);
    let mut model = Lstm1::<f64>::seeded(0);
    model.params_mut().copy_from_slice(&loaded[0]);
    let bias = model.param("encoder.bias").unwrap();
    for i in 0..8 {
        assert_eq!(bias[i], b_ih[i] + b_hh[i]);
    }
    // Gates i, f, g, o = Keras' i, f, c, o: a plain transpose.
    let kernel = model.param("encoder.kernel").unwrap();
    assert_eq!(kernel[8 + 5], w_ih[5 * 2 + 1]);
    // Saving writes the sum as `bias_ih_l0` and zeros as `bias_hh_l0`.
    let saved = io::to_bytes(&model);
    let saved = SafeTensors::deserialize(&saved).unwrap();
    let sum: Vec<f64> = (0..8).map(|i| b_ih[i] + b_hh[i]).collect();
    assert_eq!(
        saved.tensor("0.bias_ih_l0").unwrap().data(),
        f64_bytes(&sum)
    );
    assert_eq!(
        saved.tensor("0.bias_hh_l0").unwrap().data(),
        f64_bytes(&[0.0; 8])
    );
}

/// The tensors of a valid Keras-named file for `Net`, to be spoilt one at a time.
fn valid() -> Vec<Raw<&'static str>> {
    vec![
        (
            "dense.kernel",
            Dtype::F32,
            vec![4, 3],
            f32_bytes(&[0.1; 12]),
        ),
        ("dense.bias", Dtype::F32, vec![3], f32_bytes(&[0.0; 3])),
        (
            "dense_1.kernel",
            Dtype::F32,
            vec![3, 2],
            f32_bytes(&[0.2; 6]),
        ),
        ("dense_1.bias", Dtype::F32, vec![2], f32_bytes(&[0.0; 2])),
    ]
}

/// The same as a PyTorch `nn.Sequential` state_dict.
fn valid_torch() -> Vec<Raw<&'static str>> {
    vec![
        ("0.weight", Dtype::F32, vec![3, 4], f32_bytes(&[0.1; 12])),
        ("0.bias", Dtype::F32, vec![3], f32_bytes(&[0.0; 3])),
        ("3.weight", Dtype::F32, vec![2, 3], f32_bytes(&[0.2; 6])),
        ("3.bias", Dtype::F32, vec![2], f32_bytes(&[0.0; 2])),
    ]
}

fn load_err(path: &Path) -> WeightsError {
    let mut net = Net::new(1);
    let before = net.params().to_vec();
    let err = io::load_into(&mut net, path).unwrap_err();
    assert_eq!(
        net.params(),
        &before[..],
        "a failed load must leave the model unchanged"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    err
}

#[test]
fn valid_files_of_both_namings_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    write_tensors(&path, &valid());
    let keras: Net = io::load(&path).unwrap();
    assert_eq!(keras.param("dense_1.kernel").unwrap(), &[0.2; 6]);
    write_tensors(&path, &valid_torch());
    let torch: Net = io::load(&path).unwrap();
    assert_eq!(torch.params(), keras.params());
}

#[test]
fn bad_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");

    let mut tensors = valid();
    tensors.remove(1);
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Missing { ref tensor, .. } if tensor == "dense.bias")
    );

    let mut tensors = valid();
    tensors.push(("dense_2.kernel", Dtype::F32, vec![1], f32_bytes(&[1.0])));
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Unexpected { ref tensor, .. } if tensor == "dense_2.kernel")
    );

    let mut tensors = valid();
    tensors[0] = (
        "dense.kernel",
        Dtype::F32,
        vec![3, 4],
        f32_bytes(&[0.1; 12]),
    );
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(
            err,
            WeightsError::Shape { ref tensor, ref expected, .. } if tensor == "dense.kernel" && expected == &[4, 3]
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("[3, 4]") && err.to_string().contains("[4, 3]"),
        "{err}"
    );

    let mut tensors = valid();
    tensors[3] = ("dense_1.bias", Dtype::F64, vec![2], vec![0; 16]);
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Dtype { ref tensor, .. } if tensor == "dense_1.bias")
    );

    let mut tensors = valid();
    tensors[2].3 = f32_bytes(&[0.2, 0.2, f32::NAN, 0.2, 0.2, 0.2]);
    write_tensors(&path, &tensors);
    assert!(matches!(
        load_err(&path),
        WeightsError::NonFinite { ref tensor, index: 2, .. } if tensor == "dense_1.kernel"
    ));

    write_tensors(&path, &valid());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));

    std::fs::write(&path, b"definitely not a weight file").unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));

    assert!(matches!(
        load_err(&dir.path().join("missing.safetensors")),
        WeightsError::Io { .. }
    ));
    let unwritable = dir.path().join("no/such/folder/net.safetensors");
    assert!(matches!(
        io::save(&Net::new(0), &unwritable),
        Err(WeightsError::Io { .. })
    ));
}

#[test]
fn bad_pytorch_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");

    let mut tensors = valid_torch();
    tensors.remove(3);
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(err, WeightsError::Missing { ref tensor, .. } if tensor == "3.bias"),
        "{err}"
    );
    assert!(err.to_string().contains("nn.Sequential"), "{err}");

    // A state_dict whose indices do not match (a `Linear` without the `ReLU` after it): the
    // message lists the names the model has.
    let mut tensors = valid_torch();
    tensors[2].0 = "1.weight";
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(err, WeightsError::Unexpected { ref tensor, .. } if tensor == "1.weight"),
        "{err}"
    );
    assert!(err.to_string().contains("`3.weight`"), "{err}");

    let mut tensors = valid_torch();
    tensors.push(("5.weight", Dtype::F32, vec![1], f32_bytes(&[1.0])));
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Unexpected { ref tensor, .. } if tensor == "5.weight")
    );
    // ... which `ignore_unexpected` skips.
    let lenient = LoadOptions {
        ignore_unexpected: true,
        ..LoadOptions::default()
    };
    let net: Net = io::load_with(&path, lenient).unwrap();
    assert_eq!(net.param("dense_1.kernel").unwrap(), &[0.2; 6]);

    // A Keras-layout kernel under a PyTorch name.
    let mut tensors = valid_torch();
    tensors[0].2 = vec![4, 3];
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(err, WeightsError::Shape { ref tensor, ref expected, ref found, .. }
            if tensor == "0.weight" && expected == &[3, 4] && found == &[4, 3]),
        "{err}"
    );

    let mut tensors = valid_torch();
    tensors[1] = ("0.bias", Dtype::F16, vec![3], vec![0; 6]);
    write_tensors(&path, &tensors);
    assert!(
        matches!(load_err(&path), WeightsError::Dtype { ref tensor, .. } if tensor == "0.bias")
    );

    let mut tensors = valid_torch();
    tensors[2].3 = f32_bytes(&[0.2, 0.2, 0.2, 0.2, f32::NEG_INFINITY, 0.2]);
    write_tensors(&path, &tensors);
    assert!(matches!(
        load_err(&path),
        WeightsError::NonFinite { ref tensor, index: 4, .. } if tensor == "3.weight"
    ));

    // Two PyTorch biases that are finite but add up to infinity.
    let rnn: Vec<_> = header(&io::to_bytes(&Rnn::new(0)))
        .into_iter()
        .map(|(name, shape)| {
            let n = shape.iter().product();
            let fill = if name.contains("bias_") {
                f32::MAX
            } else {
                0.5
            };
            (name, Dtype::F32, shape, f32_bytes(&vec![fill; n]))
        })
        .collect();
    let err = io::from_bytes_into(&mut Rnn::new(0), &serialize(&rnn), mem()).unwrap_err();
    assert!(
        matches!(err, WeightsError::NonFinite { ref tensor, index: 0, .. } if tensor == "0.bias_ih_l0 + 0.bias_hh_l0"),
        "{err}"
    );

    // Truncated, and a corrupt header.
    write_tensors(&path, &valid_torch());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));
    let mut broken = bytes.clone();
    broken[8] = b'[';
    std::fs::write(&path, &broken).unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &huge).unwrap();
    assert!(matches!(load_err(&path), WeightsError::Corrupt { .. }));

    // Forcing the wrong format.
    write_tensors(&path, &valid_torch());
    let keras = LoadOptions {
        format: Some(Format::Keras),
        ..LoadOptions::default()
    };
    let err = io::load_into_with(&mut Net::new(0), &path, keras).unwrap_err();
    assert!(matches!(err, WeightsError::Unexpected { .. }), "{err}");
}

#[test]
fn mixed_namings_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.safetensors");

    // Mostly nn.Sequential, one Keras tensor.
    let mut tensors = valid_torch();
    tensors[2] = (
        "dense_1.kernel",
        Dtype::F32,
        vec![3, 2],
        f32_bytes(&[0.2; 6]),
    );
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(
        matches!(err, WeightsError::Mixed { ref tensor, .. } if tensor == "dense_1.kernel"),
        "{err}"
    );
    assert!(err.to_string().contains("Keras"), "{err}");

    // Half Keras, half PyTorch by layer name: as much of one as of the other.
    let mut tensors = valid();
    tensors[2] = (
        "dense_1.weight",
        Dtype::F32,
        vec![2, 3],
        f32_bytes(&[0.2; 6]),
    );
    write_tensors(&path, &tensors);
    let err = load_err(&path);
    assert!(matches!(err, WeightsError::Mixed { .. }), "{err}");
}

/// Valid files of several models and formats, for the fuzz tests.
fn samples() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for format in FORMATS {
        out.push(io::to_bytes_as(&Net::new(5), format));
        out.push(io::to_bytes_as(&Cnn::new(5), format));
        out.push(io::to_bytes_as(&Gru::new(5), format));
        out.push(io::to_bytes_as(&Lstm::<f64>::seeded(5), format));
    }
    out
}

/// Loads `bytes` into each fuzzed model; only `Err` or `Ok` may come back.
fn load_any(bytes: &[u8]) {
    let _ = io::from_bytes_into(&mut Net::new(0), bytes, mem());
    let _ = io::from_bytes_into(&mut Cnn::new(0), bytes, mem());
    let _ = io::from_bytes_into(&mut Gru::new(0), bytes, mem());
    let _ = io::from_bytes_into(&mut Lstm::<f64>::seeded(0), bytes, mem());
    let lenient = LoadOptions {
        ignore_unexpected: true,
        ..LoadOptions::default()
    };
    let _ = io::from_bytes_into_with(&mut Lstm::<f64>::seeded(0), bytes, mem(), lenient);
}

#[test]
fn every_truncation_is_an_error() {
    for good in samples() {
        for cut in 0..good.len() {
            assert!(io::from_bytes_into(&mut Net::new(0), &good[..cut], mem()).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        load_any(&bytes);
    }

    #[test]
    fn random_headers_never_panic(header in "\\{[ -~]{0,200}\\}", tail in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(tail);
        load_any(&bytes);
    }

    #[test]
    fn truncated_files_never_panic(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let samples = samples();
        let good = which.get(&samples);
        load_any(&good[..cut.index(good.len())]);
    }

    #[test]
    fn damaged_files_never_panic(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..6),
        in_header in any::<bool>(),
    ) {
        let samples = samples();
        let mut bytes = which.get(&samples).clone();
        // Most damage to the JSON header is caught by its parser; aim there half the time.
        let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let span = if in_header { header_end } else { bytes.len() };
        for (at, bit) in flips {
            bytes[at.index(span)] ^= 1 << bit;
        }
        load_any(&bytes);
    }
}
