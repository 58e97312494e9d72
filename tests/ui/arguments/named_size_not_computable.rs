// The macro computes a named size itself: integers, earlier sizes and `+ - * / %` only.
kiln::model! {
    const CLASSES: usize = classes();
    struct Net { Input(4), Dense(CLASSES, activation = softmax) }
}

const fn classes() -> usize {
    10
}

fn main() {}
