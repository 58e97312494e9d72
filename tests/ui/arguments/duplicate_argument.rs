// `units` is given positionally and by name.
kiln::model! {
    struct Net { Input(4), Dense(8, units = 16), Dense(1) }
}

fn main() {}
