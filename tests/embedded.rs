//! Weights from bytes with no allocation (`kiln::io::read_params`, the reader behind
//! `include_bytes!` and no_std builds): a file `kiln::io` saved, in every format, reads back
//! into identical parameters and predictions, through a model or a plain array run with
//! `predict_with` / `step_with`; reading allocates nothing, even when it fails; bad bytes are
//! plain-data `ReadError`s, never panics, and leave the parameters unchanged.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::io::{self, Format, LoadOptions, ReadError};
use kiln::{model, Model, Rng, Scalar};
use proptest::prelude::*;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

model! {
    /// The main job's MLP.
    struct Mlp { Input(784), Dense(64, activation = relu), Dense(64, activation = relu), Dense(10, activation = softmax) }
    /// Flatten NCHW → NHWC column reordering on the `Linear` after it.
    struct Cnn {
        Input(6, 5, 2),
        Conv2D(3, (3, 2), activation = relu),
        MaxPooling2D(2),
        Flatten(),
        Dropout(0.25),
        Dense(4, activation = softmax),
    }
    /// Two LSTM biases summed, streaming.
    struct Lstm { Input(5, 3), LSTM(4, return_sequences = true), LSTM(3), Dense(2) }
    /// GRU gate order and its `[2, 3u]` bias.
    struct Gru { Input(5, 3), GRU(4, return_sequences = true), GRU(2), Dense(1) }
    struct Rnn { Input(5, 3), SimpleRNN(4), Dense(1, activation = sigmoid) }
    /// The same tensor names as `Rnn`, two input features instead of three.
    struct Rnn2 { Input(5, 2), SimpleRNN(4), Dense(1, activation = sigmoid) }
}

const FORMATS: [Format; 3] = [Format::Torch, Format::TorchByName, Format::Keras];

fn bits<T: Scalar>(values: &[T]) -> Vec<u64> {
    values.iter().map(|v| v.to_f64().to_bits()).collect()
}

/// A model with every parameter distinct, and a negative zero at the end of each tensor.
fn distinct<T: Scalar, M: Model<T>>() -> M {
    let mut model = M::seeded(21);
    for p in M::LAYERS.iter().flat_map(|l| l.params) {
        model.params_mut()[p.offset + p.len - 1] = T::of(-0.0);
    }
    model
}

/// Saved in every format, read back into a fresh model with zero allocations: the same bits.
fn reads_back<T: Scalar, M: Model<T>>() {
    let model: M = distinct();
    for format in FORMATS {
        let bytes = io::to_bytes_as(&model, format);
        let mut back = M::seeded(22);
        let mut result = Ok(());
        let n = allocations(|| result = io::read_into(&mut back, &bytes));
        result.unwrap_or_else(|e| panic!("{} {format:?}: {e}", M::NAME));
        assert_eq!(n, 0, "{} {format:?}: reading allocated", M::NAME);
        assert_eq!(
            bits(back.params()),
            bits(model.params()),
            "{} {format:?}",
            M::NAME
        );

        // A file on disk reads the same way (std's loader calls the same reader).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        io::save_as(&model, &path, format).unwrap();
        let from_disk = std::fs::read(&path).unwrap();
        let mut again = M::seeded(23);
        assert_eq!(
            allocations(|| io::read_into(&mut again, &from_disk).unwrap()),
            0
        );
        assert_eq!(bits(again.params()), bits(model.params()));
    }
}

#[test]
fn saved_files_read_back_bit_for_bit_without_allocating() {
    reads_back::<f32, Mlp>();
    reads_back::<f64, Mlp<f64>>();
    reads_back::<f32, Cnn>();
    reads_back::<f32, Lstm>();
    reads_back::<f64, Lstm<f64>>();
    reads_back::<f32, Gru>();
    reads_back::<f32, Rnn>();
}

#[test]
fn a_plain_array_runs_predict_and_step_without_a_model() {
    let mlp: Mlp = distinct();
    let bytes = io::to_bytes(&mlp);
    let mut params = vec![0.0f32; Mlp::<f32>::PARAM_COUNT];
    let params: &mut [f32; Mlp::<f32>::PARAM_COUNT] = params.as_mut_slice().try_into().unwrap();
    let mut rng = Rng::new(5);
    let x: [f32; 784] = std::array::from_fn(|_| rng.uniform() as f32);
    let mut out = None;
    let n = allocations(|| {
        io::read_params::<f32, Mlp>(&bytes, params).unwrap();
        out = Some(Mlp::predict_with(params, &x));
    });
    assert_eq!(n, 0);
    assert_eq!(out.unwrap(), mlp.predict(&x));

    let lstm: Lstm = distinct();
    let bytes = io::to_bytes(&lstm);
    let mut params = [0.0f32; Lstm::<f32>::PARAM_COUNT];
    let (mut state, mut reference) = (LstmState::default(), LstmState::default());
    let n = allocations(|| {
        io::read_params::<f32, Lstm>(&bytes, &mut params).unwrap();
        for t in 0..7 {
            let step = [t as f32 * 0.1, -0.3, 0.5];
            let got = Lstm::step_with(&params, &mut state, &step);
            assert_eq!(got, lstm.step(&mut reference, &step));
        }
    });
    assert_eq!(n, 0);
    let window: [f32; 15] = std::array::from_fn(|i| i as f32 / 15.0 - 0.5);
    assert_eq!(Lstm::predict_with(&params, &window), lstm.predict(&window));
}

