// Only `Residual` takes a block of layers.
kiln::model! {
    struct Net { Input(8), Dense(8) { Dense(8) }, Dense(2) }
}

fn main() {}
