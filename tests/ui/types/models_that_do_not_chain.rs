// One model's output feeds another only if the sizes agree.
kiln::model! {
    struct Encoder { Input(784), Dense(64, activation = relu) }
    struct Head { Input(32), Dense(10, activation = softmax) }
}

fn main() {
    let (encoder, head) = (Encoder::new(0), Head::new(1));
    let code = encoder.predict(&[0.0f32; 784]);
    let _ = head.predict(&code);
}
