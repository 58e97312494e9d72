// `use_bias` is a boolean.
kiln::model! {
    struct Net { Input(4), Dense(8, use_bias = 1), Dense(1) }
}

fn main() {}
