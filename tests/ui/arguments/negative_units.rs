// A layer cannot have a negative number of units.
kiln::model! {
    struct Net { Input(4), Dense(-8), Dense(1) }
}

fn main() {}
