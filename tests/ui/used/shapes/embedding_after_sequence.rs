// Embedding reads token indices `Input(timesteps)`, not a sequence of features.
kiln::model! {
    struct Net { Input(10, 2), Embedding(100, 8), LSTM(4), Dense(1) }
}

fn main() {
    // The model in use: built, summarised, run on one sample, compiled and fitted.
    use kiln::losses::MeanSquaredError;
    use kiln::optim::Adam;
    use kiln::{Compile, Fit};

    let net = Net::new(0);
    println!("{}", net.summary());
    let y = net.predict_tokens(&[1u32; Net::<f32>::INPUT_SIZE]).unwrap();
    println!("{} {:?}", y[0], y.argmax());
    let _workspace = net.workspace(8);
    let x = Net::<f32>::token_inputs(&vec![1u32; 8 * Net::<f32>::INPUT_SIZE]).unwrap();
    let targets = vec![0.0f32; 8 * Net::<f32>::OUTPUT_SIZE];
    let mut trainer = net.compile(Adam::default(), MeanSquaredError);
    let history = trainer.fit(&x, &targets, Fit::epochs(1).quiet()).unwrap();
    println!("{:?}", history);
}
