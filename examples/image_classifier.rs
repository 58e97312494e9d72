//! Seed 002: an image classifier trained from a folder of images, one sub-folder per class.
//!
//! ```text
//! cargo run --release --features images --example image_classifier
//! cargo run --release --features images --example image_classifier -- --data path/to/folder
//! ```
//!
//! As in the seed program, every image is loaded like Keras' `load_img(target_size=(224, 224))`
//! followed by `img_to_array / 255` (RGB, bilinear resize, values in `[0, 1]`) and classified by
//! `Flatten(224×224×3) → Dense(64, relu) → Dense(64, relu) → Dense(10, softmax)`, trained with
//! SGD with momentum 0.9 on sparse categorical cross-entropy.
//!
//! One deviation: the learning rate defaults to 0.001, not the seed's 0.01. Each sample has
//! 150528 inputs (‖x‖² ≈ 3·10⁴ for these images), so a first-layer step moves the
//! pre-activations by about `lr·‖x‖²` times the gradient; with momentum 0.9 the seed's 0.01
//! overshoots (measured here: loss 18 in the first epoch, then stuck at 0.2 test accuracy).
//! `--lr 0.01` runs the seed's setting.
//!
//! The model takes a 224×224×3 image, channels-last, exactly the layout
//! [`kiln::data::ImageFolder`] produces, and `Flatten()`s it as Keras does. The first Dense
//! layer has 150528 × 64 ≈ 9.6 M weights; the generated model keeps them on the heap.
//!
//! Data: `examples/assets/digits_png/` — 300 of scikit-learn's 8×8 digits (30 per class) written as PNG files
//! by the `make_image_folder` example (source: the UCI "Optical Recognition of Handwritten Digits"
//! test set, see `data/README.md`), upscaled to 224×224 on loading as the seed would do. A
//! stratified fifth is held out for testing; prints the test accuracy.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use kiln::data::{stratified_split, ImageFolder};
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::metrics::Accuracy;
use kiln::optim::Sgd;
use kiln::{model, Compile, Fit, Verbosity};
use kiln_suite::cli;

/// Image height and width the seed program resizes to.
const SIZE: usize = 224;

model! {
    /// Seed 002's classifier over a 224×224×3 image.
    pub struct ImageClassifier {
        Input(224, 224, 3),
        Flatten(),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// Seed 002's image classifier on a folder of images.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training images.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// SGD's learning rate (the seed's 0.01 diverges on these inputs; see the top of the file).
    #[arg(long, default_value_t = 0.001)]
    lr: f64,
    /// SGD's momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f64,
    /// Fraction of each class held out for testing.
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
    /// Seed of the split, the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The image folder, `<class>/<image>.png|jpg` [default: <repo>/examples/assets/digits_png]; at most
    /// 10 classes (the model's output size).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Print only the final results.
    #[arg(long)]
    quiet: bool,
}

/// What a run achieved (read by the test).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    train_images: usize,
    test_images: usize,
    test_loss: f64,
    test_accuracy: f64,
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let root = args.data.clone().unwrap_or_else(cli::digits_png_dir);
    let loading = Instant::now();
    let folder = ImageFolder::<f32>::load(&root, SIZE, SIZE, 3)?;
    if folder.classes.len() > ImageClassifier::<f32>::OUTPUT_SIZE {
        return Err(format!(
            "{} has {} classes, but the model has 10 outputs",
            root.display(),
            folder.classes.len()
        )
        .into());
    }
    let split = stratified_split(&folder.data.y, args.test_fraction, args.seed)?;
    let (train, test) = folder.data.split(&split);
    println!(
        "Data: {} images in {} classes ({}) from {}, resized to {SIZE}x{SIZE}x3 in {:.1} s; \
         {} for training, {} for testing",
        folder.data.len(),
        folder.classes.len(),
        folder.classes.join(", "),
        root.display(),
        loading.elapsed().as_secs_f64(),
        train.len(),
        test.len()
    );
    drop(folder);

    let model = ImageClassifier::new(args.seed);
    if !args.quiet {
        println!("{}", model.summary());
    }
    let mut trainer = model
        .compile(
            Sgd::new(args.lr).momentum(args.momentum),
            SparseCategoricalCrossentropy::default(),
        )
        .metric(Accuracy::default());
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Bar
    };
    let started = Instant::now();
    trainer.fit(
        &train.x,
        &train.y,
        Fit::epochs(args.epochs)
            .batch_size(args.batch_size)
            .seed(args.seed)
            .validation_data(&test.x, &test.y)
            .verbosity(verbosity),
    )?;
    let evaluation = trainer.evaluate(&test.x, &test.y)?;
    let test_accuracy = evaluation.get("accuracy").unwrap_or(f64::NAN);
    println!(
        "Test loss: {:.4} - test accuracy: {test_accuracy:.4} (on {} held-out images; chance is 0.1)",
        evaluation.loss,
        test.len()
    );
    println!("Training time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(Report {
        train_images: train.len(),
        test_images: test.len(),
        test_loss: evaluation.loss,
        test_accuracy,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    run(&Args::parse())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_suite::digits_png::write_digits_png;

    /// One epoch on a small folder (3 digits per class, one of them held out) written to a
    /// temporary directory.
    #[test]
    fn runs_quickly() {
        let dir = kiln_suite::scratch::tempdir().unwrap();
        write_digits_png(cli::data_dir("digits").join("digits.csv"), dir.path(), 3).unwrap();
        let args = Args::parse_from([
            "image_classifier",
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--test-fraction",
            "0.34",
            "--quiet",
            "--data",
            dir.path().to_str().unwrap(),
        ]);
        let report = run(&args).unwrap();
        assert_eq!((report.train_images, report.test_images), (20, 10));
        assert!(report.test_loss.is_finite(), "{report:?}");
        assert!((0.0..=1.0).contains(&report.test_accuracy), "{report:?}");
    }
}
