// A pooled image is still an image: Dense needs it flattened or globally pooled.
kiln::model! {
    struct Net { Input(8, 8, 3), MaxPooling2D(2), Dense(10) }
}

fn main() {}
