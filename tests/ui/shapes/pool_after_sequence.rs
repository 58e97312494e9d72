// A sequence is not an image either.
kiln::model! {
    struct Net { Input(10, 4), GlobalAveragePooling2D(), Dense(1) }
}

fn main() {}
