// Embedding needs both the vocabulary size and the embedding size.
kiln::model! {
    struct Net { Input(10), Embedding(100), LSTM(4), Dense(1) }
}

fn main() {}
