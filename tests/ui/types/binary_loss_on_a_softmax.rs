// Binary cross-entropy treats each output as an independent label: on a softmax over 10
// classes it trains the wrong thing, so it is refused at `.compile`.
use kiln::losses::BinaryCrossentropy;
use kiln::optim::Adam;
use kiln::Compile;

kiln::model! {
    struct Digits { Input(64), Dense(32, activation = relu), Dense(10, activation = softmax) }
}

fn main() {
    let _trainer = Digits::new(0).compile(Adam::default(), BinaryCrossentropy::default());
}
