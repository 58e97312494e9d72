//! The MNIST training job shared by the `mnist` (MLP) and `mnist_cnn` examples: load the shipped
//! IDX files, train with Adam and sparse categorical cross-entropy while validating on the test
//! set, then report, save the weights and plot the curves. `--checkpoint` saves a full
//! checkpoint after every epoch and `--resume` continues one, exactly.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use kiln::data::Mnist;
use kiln::losses::{FitsOutput, SparseCategoricalCrossentropy};
use kiln::metrics::Accuracy;
use kiln::optim::{Adam, ExponentialDecay};
use kiln::train::ModelCheckpoint;
use kiln::{Compile, Fit, Model, Verbosity};

use crate::{cli, plot};

/// The command line of both MNIST examples.
#[derive(clap::Args, Debug, Clone)]
pub struct MnistArgs {
    /// Passes over the training data [default: the example's, 10 for the MLP, 3 for the CNN].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Multiplies the learning rate by this after every epoch (`ExponentialDecay`) [default:
    /// the example's, 1 (constant) for the MLP and the CNN].
    #[arg(long)]
    pub lr_decay: Option<f64>,
    /// Seed of the initial weights and of the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the weights and the plot [default: REPO/target/kiln-EXAMPLE].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Folder with the four MNIST files [default: REPO/data/mnist].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Train and test on the first N images of each split only (quick runs).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print only the final results.
    #[arg(long)]
    pub quiet: bool,
    /// After every epoch, save a full checkpoint (weights, Adam's state, epoch, shuffling) to
    /// PATH, atomically.
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,
    /// Continue the run saved in a checkpoint: `--epochs` more epochs, numbered on, exactly as
    /// the uninterrupted run would have trained them (same `--batch-size`, `--lr` and `--limit`).
    #[arg(long, value_name = "PATH")]
    pub resume: Option<PathBuf>,
    /// Threads to train and evaluate on; the result is the same for any number [default: the
    /// cores available].
    #[arg(long)]
    pub threads: Option<usize>,
}

/// What a run achieved.
#[derive(Debug)]
pub struct Report {
    pub test_accuracy: f64,
    pub seconds: f64,
    pub plot: PathBuf,
    pub weights: PathBuf,
}

/// Trains a fresh `M` (seeded by `--seed`) on MNIST for `--epochs` or `epochs` epochs; `name`
/// names the outputs (`<out>/<name>.safetensors`) and the default output folder.
pub fn train<M: Model<f32>>(
    name: &str,
    epochs: usize,
    args: &MnistArgs,
) -> Result<Report, Box<dyn Error>>
where
    SparseCategoricalCrossentropy: FitsOutput<M::Output>,
{
    train_with::<M>(name, (epochs, 1.0), args)
}

/// [`train`] with the example's default `(epochs, learning-rate decay per epoch)`.
pub fn train_with<M: Model<f32>>(
    name: &str,
    (epochs, lr_decay): (usize, f64),
    args: &MnistArgs,
) -> Result<Report, Box<dyn Error>>
where
    SparseCategoricalCrossentropy: FitsOutput<M::Output>,
{
    let data_dir = args.data.clone().unwrap_or_else(|| cli::data_dir("mnist"));
    let out = args.out.clone().unwrap_or_else(|| cli::default_out(name));
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

    if !args.quiet {
        println!("{}", M::SUMMARY);
    }
    let gamma = args.lr_decay.unwrap_or(lr_decay);
    let mut trainer = M::seeded(args.seed)
        .compile(Adam::new(args.lr), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default())
        .schedule(ExponentialDecay { gamma });
    if let Some(threads) = args.threads {
        trainer.set_threads(threads);
    }
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Bar
    };
    let mut fit = Fit::epochs(args.epochs.unwrap_or(epochs))
        .batch_size(args.batch_size)
        .validation_data(&test.x, &test.y)
        .verbosity(verbosity);
    match &args.resume {
        // Without a seed, fit continues the checkpoint's shuffling.
        Some(path) => {
            trainer.load_checkpoint(path)?;
            println!(
                "Resumed from {} after epoch {}",
                path.display(),
                trainer.epochs_done()
            );
        }
        None => fit = fit.seed(args.seed),
    }
    let mut saver = args
        .checkpoint
        .as_ref()
        .map(|path| ModelCheckpoint::new(path).map(|saver| saver.save_best_only(false)))
        .transpose()?;
    if let Some(saver) = &mut saver {
        fit = fit.callback(saver);
    }
    let started = Instant::now();
    let history = trainer.fit(&train.x, &train.y, fit)?;
    let seconds = started.elapsed().as_secs_f64();

    let evaluation = trainer.evaluate(&test.x, &test.y)?;
    let test_accuracy = evaluation.get("accuracy").unwrap_or(f64::NAN);
    println!(
        "Test loss: {:.4} - test accuracy: {:.4}",
        evaluation.loss, test_accuracy
    );
    println!(
        "Training time: {seconds:.2} s for {} epochs of {} images (validation included)",
        history.epochs.len(),
        train.len()
    );
    std::fs::create_dir_all(&out)?;
    let weights = out.join(format!("{name}.safetensors"));
    kiln::io::save(trainer.model(), &weights)?;
    println!("Saved the trained weights to {}", weights.display());
    let plot = out.join("history.png");
    plot::history_png(&history, &["loss", "accuracy"], &plot)?;
    println!("Saved the loss and accuracy curves to {}", plot.display());
    Ok(Report {
        test_accuracy,
        seconds,
        plot,
        weights,
    })
}
