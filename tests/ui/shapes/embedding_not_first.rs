// Only the model's input holds token indices: Embedding comes first.
kiln::model! {
    struct Net { Input(10), Dense(10), Embedding(100, 8), LSTM(4), Dense(1) }
}

fn main() {}
