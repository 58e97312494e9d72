// A sequence is not an image.
kiln::model! {
    struct Net { Input(10, 3), Conv2D(8, 3), Flatten(), Dense(1) }
}

fn main() {}
