// Stacked recurrent layers: the first returns only its last state unless told otherwise.
kiln::model! {
    struct Net { Input(10, 2), LSTM(8), LSTM(4) }
}

fn main() {}
