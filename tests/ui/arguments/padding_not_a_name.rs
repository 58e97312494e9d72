// Padding is a name, not a number (Keras has no numeric padding for pools).
kiln::model! {
    struct Net { Input(8, 8, 1), AveragePooling2D(2, padding = 1), Flatten(), Dense(1) }
}

fn main() {}
