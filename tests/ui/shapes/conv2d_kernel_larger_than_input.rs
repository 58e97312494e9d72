// A valid convolution needs a kernel no larger than its input.
kiln::model! {
    struct Net { Input(3, 4, 1), Conv2D(8, 5), Flatten(), Dense(1) }
}

fn main() {}
