//! Pooling and `Flatten` against PyTorch (`tests/reference/{maxpool2d,avgpool2d}_*`,
//! `flatten_nhwc`): forward output and `∂L/∂input` from the reference's output gradient, in the
//! channels-last (`*_nhwc`) tensors, within 1e-5 (f32).
//!
//! The pools are 2×2, stride 2, `valid`; the `_odd` cases drop a trailing row or column, which
//! must get a zero gradient.

mod common;

use common::reference::load_case;
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct Max6x6x2 { Input(6, 6, 2), MaxPooling2D(2) }
    struct Max7x5x3 { Input(7, 5, 3), MaxPool2D(pool_size = (2, 2), strides = 2, padding = valid) }
    struct Avg6x4x2 { Input(6, 4, 2), AveragePooling2D(2) }
    struct Avg5x5x1 { Input(5, 5, 1), AvgPool2D((2, 2), None, valid) }
    struct Flat3x2x4 { Input(3, 2, 4), Flatten() }
}

fn check<M: Model<f32>>(name: &str, output: &str, grad_output: &str) {
    let case = load_case(name);
    let shape = case.shape("input_nhwc");
    assert_eq!(&shape[1..], M::INPUT_SHAPE, "{name}: input shape");
    let batch = shape[0];
    let model = M::seeded(0);
    let mut ws = model.workspace(batch);
    let x = case.get("input_nhwc");
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    case.assert_close("output", &ws.output()[..outputs], output);

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get(grad_output));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        "grad.input_nhwc",
    );

    // The single-sample path agrees too.
    for j in 0..batch {
        let sample = &x[j * M::INPUT_SIZE..(j + 1) * M::INPUT_SIZE];
        let mut single = model.workspace(1);
        model.forward(&mut single, sample, 1, Mode::Infer);
        assert_eq!(
            &single.output()[..M::OUTPUT_SIZE],
            &ws.output()[j * M::OUTPUT_SIZE..(j + 1) * M::OUTPUT_SIZE]
        );
    }
}

#[test]
fn maxpool2d_2x2() {
    check::<Max6x6x2>("maxpool2d_2x2", "output_nhwc", "grad.output_nhwc");
}

#[test]
fn maxpool2d_2x2_odd() {
    check::<Max7x5x3>("maxpool2d_2x2_odd", "output_nhwc", "grad.output_nhwc");
}

#[test]
fn avgpool2d_2x2() {
    check::<Avg6x4x2>("avgpool2d_2x2", "output_nhwc", "grad.output_nhwc");
}

#[test]
fn avgpool2d_2x2_odd() {
    check::<Avg5x5x1>("avgpool2d_2x2_odd", "output_nhwc", "grad.output_nhwc");
}

#[test]
fn flatten_nhwc() {
    // The flattened output is a vector, so it has no NCHW/NHWC variants.
    check::<Flat3x2x4>("flatten_nhwc", "output", "grad.output");
}

#[test]
fn predict_matches_the_reference_output() {
    let case = load_case("maxpool2d_2x2_odd");
    let model = Max7x5x3::new(0);
    let x = case.get("input_nhwc");
    let (i, o) = (Max7x5x3::<f32>::INPUT_SIZE, Max7x5x3::<f32>::OUTPUT_SIZE);
    for j in 0..case.shape("input_nhwc")[0] {
        let sample: &[f32; 105] = x[j * i..(j + 1) * i].try_into().unwrap();
        let y = model.predict(sample);
        assert_eq!(y.as_slice(), &case.get("output_nhwc")[j * o..(j + 1) * o]);
    }
}
