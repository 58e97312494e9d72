// Under `valid` padding a pool window must fit the image.
kiln::model! {
    struct Net { Input(2, 5, 4), MaxPooling2D(pool_size = (3, 3)), Flatten(), Dense(1) }
}

fn main() {}
