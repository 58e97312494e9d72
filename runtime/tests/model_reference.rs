//! Whole models against PyTorch (`model_mlp`, `model_cnn` in `../shared/reference/`): parameters
//! loaded by name from the Keras-layout tensors, then forward, logits, the sparse categorical
//! cross-entropy (fused with the softmax) and every parameter and input gradient, within 1e-5.

mod common;

use common::reference::load_case;
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
}

fn check<M: Model<f32>>(name: &str, input: &str, grad_input: &str) {
    let case = load_case(name);
    let mut model = M::seeded(0);
    for p in M::LAYERS.iter().flat_map(|l| l.params) {
        model.params_mut()[p.offset..p.offset + p.len]
            .copy_from_slice(case.get(&format!("keras.{}", p.name)));
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
