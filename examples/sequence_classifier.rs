//! Seed 004's sequence classifier with an `Embedding` in front: integer sequences of length 20
//! → `Embedding(10, 8)` → `LSTM(50)` → `Dense(1, sigmoid)`, Adam, binary cross-entropy, accuracy.
//!
//! ```text
//! cargo run --release --example sequence_classifier
//! ```
//!
//! Data: synthetic and seeded. The seed program's labels were random, which nothing can learn;
//! here they follow a stated rule, so accuracy is meaningful:
//!
//! `label = 1 if token 0 occurs more often than token 1, else 0`, with the 20 tokens of a
//! sequence uniform over `0..10` (tokens 2..9 are noise the network must learn to ignore, and
//! the order does not matter: the LSTM has to count).
//!
//! The tokens are `u32`s, checked against the vocabulary by `Classifier::token_inputs` before
//! training (a bad token is an error, not a panic). Prints the per-epoch lines, the test loss and
//! accuracy, and the majority-class baseline.

use std::error::Error;

use clap::Parser;
use kiln::losses::BinaryCrossentropy;
use kiln::metrics::BinaryAccuracy;
use kiln::optim::Adam;
use kiln::{model, Compile, Fit, Rng, Verbosity};

/// Tokens per sequence.
const STEPS: usize = 20;
/// Distinct tokens.
const VOCABULARY: u64 = 10;

model! {
    /// Seed 004's classifier with an embedding: 20 tokens → 8 values each → LSTM 50 → 1 sigmoid.
    pub struct Classifier {
        Input(20),
        Embedding(10, 8),
        LSTM(50),
        Dense(1, activation = sigmoid),
    }
}

/// Seed 004's LSTM classifier over token sequences, on a learnable rule.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// Training sequences (a fifth as many more are drawn for testing).
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
fn rule(tokens: &[u32]) -> bool {
    let count = |t| tokens.iter().filter(|&&x| x == t).count();
    count(0) > count(1)
}

/// `n` sequences of tokens and their labels.
fn dataset(n: usize, rng: &mut Rng) -> (Vec<u32>, Vec<f32>) {
    let tokens: Vec<u32> = (0..n * STEPS)
        .map(|_| rng.below(VOCABULARY) as u32)
        .collect();
    let y = tokens
        .chunks(STEPS)
        .map(|s| f32::from(u8::from(rule(s))))
        .collect();
    (tokens, y)
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let mut rng = Rng::new(args.seed);
    let (tokens, y) = dataset(args.samples, &mut rng);
    let (test_tokens, y_test) = dataset((args.samples / 5).max(1), &mut rng);
    println!(
        "Data: {} training + {} test synthetic sequences (seed {}) of {STEPS} tokens uniform over \
         0..{VOCABULARY}, label = 1 if token 0 occurs more often than token 1",
        y.len(),
        y_test.len(),
        args.seed
    );
    let x = Classifier::<f32>::token_inputs(&tokens)?;
    let x_test = Classifier::<f32>::token_inputs(&test_tokens)?;

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
            "sequence_classifier",
            "--epochs",
            "6",
            "--samples",
            "2000",
            "--quiet",
        ]);
        let report = run(&args).unwrap();
        assert!(report.test_accuracy > report.baseline + 0.15, "{report:?}");
    }
}
