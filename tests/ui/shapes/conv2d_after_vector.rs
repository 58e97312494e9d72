// Conv2D slides over rows and columns, so it needs an image.
kiln::model! {
    struct Net { Input(784), Conv2D(8, 3), Flatten(), Dense(10) }
}

fn main() {}
