// Pool sizes are positive.
kiln::model! {
    struct Net { Input(8, 8, 1), MaxPooling2D((2, 0)), Flatten(), Dense(1) }
}

fn main() {}
