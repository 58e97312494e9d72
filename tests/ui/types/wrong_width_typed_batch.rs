// Samples given as arrays carry their width in their type: 3 values for a 4-input model is a
// type error where the batch is passed.
use kiln::losses::MeanSquaredError;
use kiln::optim::Adam;
use kiln::{Compile, Fit};

kiln::model! {
    struct Net { Input(4), Dense(2) }
}

fn main() {
    let x = vec![[0.0f32; 3]; 10];
    let y = vec![[0.0f32; 2]; 10];
    let mut trainer = Net::new(0).compile(Adam::default(), MeanSquaredError);
    let _ = trainer.fit(&x, &y, Fit::epochs(1));
}
