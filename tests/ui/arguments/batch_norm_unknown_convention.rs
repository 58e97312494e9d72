// The convention is keras or pytorch.
kiln::model! {
    struct Net { Input(8), BatchNormalization(convention = torch), Dense(2) }
}

fn main() {}
