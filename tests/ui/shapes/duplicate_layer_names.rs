// Layer names identify parameters in weight files, so they must be unique.
kiln::model! {
    struct Net { Input(4), Dense(8, name = "hidden"), Dense(8, name = "hidden"), Dense(1) }
}

fn main() {}
