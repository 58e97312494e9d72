// Embedding reads token indices `Input(timesteps)`, not a sequence of features.
kiln::model! {
    struct Net { Input(10, 2), Embedding(100, 8), LSTM(4), Dense(1) }
}

fn main() {}
