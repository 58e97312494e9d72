// A misspelt layer name gets a suggestion.
kiln::model! {
    struct Net { Input(4), Dens(8), Dense(1) }
}

fn main() {}
