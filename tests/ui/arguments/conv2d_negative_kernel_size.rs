// Kernel sizes are positive.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(4, (3, -1)), Flatten(), Dense(1) }
}

fn main() {}
