// Recurrent layers: the last state, every state, and stacks of them.
kiln::model! {
    struct Last { Input(10, 1), LSTM(8), Dense(1) }
    struct Stacked {
        Input(10, 2),
        LSTM(8, activation = tanh, recurrent_activation = sigmoid, return_sequences = true),
        LSTM(4, use_bias = false, name = "encoder"),
        Dense(1)
    }
    struct Sequence { Input(6, 3), LSTM(5, return_sequences = true), Flatten(), Dense(2) }
    struct Gated { Input(6, 3), GRU(5, return_sequences = true, reset_after = true), GRU(2, use_bias = false) }
    struct Simple { Input(6, 3), SimpleRNN(5, activation = tanh, return_sequences = true), SimpleRNN(2, use_bias = false) }
    /// Dense on each time step (Keras' Dense on the last axis), before and after recurrent layers.
    struct PerStep {
        Input(12, 3),
        Dense(8, activation = relu),
        LSTM(6, return_sequences = true),
        Dense(4, activation = softmax, name = "tagger"),
    }
    struct OtherActivations {
        Input(6, 3),
        SimpleRNN(5, activation = relu, return_sequences = true),
        LSTM(4, activation = "elu", recurrent_activation = tanh, return_sequences = true),
        GRU(2, activation = leaky_relu(alpha = 0.1), recurrent_activation = sigmoid)
    }
}

fn main() {
    assert_eq!(PerStep::<f32>::OUTPUT_SIZE, 12 * 4);
    assert_eq!(PerStep::<f32>::LAYERS[0].params[0].shape, &[3, 8]);
    assert_eq!(Last::<f32>::OUTPUT_SIZE, 1);
    assert_eq!(Sequence::<f32>::LAYERS[0].params.len(), 3);
    assert_eq!(Stacked::<f32>::LAYERS[1].name, "encoder");
    assert_eq!(Simple::<f32>::LAYERS[1].name, "simple_rnn_1");
    assert_eq!(Gated::<f32>::LAYERS[0].params[2].shape, &[2, 15]);
}
