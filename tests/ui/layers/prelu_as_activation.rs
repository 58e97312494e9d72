// PReLU learns its slopes: it is a layer, not an activation.
kiln::model! {
    struct Net { Input(8), Dense(8, activation = prelu), Dense(2) }
}

fn main() {}
