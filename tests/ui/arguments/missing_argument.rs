// Dense needs its number of units.
kiln::model! {
    struct Net { Input(4), Dense(activation = relu), Dense(1) }
}

fn main() {}
