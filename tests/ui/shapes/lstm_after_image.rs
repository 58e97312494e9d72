// A recurrent layer cannot read an image.
kiln::model! {
    struct Net { Input(8, 8, 1), LSTM(4) }
}

fn main() {}
