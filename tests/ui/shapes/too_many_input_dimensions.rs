// Inputs are vectors, sequences or images: 1 to 3 dimensions.
kiln::model! {
    struct Net { Input(2, 3, 4, 5), Dense(1) }
}

fn main() {}
