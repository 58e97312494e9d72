// Bidirectional over each cell, last states and whole sequences.
kiln::model! {
    struct Tagger { Input(10, 2), Bidirectional(LSTM(4, return_sequences = true)), Dense(3, activation = softmax) }
    struct Reader { Input(10, 2), Bidirectional(layer = GRU(4), merge_mode = concat, name = "reader"), Dense(1) }
    struct Simple { Input(10, 2), Bidirectional(SimpleRNN(4)) }
}

fn main() {
    let _ = (Tagger::new(0).predict(&[0.0; 20]), Reader::new(0).predict(&[0.0; 20]));
    let _ = Simple::new(0).predict(&[0.0; 20]);
}
