//! The sequence layers' backward passes (Conv1D in every padding, stride and dilation, the 1-D
//! pools, Bidirectional, Embedding) against central finite differences, in f64, with the harness
//! of `tests/common/gradients.rs`.

#[macro_use]
#[path = "common/gradients.rs"]
mod harness;

use harness::*;
use kiln::{model, GradAt, Mode, Model, Rng, Workspace};

gradient_checks! {
    conv1d_valid: Conv1dValid { Input(9, 2), Conv1D(3, 3), Flatten(), Dense(2) };
    conv1d_valid_k1: Conv1dPointwise { Input(5, 3), Conv1D(2, 1, activation = tanh) };
    conv1d_valid_s2: Conv1dValidS2 { Input(10, 2), Conv1D(3, 3, strides = 2, activation = relu) };
    conv1d_valid_s3_unused_tail: Conv1dValidS3 { Input(10, 2), Conv1D(2, (2,), strides = 3) };
    conv1d_valid_d2: Conv1dValidD2 { Input(11, 2), Conv1D(3, 3, dilation_rate = 2, activation = sigmoid) };
    conv1d_valid_whole: Conv1dWhole { Input(5, 2), Conv1D(3, 3, dilation_rate = 2), Flatten(), Dense(2, activation = softmax) };
    conv1d_same: Conv1dSame { Input(7, 2), Conv1D(3, 3, padding = same, activation = elu) };
    conv1d_same_even: Conv1dSameEven { Input(7, 2), Conv1D(2, 4, padding = same) };
    conv1d_same_s2: Conv1dSameS2 { Input(9, 3), Conv1D(2, 4, strides = 2, padding = same, activation = silu) };
    conv1d_same_d3: Conv1dSameD3 { Input(8, 2), Conv1D(3, 3, padding = "same", dilation_rate = 3) };
    conv1d_causal: Conv1dCausal { Input(6, 2), Conv1D(3, 2, padding = causal, activation = tanh) };
    conv1d_causal_d2: Conv1dCausalD2 { Input(7, 2), Conv1D(3, 3, padding = causal, dilation_rate = 2) };
    conv1d_causal_s2: Conv1dCausalS2 { Input(7, 2), Conv1D(2, 3, strides = 2, padding = causal, use_bias = false) };
    conv1d_without_bias: Conv1dNoBias { Input(8, 3), Conv1D(2, 3, use_bias = false, activation = leaky_relu(alpha = 0.2)) };
    conv1d_softmax_over_channels: Conv1dSoftmax { Input(5, 2), Conv1D(3, 2, padding = same, activation = softmax) };
    conv1d_then_lstm: Conv1dLstm {
        Input(9, 2), Conv1D(4, 3, padding = causal, dilation_rate = 2, activation = tanh),
        Conv1D(3, 2, padding = causal, dilation_rate = 4), LSTM(3), Dense(2)
    };
}

// 1-D pooling: max is piecewise linear, and the random inputs have no ties within a window.
gradient_checks! {
    max_pool1d_valid: MaxPool1dValid { Input(9, 2), MaxPooling1D(2), Flatten(), Dense(2) };
    max_pool1d_same_odd: MaxPool1dSame { Input(7, 3), MaxPool1D(3, strides = 2, padding = same), Flatten(), Dense(2) };
    max_pool1d_overlapping: MaxPool1dOverlap { Input(8, 2), MaxPooling1D(3, strides = 1) };
    avg_pool1d_valid: AvgPool1dValid { Input(9, 2), AveragePooling1D(2), Flatten(), Dense(2) };
    avg_pool1d_same_odd: AvgPool1dSame { Input(7, 3), AvgPool1D(pool_size = (3,), strides = None, padding = same) };
    avg_pool1d_overlapping: AvgPool1dOverlap { Input(8, 2), AveragePooling1D(3, 1, "same"), LSTM(2) };
    global_max_pool1d: GlobalMax1d { Input(6, 3), GlobalMaxPooling1D(), Dense(2) };
    global_avg_pool1d: GlobalAvg1d { Input(6, 3), GlobalAveragePooling1D(), Dense(2, activation = tanh) };
    conv1d_pool_stack: Conv1dPoolStack {
        Input(12, 2), Conv1D(4, 3, padding = same, activation = relu), MaxPooling1D(2),
        Conv1D(3, 2, dilation_rate = 2, activation = tanh), GlobalAveragePooling1D(), Dense(2, activation = softmax)
    };
}

// Bidirectional: each cell, the last states and the whole sequence (concat), stacked, after
// and before other layers.
gradient_checks! {
    bidirectional_lstm_last: BiLstmLast { Input(5, 3), Bidirectional(LSTM(3)) };
    bidirectional_lstm_sequence: BiLstmSequence { Input(5, 2), Bidirectional(LSTM(3, return_sequences = true)), Dense(2) };
    bidirectional_gru: BiGru { Input(4, 3), Bidirectional(GRU(3, use_bias = false), merge_mode = concat), Dense(2) };
    bidirectional_gru_sequence: BiGruSequence { Input(5, 2), Bidirectional(layer = GRU(2, return_sequences = true)) };
    bidirectional_simple_rnn: BiRnn { Input(5, 2), Dense(3, activation = tanh), Bidirectional(SimpleRNN(3, return_sequences = true)), Bidirectional(SimpleRNN(2)) };
    bidirectional_after_conv1d: BiConv { Input(8, 2), Conv1D(3, 3, padding = same), Bidirectional(LSTM(2)), Dense(1) };
}

