//! A small residual CNN with batch normalisation on MNIST: a 3×3 stem, then two residual
//! blocks (the second halves the image with a strided projection shortcut), a softmax over
//! the flattened features, trained with Adam and sparse categorical cross-entropy, validated on the
//! 10,000 test images after each epoch. Every convolution inside a block is followed by
//! `BatchNormalization`, whose moving statistics the test images are classified with.
//!
//! ```text
//! cargo run --release --example mnist_resnet                 # 60,000 images, 8 epochs
//! cargo run --release --example mnist_resnet -- --limit 2000 --epochs 1
//! ```
//!
//! Its PyTorch twin (`nn.Sequential` with one module per block holding the block's layers and
//! its `shortcut`) reads and writes the same weight files: `tests/weights.rs` round-trips them.
//! Data: the MNIST IDX files shipped in `data/mnist/` (see `data/README.md`). Saves
//! `<out>/mnist_resnet.safetensors` and `<out>/history.png`.

use clap::Parser;
use kiln::model;
use kiln_suite::mnist::{train_with, MnistArgs, Report};

model! {
    /// 28×28×1 → stem → residual block (28×28×16) → max-pool → projected residual block
    /// (7×7×32) → Flatten → 10 classes.
    pub struct MnistResnet {
        Input(28, 28, 1),
        Conv2D(16, 3, padding = same, use_bias = false),
        BatchNormalization(),
        Activation(relu),
        Residual {
            Conv2D(16, 3, padding = same, use_bias = false),
            BatchNormalization(),
            Activation(relu),
            Conv2D(16, 3, padding = same, use_bias = false),
            BatchNormalization(),
        },
        Activation(relu),
        MaxPooling2D(2),
        Residual(shortcut = Conv2D(32, 1, strides = 2)) {
            Conv2D(32, 3, strides = 2, padding = same, use_bias = false),
            BatchNormalization(),
            Activation(relu),
            Conv2D(32, 3, padding = same, use_bias = false),
            BatchNormalization(),
        },
        Activation(relu),
        Flatten(),
        Dense(10, activation = softmax),
    }
}

/// Train a small residual CNN with batch normalisation on MNIST.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    #[command(flatten)]
    mnist: MnistArgs,
}

fn run(args: &Args) -> Result<Report, Box<dyn std::error::Error>> {
    // Eight epochs, the learning rate decaying by 0.7 after each.
    train_with::<MnistResnet>("mnist_resnet", (8, 0.7), &args.mnist)
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
            "mnist_resnet",
            "--epochs",
            "1",
            "--limit",
            "256",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        let report = run(&args).unwrap();
        // Chance is 0.1; one epoch on 256 images gets above it.
        assert!(report.test_accuracy > 0.2, "{report:?}");
        let saved: MnistResnet = kiln::io::load(&report.weights).unwrap();
        let moving = saved.param("batch_normalization.moving_variance").unwrap();
        assert!(
            moving.iter().any(|&v| v != 1.0),
            "the moving statistics were trained"
        );
    }
}
