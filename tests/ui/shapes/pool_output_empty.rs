// A window taller than the image leaves no output rows (0×4), even with the default pool size.
kiln::model! {
    struct Net { Input(1, 8, 3), AveragePooling2D(), Flatten(), Dense(1) }
}

fn main() {}
