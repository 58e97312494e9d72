// A 1-D pool size is one integer, not a 2-D pair.
kiln::model! {
    struct Net { Input(16, 2), AveragePooling1D((2, 2)), Flatten(), Dense(1) }
}

fn main() {}
