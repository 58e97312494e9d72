// epsilon sits under a square root with the variance and must be positive.
kiln::model! {
    struct Net { Input(4, 8), LayerNormalization(epsilon = 0), LSTM(4) }
}

fn main() {}
