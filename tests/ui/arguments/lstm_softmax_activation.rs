// A recurrent layer's activations act on each unit alone; softmax would mix them.
kiln::model! {
    struct Net { Input(10, 1), LSTM(4, recurrent_activation = softmax), Dense(1) }
}

fn main() {}
