// The dropout rate is a fraction in [0, 1).
kiln::model! {
    struct Net { Input(4), Dense(8), Dropout(1.0), Dense(1) }
}

fn main() {}
