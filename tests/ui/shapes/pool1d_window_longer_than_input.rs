// A pool window of 5 steps does not fit a sequence of 4 with `valid` padding.
kiln::model! {
    struct Net { Input(4, 2), MaxPooling1D(pool_size = 5), Flatten(), Dense(1) }
}

fn main() {}
