// kiln's LSTM has Keras' default activations only.
kiln::model! {
    struct Net { Input(10, 1), LSTM(4, activation = relu), Dense(1) }
}

fn main() {}
