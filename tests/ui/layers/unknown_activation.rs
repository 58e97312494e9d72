// A misspelt activation gets a suggestion.
kiln::model! {
    struct Net { Input(4), Dense(8, activation = rleu), Dense(1) }
}

fn main() {}
