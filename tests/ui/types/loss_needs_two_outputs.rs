// Categorical cross-entropy over a single output is meaningless: one error at `.compile`, seen
// by `cargo check` too.
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::optim::Adam;
use kiln::Compile;

kiln::model! {
    struct Net { Input(4), Dense(1, activation = sigmoid) }
}

fn main() {
    let _trainer = Net::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default());
}
