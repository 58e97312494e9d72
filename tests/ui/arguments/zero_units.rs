// A layer cannot have zero units.
kiln::model! {
    struct Net { Input(4), Dense(0), Dense(1) }
}

fn main() {}
