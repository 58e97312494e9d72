// Three taps four steps apart span 9 steps: more than the 8 of the input, with `valid` padding.
kiln::model! {
    struct Net { Input(8, 2), Conv1D(4, 3, dilation_rate = 4), Flatten(), Dense(1) }
}

fn main() {}
