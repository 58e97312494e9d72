// A 2-D pool takes an integer or a (height, width) pair.
kiln::model! {
    struct Net { Input(8, 8, 1), MaxPooling2D(pool_size = (2, 2, 2)), Flatten(), Dense(1) }
}

fn main() {}