#[test]
fn the_read_model_is_the_saved_one() {
    let mlp: Mlp = distinct();
    let back: Mlp = io::read(&io::to_bytes(&mlp)).unwrap();
    assert_eq!(bits(back.params()), bits(mlp.params()));
}

#[test]
fn errors_are_typed_and_leave_the_parameters_alone() {
    let good = io::to_bytes(&Rnn::new(1));
    let mut params = [1.5f32; Rnn::<f32>::PARAM_COUNT];
    let mut read = |bytes: &[u8]| {
        let mut result = Ok(());
        let n = allocations(|| result = io::read_params::<f32, Rnn>(bytes, &mut params));
        assert_eq!(n, 0, "a failing read allocated");
        result.unwrap_err()
    };
    assert!(matches!(
        read(&good[..5]),
        ReadError::Corrupt { offset: 0, .. }
    ));
    assert!(matches!(
        read(&good[..good.len() - 1]),
        ReadError::Corrupt { .. }
    ));
    // Another model's file: its tensors are of the wrong shape.
    let err = read(&io::to_bytes(&Rnn2::new(1)));
    assert!(
        matches!(err, ReadError::Shape { ref tensor, .. } if *tensor == "0.weight_ih_l0"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "tensor `0.weight_ih_l0` has shape [4, 2], but the model expects [4, 3]"
    );
    // A file of f64 values for an f32 model.
    let err = read(&io::to_bytes(&Rnn::<f64>::seeded(1)));
    assert!(
        matches!(err, ReadError::Dtype { expected: "F32", ref found, .. } if *found == "F64"),
        "{err}"
    );
    // The Keras names of another model: unexpected.
    let err = read(&io::to_bytes_as(&Mlp::new(1), Format::Keras));
    assert!(
        matches!(err, ReadError::Unexpected { model: "Rnn", ref tensor, .. } if *tensor == "dense_1.bias"),
        "{err}"
    );
    assert!(
        params.iter().all(|&p| p == 1.5),
        "a failed read changed the parameters"
    );
    // The wrong buffer for the model.
    let mut short = [0.0f32; 3];
    assert_eq!(
        io::read_params::<f32, Rnn>(&good, &mut short),
        Err(ReadError::ParamCount {
            model: "Rnn",
            expected: Rnn::<f32>::PARAM_COUNT,
            found: 3
        })
    );
}

/// Valid files of several models and formats, for the fuzz tests.
fn samples() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for format in FORMATS {
        out.push(io::to_bytes_as(&Cnn::new(5), format));
        out.push(io::to_bytes_as(&Gru::new(5), format));
        out.push(io::to_bytes_as(&Lstm::new(5), format));
    }
    out
}

/// Reads `bytes` into each fuzzed model's plain array: `Ok`, or an `Err` that left the array
/// alone; never a panic, never an allocation.
fn read_any(bytes: &[u8]) {
    fn one<M: Model<f32>>(bytes: &[u8], options: LoadOptions) {
        let mut params = vec![0.25f32; M::PARAM_COUNT];
        let mut result = Ok(());
        let n =
            allocations(|| result = io::read_params_with::<f32, M>(bytes, &mut params, options));
        assert_eq!(n, 0);
        if let Err(e) = result {
            assert!(params.iter().all(|&p| p == 0.25), "{e}");
            let _ = e.to_string();
        }
    }
    let lenient = LoadOptions {
        ignore_unexpected: true,
        ..LoadOptions::default()
    };
    for options in [LoadOptions::default(), lenient] {
        one::<Cnn>(bytes, options);
        one::<Gru>(bytes, options);
        one::<Lstm>(bytes, options);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        read_any(&bytes);
    }

    #[test]
    fn random_headers_never_panic(header in "\\{[ -~]{0,200}\\}", tail in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(tail);
        read_any(&bytes);
    }

    #[test]
    fn truncated_and_damaged_files_never_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 0..6),
        in_header in any::<bool>(),
    ) {
        let samples = samples();
        let mut bytes = which.get(&samples).clone();
        let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let span = if in_header { header_end } else { bytes.len() };
        for (at, bit) in flips {
            bytes[at.index(span)] ^= 1 << bit;
        }
        let keep = bytes.len() - cut.index(bytes.len() / 4 + 1);
        read_any(&bytes[..keep]);
    }
}
