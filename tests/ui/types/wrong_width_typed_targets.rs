// Targets given as arrays carry their width: 3 targets for a 2-output model is a type error.
use kiln::losses::MeanSquaredError;
use kiln::optim::Adam;
use kiln::Compile;

kiln::model! {
    struct Net { Input(4), Dense(2) }
}

fn main() {
    let x = vec![[0.0f32; 4]; 10];
    let y = vec![[0.0f32; 3]; 10];
    let mut trainer = Net::new(0).compile(Adam::default(), MeanSquaredError);
    let _ = trainer.evaluate(&x, &y);
}
