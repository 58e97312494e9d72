// A model with a mistake still declares everything a model has: whatever the program does with
// it, the model's error is the only one.
use kiln::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
use kiln::optim::Adam;
use kiln::{Compile, Fit, Model, SMatrix};

kiln::model! {
    /// A tagger over sequences of 20 steps of 3 features.
    pub struct Tagger { Input(20, 3), LSTM(16), Dense(4, activation = sotfmax) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let net: Tagger = Tagger::new(0);
    let other = Tagger::<f64>::seeded(1);
    println!("{}\n{}", net.summary(), Tagger::<f32>::SUMMARY);
    println!("{} {} {}", Tagger::<f32>::INPUT_SIZE, Tagger::<f32>::OUTPUT_SIZE, <Tagger as Model<f32>>::PARAM_COUNT);
    let sample = [0.5f32; Tagger::<f32>::INPUT_SIZE];
    let probabilities = net.predict(&sample);
    println!("{} {}", probabilities.argmax().0, probabilities[0]);
    let params = [0.0f64; Tagger::<f64>::PARAM_COUNT];
    let _ = Tagger::<f64>::predict_with(&params, &[0.5f64; 60]);
    let _ = other.param("lstm.kernel");

    // Streaming, through a state or a workspace.
    let mut state = TaggerState::default();
    let step = net.step(&mut state, &[0.1f32, 0.2, 0.3]);
    println!("{}", step[0]);
    state.reset_state();
    let mut workspace: TaggerWorkspace = net.workspace(8);
    let _ = net.step(&mut workspace, &[0.1f32, 0.2, 0.3]);
    workspace.reset_state();

    // Batches.
    let batch = SMatrix::<f32, 60, 8>::zeros();
    let out = net.forward_batch(&mut workspace, &batch);
    println!("{}", out[(0, 0)]);
    println!("{}", workspace.grads().len());

    // Training, evaluation, weights.
    let x = vec![[0.5f32; 60]; 8];
    let labels = vec![1u32; 8];
    let mut trainer = net.compile(Adam::default(), SparseCategoricalCrossentropy::default());
    let history = trainer.fit(&x, &labels, Fit::epochs(2).batch_size(4).validation_split(0.25))?;
    println!("{:?} {:?}", history.get("loss"), trainer.evaluate(&x, &labels)?);
    let regression = Tagger::new(2).compile(Adam::default(), MeanSquaredError);
    let _ = regression.model().summary();
    kiln::io::save(trainer.model(), "tagger.safetensors")?;
    let loaded: Tagger = kiln::io::load("tagger.safetensors")?;
    let _ = loaded.predict(&sample);
    Ok(())
}
