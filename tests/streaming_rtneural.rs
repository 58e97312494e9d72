//! The audio-streaming workloads W5a–W5g run the very networks RTNeural runs: each loads
//! RTNeural's weights (`tests/fixtures/w5/`, Keras names and layouts, written by
//! `bench/rtneural/fixtures.sh` from RTNeural's peer benchmark) with `kiln::io::load`, streams
//! the first 4,800 samples of RTNeural's input one `step` at a time from the zero state, and
//! gives every output within 1e-5 of the peer's f64 evaluation of the same equations (and of
//! RTNeural `ModelT`'s own f32 outputs), allocating nothing per step.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln_suite::workloads::{
    W5aNet, W5aNetState, W5bNet, W5bNetState, W5cNet, W5cNetState, W5dNet, W5dNetState, W5eNet,
    W5eNetState, W5fNet, W5fNetState, W5gNet, W5gNetState, CHECKED,
};
use safetensors::tensor::Dtype;
use safetensors::SafeTensors;
use std::path::PathBuf;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/w5")
        .join(name)
}

/// RTNeural's stream of workload `id`: input samples, `ModelT`'s outputs, the f64 reference.
struct Stream {
    input: Vec<f32>,
    modelt: Vec<f64>,
    reference: Vec<f64>,
}

fn stream(id: &str) -> Stream {
    let bytes = std::fs::read(fixture(&format!("{id}.stream.safetensors"))).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let values = |name: &str, features: usize| -> Vec<f64> {
        let t = file.tensor(name).unwrap();
        assert_eq!(t.shape()[0], CHECKED, "{id}: {name}");
        let v: Vec<f64> = match t.dtype() {
            Dtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
                .collect(),
            Dtype::F64 => t
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                .collect(),
            other => panic!("{id}: {name} is {other:?}"),
        };
        assert_eq!(v.len(), CHECKED * features, "{id}: {name}");
        v
    };
    let features = file
        .tensor("input")
        .unwrap()
        .shape()
        .get(1)
        .copied()
        .unwrap_or(1);
    Stream {
        input: values("input", features)
            .iter()
            .map(|&v| v as f32)
            .collect(),
        modelt: values("modelt_output", 1),
        reference: values("reference_output", 1),
    }
}

/// Streams RTNeural's input through `$net` loaded from RTNeural's weights and checks each output.
macro_rules! matches_rtneural {
    ($id:literal, $net:ident, $state:ident, $features:literal) => {{
        let net: $net = kiln::io::load(fixture(concat!($id, ".weights.safetensors"))).unwrap();
        let stream = stream($id);
        let mut state = $state::default();
        let (mut worst_reference, mut worst_modelt) = (0.0f64, 0.0f64);
        for (t, sample) in stream.input.as_chunks::<$features>().0.iter().enumerate() {
            let mut y = 0.0f32;
            let allocated = allocations(|| y = net.step(&mut state, sample)[0]);
            assert_eq!(allocated, 0, "{}: step {t} allocated", $id);
            let (reference, modelt) = (stream.reference[t], stream.modelt[t]);
            let y = f64::from(y);
            assert!(
                (y - reference).abs() <= 1e-5,
                "{}: sample {t}: kiln {y}, f64 reference {reference}",
                $id
            );
            assert!(
                (y - modelt).abs() <= 1e-5,
                "{}: sample {t}: kiln {y}, RTNeural ModelT {modelt}",
                $id
            );
            worst_reference = worst_reference.max((y - reference).abs());
            worst_modelt = worst_modelt.max((y - modelt).abs());
        }
        eprintln!(
            "{}: max |kiln - f64 reference| {worst_reference:.2e}, max |kiln - RTNeural ModelT| {worst_modelt:.2e}",
            $id
        );
    }};
}

#[test]
fn w5a_lstm_8() {
    matches_rtneural!("W5a", W5aNet, W5aNetState, 1);
}

#[test]
fn w5b_lstm_16() {
    matches_rtneural!("W5b", W5bNet, W5bNetState, 1);
}

#[test]
fn w5c_lstm_40() {
    matches_rtneural!("W5c", W5cNet, W5cNetState, 1);
}

#[test]
fn w5d_lstm_64() {
    matches_rtneural!("W5d", W5dNet, W5dNetState, 1);
}

#[test]
fn w5e_gru_8() {
    matches_rtneural!("W5e", W5eNet, W5eNetState, 1);
}

#[test]
fn w5f_gru_32() {
    matches_rtneural!("W5f", W5fNet, W5fNetState, 1);
}

#[test]
fn w5g_two_inputs_lstm_20() {
    matches_rtneural!("W5g", W5gNet, W5gNetState, 2);
}
