// PReLU learns its slopes: it is a layer, not an activation.
kiln::model! {
    struct Net { Input(8), Dense(8, activation = prelu), Dense(2) }
}

fn main() {
    // The model in use: built, summarised, run on one sample, compiled and fitted.
    use kiln::losses::MeanSquaredError;
    use kiln::optim::Adam;
    use kiln::{Compile, Fit};

    let net = Net::new(0);
    println!("{}", net.summary());
    let y = net.predict(&[0.5f32; Net::<f32>::INPUT_SIZE]);
    println!("{} {:?}", y[0], y.argmax());
    let _workspace = net.workspace(8);
    let x = vec![0.5f32; 8 * Net::<f32>::INPUT_SIZE];
    let targets = vec![0.0f32; 8 * Net::<f32>::OUTPUT_SIZE];
    let mut trainer = net.compile(Adam::default(), MeanSquaredError);
    let history = trainer.fit(&x, &targets, Fit::epochs(1).quiet()).unwrap();
    println!("{:?}", history);
}
