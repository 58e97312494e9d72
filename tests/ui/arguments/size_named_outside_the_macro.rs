// The macro sees only its own tokens: a constant declared outside it cannot be a size.
const NUM_CLASSES: usize = 10;

kiln::model! {
    struct Net { Input(64), Dense(32, activation = relu), Dense(NUM_CLASSES, activation = softmax) }
}

fn main() {}
