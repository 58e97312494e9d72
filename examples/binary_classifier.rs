//! Seed 000: a small Keras binary classifier, `Dense(10, relu)` → `Dense(5, relu)` →
//! `Dense(1, sigmoid)` on 8 features, Adam, binary cross-entropy, accuracy.
//!
//! ```text
//! cargo run --release --example binary_classifier
//! ```
//!
//! Data: synthetic and seeded. The seed program trained on random labels, which nothing can
//! learn; here the label follows a stated rule instead, so accuracy is meaningful:
//!
//! `label = 1 if x₀·x₁ + sin(π·x₂) > x₃, else 0`, with all 8 features uniform in `[-1, 1)`
//! (features 4..7 are noise the network must learn to ignore).
//!
//! Prints the per-epoch lines, the test loss and accuracy, and the majority-class baseline.

use std::error::Error;

use clap::Parser;
use kiln::losses::BinaryCrossentropy;
use kiln::metrics::BinaryAccuracy;
use kiln::optim::Adam;
use kiln::{model, Compile, Fit, Rng, Verbosity};
use kiln_suite::synth;

model! {
    /// Seed 000's classifier: 8 → 10 relu → 5 relu → 1 sigmoid.
    pub struct Classifier {
        Input(8),
        Dense(10, activation = relu),
        Dense(5, activation = relu),
        Dense(1, activation = sigmoid),
    }
}

/// Seed 000's binary classifier on a learnable synthetic rule.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Training samples (a fifth as many more are drawn for testing).
    #[arg(long, default_value_t = 5000)]
    samples: usize,
    /// Seed of the data, the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print only the final results.
    #[arg(long)]
    quiet: bool,
}

/// What a run achieved (read by the test).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    test_accuracy: f64,
    baseline: f64,
}

/// The rule the network has to learn.
fn rule(x: &[f32]) -> bool {
    x[0] * x[1] + (std::f32::consts::PI * x[2]).sin() > x[3]
}

/// `n` samples of 8 uniform features and their labels.
fn dataset(n: usize, rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..n * 8)
        .map(|_| synth::uniform_in(rng, -1.0, 1.0) as f32)
        .collect();
    let y = x.chunks(8).map(|s| f32::from(u8::from(rule(s)))).collect();
    (x, y)
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let mut rng = Rng::new(args.seed);
    let (x, y) = dataset(args.samples, &mut rng);
    let (x_test, y_test) = dataset((args.samples / 5).max(1), &mut rng);
    println!(
        "Data: {} training + {} test synthetic samples (seed {}), 8 features uniform in [-1, 1), \
         label = 1 if x0*x1 + sin(pi*x2) > x3",
        y.len(),
        y_test.len(),
        args.seed
    );

    let model = Classifier::new(args.seed);
    if !args.quiet {
        println!("{}", model.summary());
    }
    let mut trainer = model
        .compile(Adam::new(args.lr), BinaryCrossentropy::default())
        .metric(BinaryAccuracy::default());
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Lines
    };
    trainer.fit(
        &x,
        &y,
        Fit::epochs(args.epochs)
            .batch_size(args.batch_size)
            .seed(args.seed)
            .verbosity(verbosity),
    )?;
    let evaluation = trainer.evaluate(&x_test, &y_test)?;
    let test_accuracy = evaluation.get("binary_accuracy").unwrap_or(f64::NAN);
    let ones = y_test.iter().filter(|&&y| y == 1.0).count() as f64 / y_test.len() as f64;
    let baseline = ones.max(1.0 - ones);
    println!(
        "Test loss: {:.4} - test accuracy: {test_accuracy:.4}",
        evaluation.loss
    );
    println!(
        "Majority-class baseline: {baseline:.4} ({:.1} % of test labels are 1)",
        ones * 100.0
    );
    Ok(Report {
        test_accuracy,
        baseline,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    run(&Args::parse())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_quickly() {
        let args = Args::parse_from([
            "binary_classifier",
            "--epochs",
            "5",
            "--samples",
            "2000",
            "--quiet",
        ]);
        let report = run(&args).unwrap();
        assert!(report.test_accuracy > report.baseline + 0.15, "{report:?}");
    }
}
