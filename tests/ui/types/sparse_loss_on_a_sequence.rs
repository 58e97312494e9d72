// A sparse categorical loss takes one class label per sample: a sequence output is refused.
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::optim::Adam;
use kiln::Compile;

kiln::model! {
    struct Tagger { Input(6, 2), LSTM(8, return_sequences = true), Dense(3) }
}

fn main() {
    let _trainer = Tagger::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default());
}
