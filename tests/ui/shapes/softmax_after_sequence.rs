// A softmax layer needs a vector; a sequence has one vector per time step.
kiln::model! {
    struct Net { Input(10, 3), LSTM(4, return_sequences = true), Activation(softmax) }
}

fn main() {}
