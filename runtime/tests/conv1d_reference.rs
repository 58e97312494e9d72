//! Conv1D against PyTorch (`tests/reference/conv1d_*`): forward output, ∂kernel, ∂bias and
//! ∂input from the reference's `grad.output`, within 1e-5 (f32), for `valid` (strides 1 and 2,
//! dilation 2), `same` and `causal` (dilation 2) padding, kernels 3 and 5.
//!
//! Tensors are read in their channels-last (`*_nwc`) copies and Keras layout (`keras.kernel` is
//! `[k, in_c, filters]`, kiln's own layout). Each case's PyTorch `weight [filters, in_c, k]` and
//! `bias` are also loaded through `kiln::io`, which must give the Keras kernel.

mod common;

use common::reference::{load_case, Case};
use kiln::{model, GradAt, Mode, Model, Workspace};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

model! {
    struct ValidS1K3 { Input(7, 2), Conv1D(3, 3) }
    struct ValidS1K5 { Input(9, 3), Conv1D(2, 5) }
    struct ValidS2K3 { Input(8, 3), Conv1D(4, 3, strides = 2) }
    struct ValidS2K5 { Input(10, 2), Conv1D(3, (5,), strides = (2,), padding = valid) }
    struct SameS1K3 { Input(6, 3), Conv1D(2, 3, padding = same) }
    struct SameS1K5 { Input(7, 1), Conv1D(4, 5, padding = same) }
    struct CausalD2K3 { Input(8, 2), Conv1D(3, 3, padding = causal, dilation_rate = 2) }
    struct CausalD2K5 { Input(9, 3), Conv1D(2, 5, padding = causal, dilation_rate = 2) }
    struct ValidD2K3 { Input(9, 3), Conv1D(4, 3, dilation_rate = 2) }
    struct ValidD2K5 { Input(11, 2), Conv1D(3, kernel_size = 5, dilation_rate = (2,)) }
}

/// The case's PyTorch `weight` and `bias`, renamed to the layer's `conv1d.*`, loaded into `M`.
fn load_torch_tensors<M: Model<f32>>(case: &Case) -> M {
    let bytes = |name: &str| -> Vec<u8> {
        case.get(name)
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    };
    let (w, b) = (bytes("weight"), bytes("bias"));
    let views = [
        (
            "conv1d.weight",
            TensorView::new(Dtype::F32, case.shape("weight").to_vec(), &w).unwrap(),
        ),
        (
            "conv1d.bias",
            TensorView::new(Dtype::F32, case.shape("bias").to_vec(), &b).unwrap(),
        ),
    ];
    let file = safetensors::tensor::serialize(views, None).unwrap();
    let mut model = M::seeded(0);
    kiln::io::from_bytes_into(&mut model, &file, Path::new("memory")).unwrap();
    model
}

fn check<M: Model<f32>>(name: &str) {
    let case = load_case(name);
    let meta = |key: &str| case.meta[key].clone();
    let input: Vec<usize> = serde_json::from_value(meta("input_shape_tc")).unwrap();
    let output: Vec<usize> = serde_json::from_value(meta("output_shape_tc")).unwrap();
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

    // PyTorch's tensors load as Keras' kernel.
    let model: M = load_torch_tensors(&case);
    let (kernel, bias) = (M::LAYERS[0].params[0], M::LAYERS[0].params[1]);
    let mut worst = case.assert_close(
        "kernel from PyTorch's weight",
        &model.params()[kernel.offset..kernel.offset + kernel.len],
        "keras.kernel",
    );
    worst = worst.max(case.assert_close(
        "bias from PyTorch's bias",
        &model.params()[bias.offset..bias.offset + bias.len],
        "keras.bias",
    ));

    let batch = case.shape("input_nwc")[0];
    let mut ws = model.workspace(batch);
    let x = case.get("input_nwc");
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    worst = worst.max(case.assert_close("output", &ws.output()[..outputs], "output_nwc"));

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get("grad.output_nwc"));
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
        "grad.input_nwc",
    ));
    eprintln!("{name}: max |kiln − PyTorch| = {worst:.1e}");
}

#[test]
fn conv1d_valid_s1_k3() {
    check::<ValidS1K3>("conv1d_valid_s1_k3");
}

#[test]
fn conv1d_valid_s1_k5() {
    check::<ValidS1K5>("conv1d_valid_s1_k5");
}

#[test]
fn conv1d_valid_s2_k3() {
    check::<ValidS2K3>("conv1d_valid_s2_k3");
}

#[test]
fn conv1d_valid_s2_k5() {
    check::<ValidS2K5>("conv1d_valid_s2_k5");
}

#[test]
fn conv1d_same_s1_k3() {
    check::<SameS1K3>("conv1d_same_s1_k3");
}

#[test]
fn conv1d_same_s1_k5() {
    check::<SameS1K5>("conv1d_same_s1_k5");
}

#[test]
fn conv1d_causal_s1_d2_k3() {
    check::<CausalD2K3>("conv1d_causal_s1_d2_k3");
}

#[test]
fn conv1d_causal_s1_d2_k5() {
    check::<CausalD2K5>("conv1d_causal_s1_d2_k5");
}

#[test]
fn conv1d_valid_s1_d2_k3() {
    check::<ValidD2K3>("conv1d_valid_s1_d2_k3");
}

#[test]
fn conv1d_valid_s1_d2_k5() {
    check::<ValidD2K5>("conv1d_valid_s1_d2_k5");
}

#[test]
fn every_conv1d_case_is_tested() {
    let mut cases = common::reference::cases_of_kind("conv1d");
    cases.sort();
    assert_eq!(
        cases,
        [
            "conv1d_causal_s1_d2_k3",
            "conv1d_causal_s1_d2_k5",
            "conv1d_same_s1_k3",
            "conv1d_same_s1_k5",
            "conv1d_valid_s1_d2_k3",
            "conv1d_valid_s1_d2_k5",
            "conv1d_valid_s1_k3",
            "conv1d_valid_s1_k5",
            "conv1d_valid_s2_k3",
            "conv1d_valid_s2_k5",
        ]
    );
}
