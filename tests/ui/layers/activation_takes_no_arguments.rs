// Only leaky_relu and elu take an argument.
kiln::model! {
    struct Net { Input(4), Dense(8, activation = relu(0.1)), Dense(1) }
}

fn main() {}
