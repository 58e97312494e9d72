//! Dense layers and activations against PyTorch (`tests/reference/dense_*`): forward,
//! pre-activation, and every gradient from the reference's `grad.output`, within 1e-5 (f32).
//!
//! Each case is `Dense 4→3 + activation`, batch 3, MSE against a target; parameters are loaded
//! from the Keras-layout tensors (`keras.kernel` is `[in, out]`, kiln's own layout).

mod common;

use common::reference::load_case;
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct Linear { Input(4), Dense(3) }
    struct Relu { Input(4), Dense(3, activation = relu) }
    struct Sigmoid { Input(4), Dense(3, activation = sigmoid) }
    struct Tanh { Input(4), Dense(3, activation = tanh) }
    struct Softmax { Input(4), Dense(3, activation = softmax) }
    // The reference uses PyTorch's default slope, 0.01 (Keras' LeakyReLU defaults to 0.3).
    struct LeakyRelu { Input(4), Dense(3, activation = leaky_relu(alpha = 0.01)) }
    struct Elu { Input(4), Dense(3, activation = elu(alpha = 1.0)) }
}

fn check<M: Model<f32>>(case: &str) {
    let case = load_case(case);
    let batch = case.shape("input")[0];
    let mut model = M::seeded(0);
    let kernel = M::LAYERS[0].params[0];
    let bias = M::LAYERS[0].params[1];
    model.params_mut()[kernel.offset..kernel.offset + kernel.len]
        .copy_from_slice(case.get("keras.kernel"));
    model.params_mut()[bias.offset..bias.offset + bias.len].copy_from_slice(case.get("keras.bias"));

    let mut ws = model.workspace(batch);
    let x = case.get("input");
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    case.assert_close("output", &ws.output()[..outputs], "output");
    case.assert_close(
        "pre-activation",
        &ws.loss_views().logits[..outputs],
        "preactivation",
    );

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get("grad.output"));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    let grads = ws.grads();
    case.assert_close(
        "∂L/∂kernel",
        &grads[kernel.offset..kernel.offset + kernel.len],
        "grad.keras.kernel",
    );
    case.assert_close(
        "∂L/∂bias",
        &grads[bias.offset..bias.offset + bias.len],
        "grad.keras.bias",
    );
    case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        "grad.input",
    );
}

#[test]
fn dense_linear() {
    check::<Linear>("dense_linear");
}

#[test]
fn dense_relu() {
    check::<Relu>("dense_relu");
}

#[test]
fn dense_sigmoid() {
    check::<Sigmoid>("dense_sigmoid");
}

#[test]
fn dense_tanh() {
    check::<Tanh>("dense_tanh");
}

#[test]
fn dense_softmax() {
    check::<Softmax>("dense_softmax");
}

#[test]
fn dense_leaky_relu() {
    check::<LeakyRelu>("dense_leaky_relu");
}

#[test]
fn dense_elu() {
    check::<Elu>("dense_elu");
}
