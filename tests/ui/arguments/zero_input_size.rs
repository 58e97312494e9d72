// An input dimension must be positive.
kiln::model! {
    struct Net { Input(0), Dense(1) }
}

fn main() {}
