//! Conv2D against PyTorch (`tests/reference/conv2d_*`): forward output, ∂kernel, ∂bias and
//! ∂input from the reference's `grad.output`, within 1e-5 (f32), for `valid` and `same` padding,
//! strides 1 and 2, kernels 3×3 and 5×5.
//!
//! Tensors are read in their channels-last (`*_nhwc`) copies and Keras layout
//! (`keras.kernel` is `[kh, kw, in_c, out_c]`, kiln's own layout).

mod common;

use common::reference::load_case;
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct ValidS1K3 { Input(7, 6, 1), Conv2D(2, 3) }
    struct ValidS1K5 { Input(8, 7, 3), Conv2D(2, 5) }
    struct ValidS2K3 { Input(7, 7, 3), Conv2D(3, 3, strides = 2) }
    struct ValidS2K5 { Input(9, 8, 1), Conv2D(3, (5, 5), strides = (2, 2), padding = valid) }
    struct SameS1K3 { Input(6, 5, 3), Conv2D(4, 3, padding = same) }
    struct SameS1K5 { Input(6, 6, 1), Conv2D(4, 5, padding = same) }
    struct SameS2K3 { Input(6, 6, 1), Conv2D(2, 3, strides = 2, padding = same) }
    struct SameS2K5 { Input(8, 7, 3), Conv2D(4, 5, strides = 2, padding = same) }
}

fn check<M: Model<f32>>(name: &str) {
    let case = load_case(name);
    // The model's declared geometry is the case's.
    let meta = |key: &str| case.meta[key].clone();
    let input: Vec<usize> = serde_json::from_value(meta("input_shape_hwc")).unwrap();
    let output: Vec<usize> = serde_json::from_value(meta("output_shape_hwc")).unwrap();
    assert_eq!(M::INPUT_SHAPE, &input[..], "{name}: input shape");
    assert_eq!(
        M::LAYERS[0].output_shape,
        &output[..],
        "{name}: output shape"
    );
    assert_eq!(
        M::LAYERS[0].params[0].shape,
        case.shape("keras.kernel"),
        "{name}: kernel shape"
    );

    let batch = case.shape("input_nhwc")[0];
    let mut model = M::seeded(0);
    let kernel = M::LAYERS[0].params[0];
    let bias = M::LAYERS[0].params[1];
    model.params_mut()[kernel.offset..kernel.offset + kernel.len]
        .copy_from_slice(case.get("keras.kernel"));
    model.params_mut()[bias.offset..bias.offset + bias.len].copy_from_slice(case.get("keras.bias"));

    let mut ws = model.workspace(batch);
    let x = case.get("input_nhwc");
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    let mut worst = case.assert_close("output", &ws.output()[..outputs], "output_nhwc");

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get("grad.output_nhwc"));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    let grads = ws.grads();
    worst = worst.max(case.assert_close(
        "∂L/∂kernel",
        &grads[kernel.offset..kernel.offset + kernel.len],
        "grad.keras.kernel",
    ));
    worst = worst.max(case.assert_close(
        "∂L/∂bias",
        &grads[bias.offset..bias.offset + bias.len],
        "grad.keras.bias",
    ));
    worst = worst.max(case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        "grad.input_nhwc",
    ));
    eprintln!("{name}: max |kiln − PyTorch| = {worst:.1e}");
}

#[test]
fn conv2d_valid_s1_k3() {
    check::<ValidS1K3>("conv2d_valid_s1_k3");
}

#[test]
fn conv2d_valid_s1_k5() {
    check::<ValidS1K5>("conv2d_valid_s1_k5");
}

#[test]
fn conv2d_valid_s2_k3() {
    check::<ValidS2K3>("conv2d_valid_s2_k3");
}

#[test]
fn conv2d_valid_s2_k5() {
    check::<ValidS2K5>("conv2d_valid_s2_k5");
}

#[test]
fn conv2d_same_s1_k3() {
    check::<SameS1K3>("conv2d_same_s1_k3");
}

#[test]
fn conv2d_same_s1_k5() {
    check::<SameS1K5>("conv2d_same_s1_k5");
}

#[test]
fn conv2d_same_s2_k3() {
    check::<SameS2K3>("conv2d_same_s2_k3");
}

#[test]
fn conv2d_same_s2_k5() {
    check::<SameS2K5>("conv2d_same_s2_k5");
}

#[test]
fn every_conv2d_case_is_tested() {
    let mut cases = common::reference::cases_of_kind("conv2d");
    cases.sort();
    assert_eq!(
        cases,
        [
            "conv2d_same_s1_k3",
            "conv2d_same_s1_k5",
            "conv2d_same_s2_k3",
            "conv2d_same_s2_k5",
            "conv2d_valid_s1_k3",
            "conv2d_valid_s1_k5",
            "conv2d_valid_s2_k3",
            "conv2d_valid_s2_k5",
        ]
    );
}
