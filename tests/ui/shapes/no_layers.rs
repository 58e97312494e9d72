// An input alone is not a model.
kiln::model! {
    struct Net { Input(4) }
}

fn main() {}
