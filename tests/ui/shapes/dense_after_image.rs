// Dense needs a vector; an image must be flattened first.
kiln::model! {
    struct Net { Input(28, 28, 1), Dense(10, activation = softmax) }
}

fn main() {}
