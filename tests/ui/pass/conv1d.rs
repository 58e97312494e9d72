// Conv1D in every padding, with strides and dilations, streaming when causal.
kiln::model! {
    struct Valid { Input(16, 2), Conv1D(4, 3, strides = 2, activation = relu), Flatten(), Dense(1) }
    struct Same { Input(16, 2), Conv1D(filters = 4, kernel_size = (5,), padding = same, dilation_rate = 2, use_bias = false) }
    struct Causal { Input(16, 1), Conv1D(4, 2, padding = "causal", dilation_rate = 8, name = "wave"), Dense(1) }
}

fn main() {
    let net = Causal::new(0);
    let mut state = CausalState::default();
    let _ = net.step(&mut state, &[0.5]);
    let _ = (Valid::new(0).predict(&[0.0; 32]), Same::new(0).predict(&[0.0; 32]));
}
