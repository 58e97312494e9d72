// A size from another module is a constant outside the `model!`, which it cannot see either.
mod config {
    pub const CLASSES: usize = 10;
}

kiln::model! {
    struct Net { Input(64), Dense(config::CLASSES, activation = softmax) }
}

fn main() {}
