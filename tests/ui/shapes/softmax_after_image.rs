// Softmax normalises a vector of class scores.
kiln::model! {
    struct Net { Input(8, 8, 3), Activation(softmax) }
}

fn main() {}
