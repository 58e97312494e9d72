//! Bidirectional LSTM and GRU against PyTorch's `bidirectional=True`
//! (`tests/reference/bidirectional_*`): 3 → 4 units per direction over 5 steps, batch 3, the
//! last states and the whole sequence, merged by `concat`. Parameters are loaded by `kiln::io`
//! from the files' PyTorch tensors (`weight_ih_l0`, ..., `bias_hh_l0_reverse`) and match the
//! Keras-layout ones (`keras.forward.*`, `keras.backward.*`); the output and every gradient agree
//! within 1e-5.

mod common;

use common::reference::{load_case, reference_dir};
use kiln::io::{self, LoadOptions};
use kiln::{model, GradAt, Mode, Model, Workspace};

model! {
    struct LstmLast { Input(5, 3), Bidirectional(LSTM(4)) }
    struct LstmSequence { Input(5, 3), Bidirectional(LSTM(4, return_sequences = true), merge_mode = concat) }
    struct GruLast { Input(5, 3), Bidirectional(layer = GRU(4)) }
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
    let keras: Vec<String> = ["forward", "backward"]
        .iter()
        .flat_map(|d| ["kernel", "recurrent_kernel", "bias"].map(|p| format!("keras.{d}.{p}")))
        .collect();
    assert_eq!(params.len(), keras.len());
    for (p, tensor) in params.iter().zip(&keras) {
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
    for (p, tensor) in params.iter().zip(&keras) {
        let grad = format!("grad.{tensor}");
        worst = worst.max(case.assert_close(p.name, &grads[p.offset..p.offset + p.len], &grad));
    }
    worst = worst.max(case.assert_close(
        "∂L/∂input",
        &ws.input_grad()[..M::INPUT_SIZE * batch],
        "grad.input",
    ));
    eprintln!("{}: max |kiln − PyTorch| = {worst:.1e}", case.name);
}

#[test]
fn bidirectional_lstm_last() {
    check::<LstmLast>("bidirectional_lstm_last");
}

#[test]
fn bidirectional_lstm_sequence() {
    check::<LstmSequence>("bidirectional_lstm_sequence");
}

#[test]
fn bidirectional_gru_last() {
    check::<GruLast>("bidirectional_gru_last");
}

#[test]
fn every_bidirectional_case_is_tested() {
    let mut cases = common::reference::cases_of_kind("bidirectional");
    cases.sort();
    assert_eq!(
        cases,
        [
            "bidirectional_gru_last",
            "bidirectional_lstm_last",
            "bidirectional_lstm_sequence"
        ]
    );
}

/// Saved as a PyTorch state_dict, the backward direction's tensors get PyTorch's `_reverse`
/// names, and the file loads back to the same parameters.
#[test]
fn pytorch_names_round_trip() {
    let model = LstmSequence::<f32>::seeded(3);
    let bytes = io::to_bytes(&model);
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(
        names,
        [
            "0.bias_hh_l0",
            "0.bias_hh_l0_reverse",
            "0.bias_ih_l0",
            "0.bias_ih_l0_reverse",
            "0.weight_hh_l0",
            "0.weight_hh_l0_reverse",
            "0.weight_ih_l0",
            "0.weight_ih_l0_reverse",
        ]
    );
    assert_eq!(
        file.tensor("0.weight_ih_l0_reverse").unwrap().shape(),
        [16, 3]
    );
    let back: LstmSequence<f32> = io::read(&bytes).unwrap();
    assert_eq!(back.params(), model.params());
}
