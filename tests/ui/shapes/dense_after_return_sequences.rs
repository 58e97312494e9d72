// Dense needs a vector, but `return_sequences = true` keeps one state per step.
kiln::model! {
    struct Net { Input(10, 1), LSTM(4, return_sequences = true), Dense(1) }
}

fn main() {}
