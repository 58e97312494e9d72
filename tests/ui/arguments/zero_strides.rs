// Strides are positive.
kiln::model! {
    struct Net { Input(8, 8, 1), AvgPool2D(2, strides = 0), Flatten(), Dense(1) }
}

fn main() {}
