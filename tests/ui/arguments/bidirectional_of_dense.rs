// Bidirectional wraps a recurrent layer: a Dense layer has no direction.
kiln::model! {
    struct Net { Input(10, 2), Bidirectional(Dense(4)), Dense(1) }
}

fn main() {}
