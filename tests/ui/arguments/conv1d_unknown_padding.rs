// Conv1D's paddings are `valid`, `same` and `causal`.
kiln::model! {
    struct Net { Input(16, 1), Conv1D(4, 3, padding = casual), Flatten(), Dense(1) }
}

fn main() {}
