// `Residual` wraps layers in braces.
kiln::model! {
    struct Net { Input(8), Residual(), Dense(2) }
}

fn main() {}
