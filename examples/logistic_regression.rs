//! Seed 003, section 2: logistic regression, `p = σ(w·x + b)`, trained on binary cross-entropy.
//!
//! ```text
//! cargo run --release --example logistic_regression
//! ```
//!
//! Data: the iris flowers shipped in `data/iris/iris.csv` (R. A. Fisher, 1936; via scikit-learn,
//! see `data/README.md`). The task is "virginica or not" from all four measurements — unlike
//! setosa, virginica is not linearly separable from the rest, so the accuracy says something. A
//! stratified 25 % of the flowers is held out for testing; features are standardised with the
//! training split's mean and deviation. Prints train and test accuracy and the majority-class
//! baseline.

use std::error::Error;

use clap::Parser;
use kiln::data::{stratified_split, StandardScaler, Table};
use kiln::losses::BinaryCrossentropy;
use kiln::metrics::BinaryAccuracy;
use kiln::optim::Sgd;
use kiln::{model, Compile, Fit, Verbosity};
use kiln_suite::cli;

model! {
    /// Logistic regression on 4 features.
    pub struct Logistic { Input(4), Dense(1, activation = sigmoid) }
}

/// Logistic regression: is an iris flower a virginica?
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// SGD's learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Seed of the split, the initial weights and the shuffling.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print only the final results.
    #[arg(long)]
    quiet: bool,
}

/// What a run achieved (read by the test).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    train_accuracy: f64,
    test_accuracy: f64,
    baseline: f64,
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let path = cli::data_dir("iris").join("iris.csv");
    let (iris, classes) = Table::from_csv_all(&path, "label")?.classification::<f32>();
    let virginica = classes
        .encode("2")
        .ok_or("no class `2` (virginica) in iris.csv")?;
    // Split on the three species, so both parts hold each in proportion.
    let split = stratified_split(&iris.y, 0.25, args.seed)?;
    let (mut train, mut test) = iris.split(&split);
    let scaler = StandardScaler::fit(&train.x, train.features());
    scaler.transform(&mut train.x);
    scaler.transform(&mut test.x);
    let target = |labels: &[u32]| -> Vec<f32> {
        labels
            .iter()
            .map(|&c| f32::from(u8::from(c == virginica)))
            .collect()
    };
    let (y_train, y_test) = (target(&train.y), target(&test.y));
    println!(
        "Data: iris from {} — virginica (label 2) vs the rest, {} training and {} test flowers",
        path.display(),
        train.len(),
        test.len()
    );

    let mut trainer = Logistic::new(args.seed)
        .compile(Sgd::new(args.lr), BinaryCrossentropy::default())
        .metric(BinaryAccuracy::default());
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Lines
    };
    // One line per epoch for up to 20 epochs; beyond that the final line says enough.
    let verbosity = if args.epochs > 20 {
        Verbosity::Quiet
    } else {
        verbosity
    };
    trainer.fit(
        &train.x,
        &y_train,
        Fit::epochs(args.epochs)
            .batch_size(args.batch_size)
            .seed(args.seed)
            .verbosity(verbosity),
    )?;
    let accuracy = |e: kiln::train::Evaluation| e.get("binary_accuracy").unwrap_or(f64::NAN);
    let train_eval = trainer.evaluate(&train.x, &y_train)?;
    let (train_loss, train_accuracy) = (train_eval.loss, accuracy(train_eval));
    let test_eval = trainer.evaluate(&test.x, &y_test)?;
    let (test_loss, test_accuracy) = (test_eval.loss, accuracy(test_eval));
    let positives = y_test.iter().filter(|&&y| y == 1.0).count() as f64 / y_test.len() as f64;
    let baseline = positives.max(1.0 - positives);
    println!("After {} epochs:", args.epochs);
    println!("Train loss: {train_loss:.4} - train accuracy: {train_accuracy:.4}");
    println!("Test loss: {test_loss:.4} - test accuracy: {test_accuracy:.4}");
    println!("Majority-class baseline on the test set: {baseline:.4}");
    let model = trainer.model();
    println!(
        "Weights (standardised sepal length, sepal width, petal length, petal width): {:?}, bias {:.3}",
        model
            .param("dense.kernel")
            .ok_or("no dense.kernel")?
            .iter()
            .map(|w| format!("{w:.3}"))
            .collect::<Vec<_>>(),
        model.param("dense.bias").ok_or("no dense.bias")?[0]
    );
    Ok(Report {
        train_accuracy,
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
        let args = Args::parse_from(["logistic_regression", "--epochs", "30", "--quiet"]);
        let report = run(&args).unwrap();
        assert!(report.test_accuracy > report.baseline + 0.1, "{report:?}");
        assert!(report.train_accuracy > 0.85, "{report:?}");
    }
}
