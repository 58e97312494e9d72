// A 1-D pool slides along time steps: a vector has none.
kiln::model! {
    struct Net { Input(16), Dense(8), GlobalAveragePooling1D(), Dense(1) }
}

fn main() {}
