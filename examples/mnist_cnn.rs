//! Seed 004's ConvNet (section 4.3) adapted to 28×28×1 MNIST: Conv2D 32 3×3 relu → MaxPool 2×2 →
//! Conv2D 64 3×3 relu → MaxPool 2×2 → Flatten → Dense 128 relu → Dense 10 softmax, trained with
//! Adam and sparse categorical cross-entropy, validated on the 10,000 test images after each
//! epoch.
//!
//! ```text
//! cargo run --release --example mnist_cnn                 # 60,000 images, 3 epochs
//! cargo run --release --example mnist_cnn -- --limit 2000 --epochs 1
//! ```
//!
//! Data: the original MNIST IDX files shipped gzipped in `data/mnist/` (see `data/README.md`;
//! CC BY-SA 3.0, Yann LeCun, Corinna Cortes, Christopher J. C. Burges), pixels scaled to `[0, 1]`.
//! Saves `<out>/mnist_cnn.safetensors` and `<out>/history.png`.

use clap::Parser;
use kiln::model;
use kiln_suite::mnist::{train, MnistArgs, Report};

model! {
    /// Seed 004's ConvNet on 28×28 grey images.
    pub struct MnistCnn {
        Input(28, 28, 1),
        Conv2D(32, (3, 3), activation = relu),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation = relu),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(128, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// Train seed 004's ConvNet on MNIST.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    #[command(flatten)]
    mnist: MnistArgs,
}

fn run(args: &Args) -> Result<Report, Box<dyn std::error::Error>> {
    train::<MnistCnn>("mnist_cnn", 3, &args.mnist)
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
            "mnist_cnn",
            "--epochs",
            "1",
            "--limit",
            "512",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        let report = run(&args).unwrap();
        // Chance is 0.1; one epoch on 512 images gets well above it.
        assert!(report.test_accuracy > 0.4, "{report:?}");
        let saved: MnistCnn = kiln::io::load(&report.weights).unwrap();
        assert_eq!(saved.param("conv2d.kernel").unwrap().len(), 3 * 3 * 32);
    }
}
