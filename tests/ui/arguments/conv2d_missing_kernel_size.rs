// Keras' Conv2D has no default kernel size.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(4), Flatten(), Dense(1) }
}

fn main() {}
