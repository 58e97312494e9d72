// `Input` declares the sample shape once, first.
kiln::model! {
    struct Net { Input(4), Dense(8), Input(8), Dense(1) }
}

fn main() {}
