// `Input` takes only the sample shape.
kiln::model! {
    struct Net { Input(784, dtype = f32), Dense(10) }
}

fn main() {}
