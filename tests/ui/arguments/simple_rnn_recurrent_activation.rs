// SimpleRNN has no gates, so no recurrent activation.
kiln::model! {
    struct Net { Input(10, 1), SimpleRNN(4, recurrent_activation = sigmoid), Dense(1) }
}

fn main() {}
