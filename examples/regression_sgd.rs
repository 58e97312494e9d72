//! Seed 001: a small regressor, 10 features → `Dense(10, relu)` → `Dense(1)`, trained with plain
//! SGD on the mean squared error.
//!
//! ```text
//! cargo run --release --example regression_sgd
//! ```
//!
//! Data: synthetic and seeded, with a known target function and known noise:
//!
//! `y = sin(x₀) + x₁·x₂ + 0.5·x₃ + ε`, features uniform in `[-1, 1)` (x₄..x₉ are distractors),
//! `ε ~ N(0, 0.1²)`.
//!
//! No model can beat the noise variance (0.01 by default) on fresh data, and predicting the mean
//! scores the target's variance; the example prints train and test MSE between the two.

use std::error::Error;

use clap::Parser;
use kiln::losses::MeanSquaredError;
use kiln::metrics::Mae;
use kiln::optim::Sgd;
use kiln::train::{Control, EpochLogs};
use kiln::{model, Compile, Fit, Rng};
use kiln_suite::synth;

model! {
    /// Seed 001's regressor: 10 → 10 relu → 1.
    pub struct Regressor { Input(10), Dense(10, activation = relu), Dense(1) }
}

/// Seed 001's regressor with SGD on a known function plus known noise.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// SGD's learning rate.
    #[arg(long, default_value_t = 0.05)]
    lr: f64,
    /// Training samples (a fifth as many more are drawn for testing).
    #[arg(long, default_value_t = 5000)]
    samples: usize,
    /// Standard deviation of the noise.
    #[arg(long, default_value_t = 0.1)]
    noise: f64,
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
    train_mse: f64,
    test_mse: f64,
    noise_variance: f64,
    mean_predictor_mse: f64,
}

/// The noise-free target.
fn target(x: &[f32]) -> f64 {
    let x = |i: usize| x[i] as f64;
    x(0).sin() + x(1) * x(2) + 0.5 * x(3)
}

fn dataset(n: usize, noise: f64, rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..n * 10)
        .map(|_| synth::uniform_in(rng, -1.0, 1.0) as f32)
        .collect();
    let y = x
        .chunks(10)
        .map(|s| (target(s) + noise * synth::normal(rng)) as f32)
        .collect();
    (x, y)
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let mut rng = Rng::new(args.seed);
    let (x, y) = dataset(args.samples, args.noise, &mut rng);
    let (x_test, y_test) = dataset((args.samples / 5).max(1), args.noise, &mut rng);
    println!(
        "Data: {} training + {} test synthetic samples (seed {}), 10 features uniform in [-1, 1), \
         y = sin(x0) + x1*x2 + 0.5*x3 + N(0, {}²)",
        y.len(),
        y_test.len(),
        args.seed,
        args.noise
    );

    let mut trainer = Regressor::new(args.seed)
        .compile(Sgd::new(args.lr), MeanSquaredError)
        .metric(Mae::default());
    let quiet = args.quiet;
    let every = (args.epochs / 10).max(1);
    let mut report_every = |logs: &EpochLogs| {
        if !quiet && (logs.epoch + 1).is_multiple_of(every) {
            println!(
                "Epoch {}/{} - {}",
                logs.epoch + 1,
                args.epochs,
                logs.summary()
            );
        }
        Control::Continue
    };
    trainer.fit(
        &x,
        &y,
        Fit::epochs(args.epochs)
            .batch_size(args.batch_size)
            .seed(args.seed)
            .quiet()
            .callback(&mut report_every),
    )?;
    let train_mse = trainer.evaluate(&x, &y)?.loss;
    let test_mse = trainer.evaluate(&x_test, &y_test)?.loss;
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
    let mean_predictor_mse = y_test
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / y_test.len() as f64;
    let noise_variance = args.noise * args.noise;
    println!("Train MSE: {train_mse:.5}");
    println!("Test MSE:  {test_mse:.5}");
    println!("Best possible (the noise variance): {noise_variance:.5}");
    println!("Predicting the training mean: {mean_predictor_mse:.5}");
    Ok(Report {
        train_mse,
        test_mse,
        noise_variance,
        mean_predictor_mse,
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
            "regression_sgd",
            "--epochs",
            "10",
            "--samples",
            "2000",
            "--quiet",
        ]);
        let report = run(&args).unwrap();
        assert!(report.train_mse >= 0.0 && report.noise_variance > 0.0);
        assert!(
            report.test_mse < report.mean_predictor_mse / 3.0,
            "{report:?}"
        );
    }
}
