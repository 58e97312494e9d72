//! Streaming inference (`step`, `reset_state`): one time step at a time through the recurrent
//! layers' kept state gives what `predict` gives for the whole sequence so far.

use kiln::{model, Model, Rng, SVector};

model! {
    struct Lstm5 { Input(5, 3), LSTM(4, return_sequences = true), Dropout(0.3), LSTM(3), Dense(2, activation = tanh) }
    struct Lstm3 { Input(3, 3), LSTM(4, return_sequences = true), Dropout(0.3), LSTM(3), Dense(2, activation = tanh) }
    struct Mixed5 { Input(5, 2), GRU(4, return_sequences = true), Activation(relu), SimpleRNN(3, return_sequences = true), LSTM(2, use_bias = false) }
    struct Mixed2 { Input(2, 2), GRU(4, return_sequences = true), Activation(relu), SimpleRNN(3, return_sequences = true), LSTM(2, use_bias = false) }
    struct Sequences { Input(6, 2), LSTM(3, return_sequences = true), GRU(2, return_sequences = true) }
    struct Tagger { Input(6, 2), Dense(3, activation = relu), LSTM(3, return_sequences = true), Dense(4, activation = softmax) }
}

fn sequence<const N: usize>(seed: u64) -> [f64; N] {
    let mut rng = Rng::new(seed);
    core::array::from_fn(|_| rng.uniform() * 2.0 - 1.0)
}

/// Time step `t` of a sequence of `F` features per step.
fn at<T: Copy, const F: usize>(x: &[T], t: usize) -> [T; F] {
    core::array::from_fn(|k| x[F * t + k])
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn steps_give_predict_of_the_sequence_so_far() {
    let long = Lstm5::<f64>::seeded(3);
    let mut short = Lstm3::<f64>::seeded(0);
    short.params_mut().copy_from_slice(long.params());
    let x = sequence::<15>(1);
    let mut state = Lstm5State::<f64>::default();
    let mut outputs = Vec::new();
    for t in 0..5 {
        outputs.push(long.step(&mut state, &at::<_, 3>(&x, t)));
    }
    assert_close(outputs[4].as_slice(), long.predict(&x).as_slice());
    let prefix: [f64; 9] = x[..9].try_into().unwrap();
    assert_close(outputs[2].as_slice(), short.predict(&prefix).as_slice());
}

#[test]
fn gru_simple_rnn_and_activation_layers_step_too() {
    let long = Mixed5::<f64>::seeded(4);
    let mut short = Mixed2::<f64>::seeded(0);
    short.params_mut().copy_from_slice(long.params());
    let x = sequence::<10>(2);
    let mut ws = long.workspace(1);
    let steps: Vec<_> = (0..5)
        .map(|t| long.step(&mut ws, &at::<_, 2>(&x, t)))
        .collect();
    assert_close(steps[4].as_slice(), long.predict(&x).as_slice());
    let prefix: [f64; 4] = x[..4].try_into().unwrap();
    assert_close(steps[1].as_slice(), short.predict(&prefix).as_slice());
}

#[test]
fn with_return_sequences_each_step_gives_that_steps_output() {
    let net = Sequences::<f64>::seeded(5);
    let x = sequence::<12>(3);
    let all = net.predict(&x);
    let mut state = SequencesState::default();
    for t in 0..6 {
        let y = net.step(&mut state, &at::<_, 2>(&x, t));
        assert_close(y.as_slice(), &all.as_slice()[2 * t..2 * t + 2]);
    }
}

#[test]
fn dense_layers_on_sequences_step_one_time_step_at_a_time() {
    let net = Tagger::<f64>::seeded(9);
    let x = sequence::<12>(4);
    let all = net.predict(&x);
    let mut state = TaggerState::default();
    for t in 0..6 {
        let y = net.step(&mut state, &at::<_, 2>(&x, t));
        assert_close(y.as_slice(), &all.as_slice()[4 * t..4 * t + 4]);
        assert!((y.sum() - 1.0).abs() < 1e-12, "a softmax per time step");
    }
}

#[test]
fn reset_state_starts_a_new_stream() {
    let net = Lstm5::new(6);
    let x = [0.5f32, -0.25, 1.0];
    let mut ws = net.workspace(1);
    let first = net.step(&mut ws, &x);
    let second = net.step(&mut ws, &x);
    assert_ne!(first, second, "the state carries over between steps");
    ws.reset_state();
    assert_eq!(net.step(&mut ws, &x), first);
    let mut state = Lstm5State::default();
    assert_eq!(net.step(&mut state, &SVector::<f32, 3>::from(x)), first);
    state.reset_state();
    assert_eq!(state, Lstm5State::default());
}

#[test]
fn f32_steps_agree_with_f32_predict() {
    let net = Lstm5::new(7);
    let x: Vec<f32> = sequence::<15>(8).iter().map(|&v| v as f32).collect();
    let mut state = Lstm5State::default();
    let mut last = SVector::<f32, 2>::zeros();
    for t in 0..5 {
        last = net.step(&mut state, &at::<_, 3>(&x, t));
    }
    let whole = net.predict(&at::<_, 15>(&x, 0));
    assert!((last - whole).amax() < 1e-6, "{last} vs {whole}");
    assert_eq!(Lstm5::<f32>::STEP_INPUT_SIZE, 3);
    let _ = <Lstm5 as Model<f32>>::INPUT_SIZE;
}
