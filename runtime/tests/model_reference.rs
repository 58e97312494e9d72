//! Whole models against PyTorch (`model_mlp`, `model_cnn`, `model_residual_mlp`,
//! `model_residual_cnn` in `tests/reference/`): parameters
//! loaded from the reference files' PyTorch tensors by `kiln::io` (keyed by layer name:
//! `dense1.weight`, `conv.weight`), then forward, logits, the sparse categorical cross-entropy
//! (fused with the softmax) and every parameter and input gradient, within 1e-5. The same
//! tensors renamed and reordered as a genuine `nn.Sequential` state_dict (`0.weight`, NCHW
//! flatten order) give the same outputs.

mod common;

use common::reference::{load_case, reference_dir};
use kiln::io::{self, LoadOptions};
use kiln::losses::{Loss, SparseCategoricalCrossentropy};
use kiln::{model, Mode, Model, Workspace};

model! {
    /// 6 → Dense 8 relu → Dense 4 softmax.
    struct Mlp { Input(6), Dense(8, activation = relu, name = "dense1"), Dense(4, activation = softmax, name = "dense2") }
    /// 8×8×1 → Conv2D 4 3×3 valid relu → MaxPool 2 → Flatten → Dense 3 softmax.
    struct Cnn {
        Input(8, 8, 1),
        Conv2D(4, 3, activation = relu, name = "conv"),
        MaxPooling2D(2, name = "pool"),
        Flatten(),
        Dense(3, activation = softmax, name = "dense"),
    }
    /// 5 → Residual { Dense 5 relu → Dense 5 } → relu → Dense 4 softmax.
    struct ResidualMlp {
        Input(5),
        Residual { Dense(5, activation = relu, name = "dense1"), Dense(5, name = "dense2") },
        Activation(relu),
        Dense(4, activation = softmax, name = "dense3"),
    }
    /// 6×5×3 → Residual { Conv2D 3 3×3 same relu → Conv2D 3 3×3 same } → relu →
    /// GlobalAveragePooling2D → Dense 4 softmax.
    struct ResidualCnn {
        Input(6, 5, 3),
        Residual {
            Conv2D(3, 3, padding = same, activation = relu, name = "conv1"),
            Conv2D(3, 3, padding = same, name = "conv2"),
        },
        Activation(relu),
        GlobalAveragePooling2D(),
        Dense(4, activation = softmax, name = "dense"),
    }
}

/// The case's file read by `kiln::io`, which skips its inputs, outputs and gradients.
fn load_model<M: Model<f32>>(name: &str) -> M {
    let path = reference_dir().join(format!("{name}.safetensors"));
    let options = LoadOptions {
        ignore_unexpected: true,
        ..LoadOptions::default()
    };
    io::load_with(&path, options).unwrap_or_else(|e| panic!("{e}"))
}

fn check<M: Model<f32>>(name: &str, input: &str, grad_input: &str) {
    let case = load_case(name);
    let model: M = load_model(name);
    for p in M::LAYERS.iter().flat_map(|l| l.params) {
        let keras = case.get(&format!("keras.{}", p.name));
        assert_eq!(
            &model.params()[p.offset..p.offset + p.len],
            keras,
            "{}",
            p.name
        );
    }
    let x = case.get(input);
    let batch = x.len() / M::INPUT_SIZE;
    let labels: Vec<u32> = case.get("target_index").iter().map(|&c| c as u32).collect();
    let mut ws = model.workspace(batch);
    model.forward(&mut ws, x, batch, Mode::Train);
    let out = M::OUTPUT_SIZE * batch;
    case.assert_close("output", &ws.output()[..out], "output");
    case.assert_close("logits", &ws.loss_views().logits[..out], "logits");

    let views = ws.loss_views();
    let (loss, at) = SparseCategoricalCrossentropy::default().loss_and_grad(
        M::OUTPUT_ACTIVATION,
        views.logits,
        views.output,
        &labels,
        M::OUTPUT_SIZE,
        batch,
        views.output_grad,
    );
    case.assert_close("loss", &[loss], "loss");
    model.backward(&mut ws, x, batch, at, true);
    for p in M::LAYERS.iter().flat_map(|l| l.params) {
        let grad = &ws.grads()[p.offset..p.offset + p.len];
        case.assert_close(p.name, grad, &format!("grad.keras.{}", p.name));
    }
    case.assert_close("∂L/∂input", &ws.input_grad()[..x.len()], grad_input);
}

#[test]
fn model_mlp() {
    check::<Mlp>("model_mlp", "input", "grad.input");
}

#[test]
fn model_cnn() {
    check::<Cnn>("model_cnn", "input_nhwc", "grad.input_nhwc");
}

#[test]
fn model_residual_mlp() {
    check::<ResidualMlp>("model_residual_mlp", "input", "grad.input");
}

#[test]
fn model_residual_cnn() {
    check::<ResidualCnn>("model_residual_cnn", "input_nhwc", "grad.input_nhwc");
}

/// The reference parameters as the `nn.Sequential` PyTorch would build (`Conv2d` 0, `ReLU` 1,
/// `MaxPool2d` 2, `Flatten` 3, `Linear` 4): `nn.Flatten` is channels-first, so the `Linear`'s
/// columns move from the reference's NHWC order to NCHW, and `kiln::io` moves them back.
#[test]
fn model_cnn_as_a_sequential_state_dict() {
    let case = load_case("model_cnn");
    let (h, w, c) = (3, 3, 4);
    let nhwc = case.get("dense.weight");
    let mut nchw = vec![0.0f32; nhwc.len()];
    for o in 0..3 {
        for ch in 0..c {
            for pixel in 0..h * w {
                nchw[o * 36 + ch * h * w + pixel] = nhwc[o * 36 + pixel * c + ch];
            }
        }
    }
    let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let tensors = [
        ("0.weight", vec![4, 1, 3, 3], bytes(case.get("conv.weight"))),
        ("0.bias", vec![4], bytes(case.get("conv.bias"))),
        ("4.weight", vec![3, 36], bytes(&nchw)),
        ("4.bias", vec![3], bytes(case.get("dense.bias"))),
    ];
    let views = tensors.iter().map(|(n, s, b)| {
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b);
        (*n, view.unwrap())
    });
    let file = safetensors::tensor::serialize(views, None).unwrap();
    let mut model = Cnn::new(0);
    io::from_bytes_into(&mut model, &file, std::path::Path::new("sequential")).unwrap();
    assert_eq!(model.params(), load_model::<Cnn>("model_cnn").params());
    let x = case.get("input_nhwc");
    let mut ws = model.workspace(3);
    model.forward(&mut ws, x, 3, Mode::Infer);
    case.assert_close("output", &ws.output()[..9], "output");
}
