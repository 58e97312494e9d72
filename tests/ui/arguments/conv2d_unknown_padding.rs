// Keras' paddings are `valid` and `same`.
kiln::model! {
    struct Net { Input(8, 8, 1), Conv2D(4, 3, padding = sme), Flatten(), Dense(1) }
}

fn main() {}
