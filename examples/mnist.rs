//! The main job: seed 004's MLP (784 → 64 relu → 64 relu → 10 softmax) trained on the full MNIST
//! training set, validated on the 10,000 test images after every epoch.
//!
//! ```text
//! cargo run --release --example mnist                 # 60,000 images, 10 epochs
//! cargo run --release --example mnist -- --limit 2000 --epochs 3
//! cargo run --release --example mnist -- --epochs 5 --checkpoint target/mnist.ckpt
//! cargo run --release --example mnist -- --epochs 5 --resume target/mnist.ckpt   # epochs 6-10
//! ```
//!
//! Data: the original MNIST IDX files shipped gzipped in `data/mnist/` (see `data/README.md`;
//! CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J. C. Burges). Pixels are scaled to
//! `[0, 1]` as in the seed program (`x / 255`).
//!
//! Prints the model summary, one line per epoch (a progress bar while it runs), the final test
//! loss and accuracy and the training time, and saves the trained weights to
//! `<out>/mnist.safetensors` ([`kiln::io`]) and the loss/accuracy curves to `<out>/history.png`.

use clap::Parser;
use kiln::model;
use kiln_suite::mnist::{train, MnistArgs, Report};

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
    #[command(flatten)]
    mnist: MnistArgs,
}

fn run(args: &Args) -> Result<Report, Box<dyn std::error::Error>> {
    train::<MnistMlp>("mnist", 10, &args.mnist)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&Args::parse())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_quickly() {
        let out = kiln_suite::scratch::tempdir().unwrap();
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

    #[test]
    fn a_resumed_run_trains_exactly_as_an_uninterrupted_one() {
        let dir = kiln_suite::scratch::tempdir().unwrap();
        let run_in = |name: &str, epochs: &str, extra: &[&str]| {
            let out = dir.path().join(name);
            let mut argv = vec!["mnist", "--epochs", epochs, "--limit", "512", "--quiet"];
            argv.extend(["--out", out.to_str().unwrap()]);
            argv.extend(extra);
            let report = run(&Args::parse_from(argv)).unwrap();
            std::fs::read(report.weights).unwrap()
        };
        let ckpt = dir.path().join("mnist.ckpt");
        let ckpt = ckpt.to_str().unwrap();
        let straight = run_in("straight", "3", &[]);
        run_in("first", "2", &["--checkpoint", ckpt]);
        let resumed = run_in("resumed", "1", &["--resume", ckpt]);
        let weights = |bytes: &[u8]| {
            let mut model = MnistMlp::new(0);
            kiln::io::from_bytes_into(&mut model, bytes, "x".as_ref()).unwrap();
            model.params().to_vec()
        };
        assert_eq!(weights(&resumed), weights(&straight));
    }
}
