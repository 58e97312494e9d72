// An Embedding in front of an LSTM, its typed token entry points.
kiln::model! {
    struct Classifier { Input(20), Embedding(input_dim = 50, output_dim = 8, name = "tokens"), LSTM(16), Dense(1, activation = sigmoid) }
}

fn main() {
    let net = Classifier::new(0);
    let _ = net.predict_tokens(&[3; 20]).unwrap();
    assert!(net.predict_tokens(&[50; 20]).is_err());
    let _ = Classifier::<f32>::token_inputs(&[1, 2, 3]).unwrap();
}
