//! Recurrent layers against PyTorch (`../shared/reference/{lstm,simple_rnn,gru}_*`): 3 → 4 units
//! over 5 steps, batch 3, the last state and the whole sequence. Parameters come from the Keras-layout tensors; the output
//! and every gradient (Keras kernel, recurrent kernel, bias, and the input) agree within 1e-5.

mod common;

use common::reference::load_case;
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
    let mut model = M::seeded(0);
    let params = M::LAYERS[0].params;
    for (p, tensor) in params
        .iter()
        .zip(["keras.kernel", "keras.recurrent_kernel", "keras.bias"])
    {
        model.params_mut()[p.offset..p.offset + p.len].copy_from_slice(case.get(tensor));
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
