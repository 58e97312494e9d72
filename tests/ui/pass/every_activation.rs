// Every activation, by name or as a string, with and without arguments.
kiln::model! {
    struct Net {
        Input(shape = [6]),
        Dense(6, activation = linear),
        Dense(6, activation = relu),
        Dense(6, activation = leaky_relu),
        Dense(6, activation = leaky_relu(alpha = 0.1)),
        Dense(6, activation = elu(0.5)),
        Dense(6, activation = "sigmoid"),
        Dense(6, activation = tanh),
        Dense(6, activation = softplus),
        Dense(6, activation = silu),
        Dense(6, activation = swish),
        Dense(6, activation = hard_sigmoid),
        Activation(relu),
        Dense(4, activation = softmax),
    }
}

fn main() {
    let y = Net::<f64>::seeded(3).predict(&[0.1f64; 6]);
    assert!((y.sum() - 1.0).abs() < 1e-12);
}