model! {
    struct EmbeddedLstm { Input(6), Embedding(5, 3), LSTM(3), Dense(2, activation = tanh) }
    struct EmbeddedConv { Input(7), Embedding(4, 2, name = "tokens"), Conv1D(3, 2, padding = causal, dilation_rate = 2), Bidirectional(GRU(2)) }
}

/// Embedding's table against central differences: the inputs are tokens, repeated within and
/// across samples, with one row unused; tokens themselves have no gradient (zero).
fn check_embedding<M: Model<f64>>(tokens: &[u32], vocabulary: usize) -> f64 {
    assert_eq!(tokens.len(), M::INPUT_SIZE * N);
    let mut rng = Rng::new(12);
    let mut model = M::seeded(4);
    for p in model.params_mut() {
        *p += (rng.uniform() - 0.5) * 0.2;
    }
    let x: Vec<f64> = tokens.iter().map(|&t| f64::from(t)).collect();
    let r = random(M::OUTPUT_SIZE * N, &mut rng);
    let mut ws = model.workspace(N);
    loss(&model, &mut ws, &x, &r, Mode::Infer);
    ws.loss_views().output_grad[..M::OUTPUT_SIZE * N].copy_from_slice(&r);
    model.backward(&mut ws, &x, N, GradAt::Output, true);
    assert!(ws.input_grad()[..M::INPUT_SIZE * N]
        .iter()
        .all(|&g| g == 0.0));
    let grads = ws.grads().to_vec();
    // The unused row's gradient is zero.
    let table = &M::LAYERS[0].params[0];
    let width = table.len / vocabulary;
    for row in (0..vocabulary as u32).filter(|t| !tokens.contains(t)) {
        let at = table.offset + row as usize * width;
        assert!(grads[at..at + width].iter().all(|&g| g == 0.0), "row {row}");
    }
    compare(M::NAME, "parameter", &grads, |i, delta| {
        let saved = model.params()[i];
        model.params_mut()[i] = saved + delta;
        let l = loss(&model, &mut ws, &x, &r, Mode::Infer);
        model.params_mut()[i] = saved;
        l
    })
}

#[test]
fn embedding_accumulates_repeated_tokens() {
    // Token 3 is used five times, token 4 never.
    let tokens = [3, 0, 3, 1, 3, 2, 0, 3, 3, 1, 1, 2, 2, 0, 1, 1, 0, 0];
    let worst = check_embedding::<EmbeddedLstm<f64>>(&tokens, 5);
    eprintln!("EmbeddedLstm: max relative error {worst:.2e}");
    let tokens = [
        1, 1, 0, 2, 1, 0, 0, 2, 2, 2, 1, 0, 1, 1, 0, 0, 1, 2, 2, 1, 0,
    ];
    let worst = check_embedding::<EmbeddedConv<f64>>(&tokens, 4);
    eprintln!("EmbeddedConv: max relative error {worst:.2e}");
}

#[test]
fn embedding_predict_tokens_matches_the_batch_and_rejects_bad_tokens() {
    let model = EmbeddedLstm::<f64>::seeded(2);
    let tokens = [4u32, 0, 4, 1, 3, 2];
    let x = EmbeddedLstm::<f64>::token_inputs(&tokens).unwrap();
    let mut ws = model.workspace(1);
    model.forward(&mut ws, &x, 1, Mode::Infer);
    let y = model.predict_tokens(&tokens).unwrap();
    assert_eq!(y.as_slice(), &ws.output()[..2]);
    let err = model.predict_tokens(&[0, 1, 5, 0, 0, 0]).unwrap_err();
    assert_eq!((err.position, err.token, err.input_dim), (2, 5, 5));
    assert!(EmbeddedLstm::<f64>::token_inputs(&[9]).is_err());
    assert_eq!(EmbeddedLstm::<f64>::VOCABULARY, 5);
}

/// The two directions of a Bidirectional layer start from different weights, each initialised
/// like its cell (Glorot-uniform kernel, orthogonal recurrent kernel, forget-gate bias 1).
#[test]
fn bidirectional_directions_start_apart() {
    let model = BiLstmLast::<f64>::seeded(1);
    let p = |name: &str| model.param(name).unwrap().to_vec();
    for tensor in ["kernel", "recurrent_kernel"] {
        let (f, b) = (
            p(&format!("bidirectional.forward.{tensor}")),
            p(&format!("bidirectional.backward.{tensor}")),
        );
        assert_ne!(f, b, "{tensor}");
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        assert!(
            (norm(&f) / norm(&b) - 1.0).abs() < 0.5,
            "{tensor}: same scale"
        );
    }
    assert_eq!(
        p("bidirectional.forward.bias"),
        p("bidirectional.backward.bias")
    );
}
