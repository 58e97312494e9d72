// A misspelt keyword argument gets a suggestion.
kiln::model! {
    struct Net { Input(4), Dense(8, activaton = relu), Dense(1) }
}

fn main() {}
