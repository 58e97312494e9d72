// One softmax per time step is not one distribution per sample: categorical cross-entropy over a
// sequence output is refused.
use kiln::losses::CategoricalCrossentropy;
use kiln::optim::Adam;
use kiln::Compile;

kiln::model! {
    struct Tagger { Input(6, 2), LSTM(8, return_sequences = true), Dense(3, activation = softmax) }
}

fn main() {
    let _trainer = Tagger::new(0).compile(Adam::default(), CategoricalCrossentropy::default());
}
