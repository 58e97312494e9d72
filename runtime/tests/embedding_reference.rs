//! Embedding against PyTorch (`tests/reference/embedding`): `Embedding(7, 3)` on 3 samples
//! of 4 tokens with repeats and an unused row. The tokens are read from the case's I64
//! `input_int64` (the same values as its F32 `input`), the table is loaded by `kiln::io` from
//! PyTorch's `weight`; the output and `∂L/∂embeddings` (repeated tokens summed, the unused row
//! zero) agree within 1e-5.

mod common;

use common::reference::load_case;
use kiln::{model, GradAt, Mode, Model, Workspace};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

model! {
    struct Tokens { Input(4), Embedding(7, 3) }
}

#[test]
fn embedding() {
    let case = load_case("embedding");
    let (shape, ints) = &case.ints["input_int64"];
    assert_eq!(shape, &[3, 4]);
    let tokens: Vec<u32> = ints.iter().map(|&t| u32::try_from(t).unwrap()).collect();
    let floats: Vec<f32> = tokens.iter().map(|&t| t as f32).collect();
    assert_eq!(floats, case.get("input"), "the I64 and F32 inputs agree");

    // PyTorch's `weight` is the Keras table as it is.
    let w: Vec<u8> = case
        .get("weight")
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let view = TensorView::new(Dtype::F32, vec![7, 3], &w).unwrap();
    let file = safetensors::tensor::serialize([("embedding.weight", view)], None).unwrap();
    let mut model = Tokens::seeded(0);
    kiln::io::from_bytes_into(&mut model, &file, Path::new("memory")).unwrap();
    let table = Tokens::<f32>::LAYERS[0].params[0];
    assert_eq!(table.name, "embedding.embeddings");
    let mut worst = case.assert_close("embeddings", model.params(), "keras.embeddings");

    let batch = 3;
    let x = Tokens::<f32>::token_inputs(&tokens).unwrap();
    let mut ws = model.workspace(batch);
    model.forward(&mut ws, &x, batch, Mode::Train);
    let outputs = Tokens::<f32>::OUTPUT_SIZE * batch;
    worst = worst.max(case.assert_close("output", &ws.output()[..outputs], "output"));
    for (j, sample) in tokens.chunks_exact(4).enumerate() {
        let y = model.predict_tokens(sample.try_into().unwrap()).unwrap();
        assert_eq!(y.as_slice(), &ws.output()[j * 12..(j + 1) * 12]);
    }

    ws.loss_views().output_grad[..outputs].copy_from_slice(case.get("grad.output"));
    model.backward(&mut ws, &x, batch, GradAt::Output, false);
    worst = worst.max(case.assert_close("∂L/∂embeddings", ws.grads(), "grad.keras.embeddings"));
    eprintln!("embedding: max |kiln − PyTorch| = {worst:.1e}");
}

#[test]
fn every_embedding_case_is_tested() {
    assert_eq!(common::reference::cases_of_kind("embedding"), ["embedding"]);
}
