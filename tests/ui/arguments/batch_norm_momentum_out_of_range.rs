// Keras momentum is the weight of the old moving statistics, in [0, 1].
kiln::model! {
    struct Net { Input(8), Dense(8), BatchNormalization(momentum = 1.5), Dense(2) }
}

fn main() {}
