// A recurrent layer steps through a sequence; a vector input has no timesteps.
kiln::model! {
    struct Net { Input(8), LSTM(4) }
}

fn main() {}
