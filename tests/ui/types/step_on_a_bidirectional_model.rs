// A Bidirectional layer reads the sequence backwards too, so the model cannot stream.
kiln::model! {
    struct Tagger { Input(10, 3), Bidirectional(LSTM(4)), Dense(2) }
}

fn main() {
    let net = Tagger::new(0);
    let mut state = TaggerState::default();
    let y = net.step(&mut state, &[0.5f32, 0.1, 0.2]);
    println!("{}", y[0]);
}
