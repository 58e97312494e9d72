// A convolution needs at least one filter.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(0, 3), Flatten(), Dense(1) }
}

fn main() {}
