//! State dicts saved by PyTorch itself (`safetensors.torch.save_file(model.state_dict())`, made by
//! `tests/fixtures/pytorch/make.py` with PyTorch 2.15) load through `kiln::io::load` and compute
//! what PyTorch computed, within 1e-5: a Conv2d → ReLU → MaxPool2d → Flatten → Linear stack (NCHW
//! flattening in PyTorch), stacked LSTM and GRU, an RNN with a Linear on every step, an LSTM's last
//! state, a residual CNN with BatchNorm2d in eval mode (running statistics, `num_batches_tracked`
//! as I64) and blocks nested as `3.0.weight` / `5.shortcut.weight`. The test also writes kiln's own files of the same models to `target/tmp/pytorch`, which
//! `python tests/fixtures/pytorch/make.py --check` loads into PyTorch with `strict=True`.

use kiln::io;
use kiln::{model, Mode, Model, Workspace};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::path::{Path, PathBuf};

model! {
    struct Cnn {
        Input(8, 8, 2),
        Conv2D(4, 3, activation = relu),
        MaxPooling2D(2),
        Flatten(),
        Dense(5, activation = tanh),
        Dense(3),
    }
    struct Recurrent { Input(6, 3), LSTM(5, return_sequences = true), GRU(4), Dense(2) }
    struct Tagger { Input(6, 3), SimpleRNN(4, return_sequences = true), Dense(2) }
    struct LstmLast { Input(5, 2), LSTM(3), Dense(1) }
    /// BatchNorm2d in eval mode with its running statistics, residual blocks with and without a
    /// projection shortcut (PyTorch names `3.0.weight`, `5.shortcut.weight`).
    struct Resnet {
        Input(8, 8, 2),
        Conv2D(4, 3, padding = same, use_bias = false), BatchNormalization(convention = pytorch), Activation(relu),
        Residual {
            Conv2D(4, 3, padding = same), BatchNormalization(convention = pytorch), Activation(relu),
            Conv2D(4, 3, padding = same),
        },
        Activation(relu),
        Residual(shortcut = Conv2D(6, 1, strides = 2)) { Conv2D(6, 2, strides = 2), BatchNormalization(convention = pytorch) },
        Flatten(),
        Dense(3, activation = softmax),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pytorch")
        .join(name)
}

/// A float32 tensor of a file: its shape and its values, row-major.
fn tensor(bytes: &[u8], name: &str) -> (Vec<usize>, Vec<f32>) {
    let file = SafeTensors::deserialize(bytes).expect("a safetensors file");
    let view = file.tensor(name).expect("the tensor is there");
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    (view.shape().to_vec(), values)
}

/// Loads PyTorch's state dict, runs kiln's batched forward on PyTorch's input, compares with
/// PyTorch's output, then saves kiln's file and outputs for the reverse check.
fn pytorch_state_dict_computes_the_same<M: Model<f32>>(name: &str) {
    let model: M =
        io::load(fixture(&format!("{name}.safetensors"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    let io_bytes = std::fs::read(fixture(&format!("{name}.io.safetensors"))).unwrap();
    let (shape, x) = tensor(&io_bytes, "input");
    let (_, expected) = tensor(&io_bytes, "output");
    let n = shape[0];
    assert_eq!(x.len(), n * M::INPUT_SIZE, "{name}: input layout");
    let mut ws = model.workspace(n);
    model.forward(&mut ws, &x, n, Mode::Infer);
    let output = &ws.output()[..n * M::OUTPUT_SIZE];
    assert_eq!(output.len(), expected.len(), "{name}: output size");
    let worst = output
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "{name}: kiln and PyTorch differ by {worst}");
    eprintln!("{name}: max |kiln - PyTorch| = {worst:.2e}");

    // The reverse direction, for `make.py --check`: kiln's own file and what kiln computes.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/pytorch");
    std::fs::create_dir_all(&dir).unwrap();
    let fresh = M::seeded(11);
    io::save(&fresh, dir.join(format!("{name}.safetensors"))).unwrap();
    fresh.forward(&mut ws, &x, n, Mode::Infer);
    let mut y_shape = vec![n];
    y_shape.extend(M::LAYERS.last().unwrap().output_shape);
    let to_bytes = |v: &[f32]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
    let (xb, yb) = (to_bytes(&x), to_bytes(&ws.output()[..n * M::OUTPUT_SIZE]));
    let view = |shape, bytes| TensorView::new(Dtype::F32, shape, bytes).unwrap();
    let views = [("input", view(shape, &xb)), ("output", view(y_shape, &yb))];
    let path = dir.join(format!("{name}.io.safetensors"));
    safetensors::tensor::serialize_to_file(views, None, &path).unwrap();
}

#[test]
fn a_pytorch_cnn_with_nchw_flatten_loads_and_agrees() {
    pytorch_state_dict_computes_the_same::<Cnn>("cnn");
}

#[test]
fn pytorch_lstm_and_gru_stacks_load_and_agree() {
    pytorch_state_dict_computes_the_same::<Recurrent>("recurrent");
}

#[test]
fn a_pytorch_rnn_with_a_linear_on_every_step_loads_and_agrees() {
    pytorch_state_dict_computes_the_same::<Tagger>("tagger");
}

#[test]
fn a_pytorch_residual_cnn_with_batch_norm_loads_and_agrees() {
    pytorch_state_dict_computes_the_same::<Resnet>("resnet");
    // PyTorch counted 5 training batches in each BatchNorm2d (an I64 scalar).
    let model: Resnet = io::load(fixture("resnet.safetensors")).unwrap();
    let counted = model.param("batch_normalization_1.num_batches_tracked");
    assert_eq!(counted, Some(&[5.0f32][..]));
}

#[test]
fn a_pytorch_lstm_last_state_loads_and_agrees() {
    pytorch_state_dict_computes_the_same::<LstmLast>("lstm_last");
}
