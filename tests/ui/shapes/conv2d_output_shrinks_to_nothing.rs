// Valid convolutions shrink the image until the last kernel no longer fits: its output would be empty.
kiln::model! {
    struct Net { Input(6, 6, 1), Conv2D(4, 3), Conv2D(4, 3), Conv2D(4, (2, 3)), Flatten(), Dense(1) }
}

fn main() {}
