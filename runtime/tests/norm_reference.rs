//! Normalisation and PReLU against PyTorch (`batchnorm_*`, `layernorm_*`, `prelu_dense` of the
//! reference cases): outputs, every gradient from the reference's `grad.output`, and the moving
//! statistics after a training step, in both conventions (PyTorch's, and Keras' with `_keras`),
//! within 1e-5 (f32). Parameters are set from the Keras-layout tensors (`keras.*`).

mod common;

use common::reference::{load_case, Case};
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    // PyTorch's BatchNorm1d / 2d defaults: eps 1e-5, momentum 0.1 (Keras' 0.9), unbiased update.
    struct BatchNormDense { Input(4), BatchNormalization(convention = pytorch) }
    struct BatchNormDenseKeras { Input(4), BatchNormalization() }
    struct BatchNormImage { Input(4, 3, 2), BatchNormalization(convention = pytorch) }
    struct BatchNormImageKeras { Input(4, 3, 2), BatchNormalization() }
    struct LayerNormDense { Input(5), LayerNormalization() }
    struct LayerNormSequence { Input(4, 3), LayerNormalization(epsilon = 1e-3) }
    struct PReluDense { Input(4), Dense(3, name = "dense"), PReLU(name = "prelu") }
}

/// Copies reference tensor `tensor` into parameter `name` (Keras layout, kiln's own).
fn set<M: Model<f32>>(model: &mut M, case: &Case, name: &str, tensor: &str) {
    let p = param::<M>(name);
    model.params_mut()[p.offset..p.offset + p.len].copy_from_slice(case.get(tensor));
}

fn param<M: Model<f32>>(name: &str) -> &'static kiln::ParamInfo {
    M::LAYERS
        .iter()
        .flat_map(|l| l.params)
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{}: no parameter {name}", M::NAME))
}

/// Runs `case` through `model` in `mode` from `input`, then backward from `grad_output`;
/// checks the output and the input gradient against `output` and `grad_input`.
fn run<M: Model<f32>>(
    model: &M,
    case: &Case,
    mode: Mode,
    [input, output, grad_output, grad_input]: [&str; 4],
) -> M::Workspace {
    let batch = case.shape("input")[0];
    let mut ws = model.workspace(batch);
    let x = case.get(input);
    model.forward(&mut ws, x, batch, mode);
    case.assert_close("output", &ws.output()[..M::OUTPUT_SIZE * batch], output);
    ws.loss_views().output_grad[..M::OUTPUT_SIZE * batch].copy_from_slice(case.get(grad_output));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        grad_input,
    );
    ws
}

fn grad<'a, M: Model<f32>>(ws: &'a M::Workspace, name: &str) -> &'a [f32] {
    let p = param::<M>(name);
    &ws.grads()[p.offset..p.offset + p.len]
}

/// A BatchNormalization case: `pytorch` picks the moving statistics to compare after the
/// training step (`updated.running_*`, else `updated.keras.moving_*`), `image` the NHWC copies.
fn batch_norm<M: Model<f32>>(case: &str, pytorch: bool, image: bool) {
    let case = load_case(case);
    let mut model = M::seeded(0);
    for (p, t) in [
        ("gamma", "keras.gamma"),
        ("beta", "keras.beta"),
        ("moving_mean", "keras.moving_mean"),
        ("moving_variance", "keras.moving_variance"),
    ] {
        set(&mut model, &case, &format!("batch_normalization.{p}"), t);
    }
    let training = case.meta["mode"] == "train";
    let mode = if training { Mode::Train } else { Mode::Infer };
    let names = if image {
        [
            "input_nhwc",
            "output_nhwc",
            "grad.output_nhwc",
            "grad.input_nhwc",
        ]
    } else {
        ["input", "output", "grad.output", "grad.input"]
    };
    let ws = run(&model, &case, mode, names);
    case.assert_close(
        "∂L/∂gamma",
        grad::<M>(&ws, "batch_normalization.gamma"),
        "grad.keras.gamma",
    );
    case.assert_close(
        "∂L/∂beta",
        grad::<M>(&ws, "batch_normalization.beta"),
        "grad.keras.beta",
    );
    if training {
        let batch = case.shape("input")[0];
        model.update_moving_statistics(&ws, batch);
        let (mean, var) = if pytorch {
            ("updated.running_mean", "updated.running_var")
        } else {
            ("updated.keras.moving_mean", "updated.keras.moving_variance")
        };
        let params = model.params();
        let at = |name: &str| {
            let p = param::<M>(name);
            &params[p.offset..p.offset + p.len]
        };
        case.assert_close("moving mean", at("batch_normalization.moving_mean"), mean);
        case.assert_close(
            "moving variance",
            at("batch_normalization.moving_variance"),
            var,
        );
    }
}

