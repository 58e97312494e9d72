// A recurrent layer cannot have zero units.
kiln::model! {
    struct Net { Input(10, 1), LSTM(0), Dense(1) }
}

fn main() {}
