// A misspelt padding gets a suggestion.
kiln::model! {
    struct Net { Input(8, 8, 1), MaxPooling2D(2, padding = vaild), Flatten(), Dense(1) }
}

fn main() {}