#[test]
fn batchnorm_dense_train() {
    batch_norm::<BatchNormDense>("batchnorm_dense_train", true, false);
}

#[test]
fn batchnorm_dense_eval() {
    batch_norm::<BatchNormDense>("batchnorm_dense_eval", true, false);
}

#[test]
fn batchnorm_dense_train_keras() {
    batch_norm::<BatchNormDenseKeras>("batchnorm_dense_train_keras", false, false);
}

#[test]
fn batchnorm_dense_eval_keras() {
    batch_norm::<BatchNormDenseKeras>("batchnorm_dense_eval_keras", false, false);
}

#[test]
fn batchnorm_image_train() {
    batch_norm::<BatchNormImage>("batchnorm_image_train", true, true);
}

#[test]
fn batchnorm_image_eval() {
    batch_norm::<BatchNormImage>("batchnorm_image_eval", true, true);
}

#[test]
fn batchnorm_image_train_keras() {
    batch_norm::<BatchNormImageKeras>("batchnorm_image_train_keras", false, true);
}

#[test]
fn batchnorm_image_eval_keras() {
    batch_norm::<BatchNormImageKeras>("batchnorm_image_eval_keras", false, true);
}

fn layer_norm<M: Model<f32>>(case: &str) {
    let case = load_case(case);
    let mut model = M::seeded(0);
    set(
        &mut model,
        &case,
        "layer_normalization.gamma",
        "keras.gamma",
    );
    set(&mut model, &case, "layer_normalization.beta", "keras.beta");
    let ws = run(
        &model,
        &case,
        Mode::Train,
        ["input", "output", "grad.output", "grad.input"],
    );
    case.assert_close(
        "∂L/∂gamma",
        grad::<M>(&ws, "layer_normalization.gamma"),
        "grad.keras.gamma",
    );
    case.assert_close(
        "∂L/∂beta",
        grad::<M>(&ws, "layer_normalization.beta"),
        "grad.keras.beta",
    );
}

#[test]
fn layernorm_dense() {
    layer_norm::<LayerNormDense>("layernorm_dense");
}

#[test]
fn layernorm_sequence() {
    layer_norm::<LayerNormSequence>("layernorm_sequence");
}

#[test]
fn prelu_dense() {
    let case = load_case("prelu_dense");
    let mut model = PReluDense::seeded(0);
    set(&mut model, &case, "dense.kernel", "keras.dense.kernel");
    set(&mut model, &case, "dense.bias", "keras.dense.bias");
    set(&mut model, &case, "prelu.alpha", "keras.prelu.alpha");
    let ws = run(
        &model,
        &case,
        Mode::Train,
        ["input", "output", "grad.output", "grad.input"],
    );
    type M = PReluDense;
    case.assert_close(
        "∂L/∂kernel",
        grad::<M>(&ws, "dense.kernel"),
        "grad.keras.dense.kernel",
    );
    case.assert_close(
        "∂L/∂bias",
        grad::<M>(&ws, "dense.bias"),
        "grad.keras.dense.bias",
    );
    case.assert_close(
        "∂L/∂alpha",
        grad::<M>(&ws, "prelu.alpha"),
        "grad.keras.prelu.alpha",
    );
}
