// Only `merge_mode = concat` (PyTorch's `bidirectional=True`) is supported.
kiln::model! {
    struct Net { Input(10, 2), Bidirectional(LSTM(4), merge_mode = sum), Dense(1) }
}

fn main() {}
