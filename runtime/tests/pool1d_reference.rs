//! 1-D pooling against PyTorch (`tests/reference/{maxpool1d,avgpool1d}_*`,
//! `global_avgpool1d`): forward output and `∂L/∂input` from the reference's output gradient, in
//! the channels-last (`*_nwc`) tensors, within 1e-5 (f32).
//!
//! The pools are 2 wide, stride 2, `valid`; the `_odd` cases drop a trailing step, which must get
//! a zero gradient. The global average gives each step `∂L/∂y / t`.

mod common;

use common::reference::load_case;
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct Max8x2 { Input(8, 2), MaxPooling1D(2) }
    struct Max7x3 { Input(7, 3), MaxPool1D(pool_size = 2, strides = 2, padding = valid) }
    struct Avg6x2 { Input(6, 2), AveragePooling1D(2) }
    struct Avg9x1 { Input(9, 1), AvgPool1D((2,), None, valid) }
    struct Global5x3 { Input(5, 3), GlobalAveragePooling1D() }
}

fn check<M: Model<f32>>(
    name: &str,
    input: &str,
    output: &str,
    grad_output: &str,
    grad_input: &str,
) {
    let case = load_case(name);
    let shape = case.shape(input);
    assert_eq!(&shape[1..], M::INPUT_SHAPE, "{name}: input shape");
    let batch = shape[0];
    let model = M::seeded(0);
    let mut ws = model.workspace(batch);
    let x = case.get(input);
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    let mut worst = case.assert_close("output", &ws.output()[..outputs], output);

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get(grad_output));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    worst = worst.max(case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        grad_input,
    ));
    eprintln!("{name}: max |kiln − PyTorch| = {worst:.1e}");
}

fn check_nwc<M: Model<f32>>(name: &str) {
    check::<M>(
        name,
        "input_nwc",
        "output_nwc",
        "grad.output_nwc",
        "grad.input_nwc",
    );
}

#[test]
fn maxpool1d_2() {
    check_nwc::<Max8x2>("maxpool1d_2");
}

#[test]
fn maxpool1d_2_odd() {
    check_nwc::<Max7x3>("maxpool1d_2_odd");
}

#[test]
fn avgpool1d_2() {
    check_nwc::<Avg6x2>("avgpool1d_2");
}

#[test]
fn avgpool1d_2_odd() {
    check_nwc::<Avg9x1>("avgpool1d_2_odd");
}

#[test]
fn global_avgpool1d() {
    // The pooled output `[batch, c]` is the same in both layouts.
    check::<Global5x3>(
        "global_avgpool1d",
        "input_nwc",
        "output",
        "grad.output",
        "grad.input_nwc",
    );
}

#[test]
fn every_1d_pool_case_is_tested() {
    let mut cases: Vec<String> = ["maxpool1d", "avgpool1d", "global_avgpool1d"]
        .iter()
        .flat_map(|kind| common::reference::cases_of_kind(kind))
        .collect();
    cases.sort();
    assert_eq!(
        cases,
        [
            "avgpool1d_2",
            "avgpool1d_2_odd",
            "global_avgpool1d",
            "maxpool1d_2",
            "maxpool1d_2_odd"
        ]
    );
}
