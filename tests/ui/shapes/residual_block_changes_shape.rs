// A residual block adds its input to its output, so its layers must keep the input shape.
kiln::model! {
    struct Net { Input(8), Residual { Dense(16, activation = relu), Dense(4) }, Dense(2) }
}

fn main() {}
