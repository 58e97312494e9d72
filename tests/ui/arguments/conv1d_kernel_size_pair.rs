// A 1-D kernel size is one integer (or Keras' `(3,)`), not a 2-D pair.
kiln::model! {
    struct Net { Input(16, 1), Conv1D(4, (3, 3)), Flatten(), Dense(1) }
}

fn main() {}
