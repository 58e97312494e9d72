// Dense needs a vector; a sequence must go through a recurrent layer first.
kiln::model! {
    struct Net { Input(10, 1), Dense(1) }
}

fn main() {}
