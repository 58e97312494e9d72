//! The main job: seed 004's MLP (784 → 64 relu → 64 relu → 10 softmax) trained on the full MNIST
//! training set, validated on the 10,000 test images after every epoch.
//!
//! ```text
//! cargo run --release --example mnist                 # 60,000 images, 10 epochs
//! cargo run --release --example mnist -- --limit 2000 --epochs 3
//! ```
//!
//! Data: the original MNIST IDX files shipped gzipped in `data/mnist/` (see `data/README.md`;
//! CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J. C. Burges). Pixels are scaled to
//! `[0, 1]` as in the seed program (`x / 255`).
//!
//! Prints the model summary, one line per epoch (a progress bar while it runs), the final test
//! loss and accuracy and the training time, and saves the trained weights to
//! `<out>/mnist.safetensors` ([`kiln::io`]) and the loss/accuracy curves to `<out>/history.png`.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use kiln::data::Mnist;
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::metrics::Accuracy;
use kiln::optim::Adam;
use kiln::{model, Compile, Fit, Verbosity};
use kiln_suite::{cli, plot};

model! {
    /// Seed 004 (section 4.1): a 784 → 64 → 64 → 10 multilayer perceptron.
    pub struct MnistMlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// Train seed 004's MLP on MNIST.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training data.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Seed of the initial weights and of the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for the plot [default: <repo>/target/kiln-mnist].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Folder with the four MNIST files [default: <repo>/data/mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train and test on the first N images of each split only (quick runs).
    #[arg(long)]
    limit: Option<usize>,
    /// Print only the final results.
    #[arg(long)]
    quiet: bool,
}

/// What a run achieved (read by the test).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    test_accuracy: f64,
    plot: PathBuf,
    weights: PathBuf,
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let data_dir = args.data.clone().unwrap_or_else(|| cli::data_dir("mnist"));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| cli::default_out("mnist"));
    let loaded = Instant::now();
    let mnist = Mnist::load(&data_dir)?;
    let (mut train, mut test) = (mnist.train::<f32>(), mnist.test::<f32>());
    if let Some(n) = args.limit {
        let keep = |len: usize| (0..n.min(len)).collect::<Vec<_>>();
        train = train.subset(&keep(train.len()));
        test = test.subset(&keep(test.len()));
    }
    println!(
        "Data: MNIST from {} ({} training, {} test images, loaded in {:.2} s)",
        data_dir.display(),
        train.len(),
        test.len(),
        loaded.elapsed().as_secs_f64()
    );

    let model = MnistMlp::new(args.seed);
    if !args.quiet {
        println!("{}", model.summary());
    }
    let mut trainer = model
        .compile(Adam::new(args.lr), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default());
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Bar
    };
    let started = Instant::now();
    let history = trainer.fit(
        &train.x,
        &train.y,
        Fit::epochs(args.epochs)
            .batch_size(args.batch_size)
            .seed(args.seed)
            .validation_data(&test.x, &test.y)
            .verbosity(verbosity),
    )?;
    let training = started.elapsed().as_secs_f64();

    let evaluation = trainer.evaluate(&test.x, &test.y)?;
    let test_accuracy = evaluation.get("accuracy").unwrap_or(f64::NAN);
    println!(
        "Test loss: {:.4} - test accuracy: {:.4}",
        evaluation.loss, test_accuracy
    );
    println!(
        "Training time: {training:.2} s for {} epochs of {} images (validation included)",
        history.epochs.len(),
        train.len()
    );
    let weights = out.join("mnist.safetensors");
    kiln::io::save(trainer.model(), &weights)?;
    println!("Saved the trained weights to {}", weights.display());
    let plot = out.join("history.png");
    plot::history_png(&history, &["loss", "accuracy"], &plot)?;
    println!("Saved the loss and accuracy curves to {}", plot.display());
    Ok(Report {
        test_accuracy,
        plot,
        weights,
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
        let out = tempfile::tempdir().unwrap();
        let args = Args::parse_from([
            "mnist",
            "--epochs",
            "2",
            "--limit",
            "1024",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        let report = run(&args).unwrap();
        // Chance is 0.1; two epochs on 1,024 images reach about 0.8.
        assert!(report.test_accuracy > 0.6, "{report:?}");
        assert!(report.plot.starts_with(out.path()) && report.plot.exists());
        // The saved weights reproduce the trained model.
        let saved: MnistMlp = kiln::io::load(&report.weights).unwrap();
        assert_eq!(saved.param("dense.bias").unwrap().len(), 64);
    }
}
