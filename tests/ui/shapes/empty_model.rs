// A model needs an input and at least one layer.
kiln::model! {
    struct Net {}
}

fn main() {}
