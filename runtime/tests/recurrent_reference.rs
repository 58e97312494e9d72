//! Recurrent layers against PyTorch (`tests/reference/{lstm,simple_rnn,gru}_*`): 3 → 4 units
//! over 5 steps, batch 3, the last state and the whole sequence. Parameters are loaded by
//! `kiln::io` from the files' PyTorch tensors (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
//! `bias_hh_l0`: a bare module's state_dict; two biases summed, GRU gates reordered) and match
//! the Keras-layout ones; the output and every gradient (Keras kernel, recurrent kernel, bias,
//! and the input) agree within 1e-5.

mod common;

use common::reference::{load_case, reference_dir};
use kiln::io::{self, LoadOptions};
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct Last { Input(5, 3), LSTM(4) }
    struct Sequence { Input(5, 3), LSTM(4, return_sequences = true) }
    struct RnnLast { Input(5, 3), SimpleRNN(4) }
    struct RnnSequence { Input(5, 3), SimpleRNN(4, return_sequences = true) }
    struct GruLast { Input(5, 3), GRU(4) }
    struct GruSequence { Input(5, 3), GRU(4, return_sequences = true) }
}

fn check<M: Model<f32>>(case: &str) {
    let case = load_case(case);
    let batch = case.shape("input")[0];
    let path = reference_dir().join(format!("{}.safetensors", case.name));
    let options = LoadOptions {
        ignore_unexpected: true,
        ..LoadOptions::default()
    };
    let model: M = io::load_with(&path, options).unwrap_or_else(|e| panic!("{e}"));
    let params = M::LAYERS[0].params;
    for (p, tensor) in params
        .iter()
        .zip(["keras.kernel", "keras.recurrent_kernel", "keras.bias"])
    {
        let loaded = &model.params()[p.offset..p.offset + p.len];
        let worst = case.assert_close(p.name, loaded, tensor);
        assert!(worst <= 2e-7, "{}: {} off by {worst:e}", case.name, p.name);
    }

    let mut ws = model.workspace(batch);
    let x = case.get("input");
    model.forward(&mut ws, x, batch, Mode::Train);
    let outputs = M::OUTPUT_SIZE * batch;
    let mut worst = case.assert_close("output", &ws.output()[..outputs], "output");

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get("grad.output"));
    model.backward(&mut ws, x, batch, GradAt::Output, true);
    let grads = ws.grads();
    for (p, tensor) in params.iter().zip([
        "grad.keras.kernel",
        "grad.keras.recurrent_kernel",
        "grad.keras.bias",
    ]) {
        worst = worst.max(case.assert_close(p.name, &grads[p.offset..p.offset + p.len], tensor));
    }
    worst = worst.max(case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        "grad.input",
    ));
    eprintln!("{}: max abs error {worst:e}", case.name);
}

#[test]
fn lstm_last() {
    check::<Last>("lstm_last");
}

#[test]
fn lstm_sequence() {
    check::<Sequence>("lstm_sequence");
}

#[test]
fn simple_rnn_last() {
    check::<RnnLast>("simple_rnn_last");
}

#[test]
fn simple_rnn_sequence() {
    check::<RnnSequence>("simple_rnn_sequence");
}

#[test]
fn gru_last() {
    check::<GruLast>("gru_last");
}

#[test]
fn gru_sequence() {
    check::<GruSequence>("gru_sequence");
}
