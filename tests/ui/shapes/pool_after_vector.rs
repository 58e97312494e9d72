// 2-D pooling needs an image.
kiln::model! {
    struct Net { Input(16), MaxPooling2D(2), Dense(1) }
}

fn main() {}
