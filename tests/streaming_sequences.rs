//! Streaming through causal convolutions: one `step` per time step, each causal Conv1D keeping
//! its last `d·(k − 1)` inputs in the state, gives exactly (f64, 1e-12) what `predict` gives over
//! the whole sequence, alone and mixed with recurrent layers.

use kiln::{model, Rng};

model! {
    /// WaveNet-like: dilations 1, 2, 4, 8 with kernel 2 and 3, then a per-step Dense.
    struct Wave {
        Input(20, 2),
        Conv1D(4, 2, padding = causal, activation = tanh),
        Conv1D(4, 3, padding = causal, dilation_rate = 2, activation = tanh),
        Conv1D(3, 3, padding = causal, dilation_rate = 4, use_bias = false),
        Conv1D(3, 2, padding = causal, dilation_rate = 8, activation = relu),
        Dense(2),
    }
    /// Causal convolutions around recurrent layers, a per-step Dense and a kernel of 1.
    struct Mixed {
        Input(15, 3),
        Conv1D(4, 3, padding = causal, dilation_rate = 3, activation = silu),
        GRU(4, return_sequences = true),
        Conv1D(3, 1, padding = causal),
        LSTM(3, return_sequences = true),
        Conv1D(2, 4, padding = causal, dilation_rate = 2, activation = softmax),
    }
    /// Ending in the last state of an LSTM, then vector layers.
    struct Last {
        Input(12, 1),
        Conv1D(5, 5, padding = causal, dilation_rate = 2, activation = tanh),
        LSTM(4),
        Dense(3, activation = relu),
        Dense(1),
    }
}

fn sequence<const N: usize>(seed: u64) -> [f64; N] {
    let mut rng = Rng::new(seed);
    core::array::from_fn(|_| rng.uniform() * 2.0 - 1.0)
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn a_causal_convolution_stack_streams_what_predict_gives() {
    let net = Wave::<f64>::seeded(3);
    let x = sequence::<40>(1);
    let all = net.predict(&x);
    let mut state = WaveState::default();
    for t in 0..20 {
        let y = net.step(&mut state, &[x[2 * t], x[2 * t + 1]]);
        assert_close(y.as_slice(), &all.as_slice()[2 * t..2 * t + 2]);
    }
    // A second stream after `reset_state` starts from the zero padding again.
    state.reset_state();
    let y = net.step(&mut state, &[x[0], x[1]]);
    assert_close(y.as_slice(), &all.as_slice()[..2]);
}

#[test]
fn causal_convolutions_mixed_with_recurrent_layers_stream_too() {
    let net = Mixed::<f64>::seeded(4);
    let x = sequence::<45>(2);
    let all = net.predict(&x);
    let mut ws = net.workspace(1);
    for t in 0..15 {
        let y = net.step(&mut ws, &[x[3 * t], x[3 * t + 1], x[3 * t + 2]]);
        assert_close(y.as_slice(), &all.as_slice()[2 * t..2 * t + 2]);
    }
}

#[test]
fn the_last_step_gives_the_last_state_output() {
    let net = Last::<f64>::seeded(5);
    let x = sequence::<12>(3);
    let mut state = LastState::default();
    let mut y = None;
    for &v in &x {
        y = Some(net.step(&mut state, &[v]));
    }
    assert_close(y.unwrap().as_slice(), net.predict(&x).as_slice());
}
