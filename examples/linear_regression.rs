//! Seed 003, section 1: linear regression by gradient descent.
//!
//! ```text
//! cargo run --release --example linear_regression
//! ```
//!
//! Data: synthetic and seeded — `x` uniform in `[0, 2)`, `y = 2x + 1 + ε` with `ε ~ N(0, 0.2²)`
//! (`--noise` sets the standard deviation). A single `Dense(1)` unit (`y = w·x + b`) is fitted by
//! plain SGD on the mean squared error; the example prints the learnt slope and intercept next to
//! the closed-form least-squares answer for the same data, and saves the data and the fitted line
//! to `<out>/fit.png`.

use std::error::Error;
use std::path::PathBuf;

use clap::Parser;
use kiln::losses::MeanSquaredError;
use kiln::optim::Sgd;
use kiln::train::{Control, EpochLogs};
use kiln::{model, Compile, Fit, Rng};
use kiln_suite::plot::{self, XyLabels};
use kiln_suite::{cli, synth};

model! {
    /// `y = w·x + b`: one weight, one bias.
    pub struct Line { Input(1), Dense(1) }
}

/// Fit y = 2x + 1 + noise with one Dense unit and SGD.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the data.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// SGD's learning rate.
    #[arg(long, default_value_t = 0.05)]
    lr: f64,
    /// Number of data points.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Standard deviation of the noise added to 2x + 1.
    #[arg(long, default_value_t = 0.2)]
    noise: f64,
    /// Seed of the data, the initial weight and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for the plot [default: <repo>/target/kiln-linear_regression].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only the final results.
    #[arg(long)]
    quiet: bool,
}

/// What a run learnt (read by the test).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    slope: f64,
    intercept: f64,
    plot: PathBuf,
}

/// The closed-form least-squares slope and intercept.
fn least_squares(x: &[f32], y: &[f32]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let my = y.iter().map(|&v| v as f64).sum::<f64>() / n;
    let sxy: f64 = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| (a as f64 - mx) * (b as f64 - my))
        .sum();
    let sxx: f64 = x.iter().map(|&a| (a as f64 - mx).powi(2)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| cli::default_out("linear_regression"));
    let mut rng = Rng::new(args.seed);
    let x: Vec<f32> = (0..args.samples)
        .map(|_| synth::uniform_in(&mut rng, 0.0, 2.0) as f32)
        .collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&x| (2.0 * x as f64 + 1.0 + args.noise * synth::normal(&mut rng)) as f32)
        .collect();
    println!(
        "Data: {} synthetic points, y = 2x + 1 + N(0, {}²), x uniform in [0, 2), seed {}",
        args.samples, args.noise, args.seed
    );

    let mut trainer = Line::new(args.seed).compile(Sgd::new(args.lr), MeanSquaredError);
    let quiet = args.quiet;
    let every = (args.epochs / 10).max(1);
    let mut report_every = |logs: &EpochLogs| {
        if !quiet && (logs.epoch + 1).is_multiple_of(every) {
            println!("Epoch {}: loss (MSE) {:.5}", logs.epoch + 1, logs.loss);
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
    let model = trainer.model();
    let slope = model.param("dense.kernel").ok_or("no dense.kernel")?[0] as f64;
    let intercept = model.param("dense.bias").ok_or("no dense.bias")?[0] as f64;
    let (ls_slope, ls_intercept) = least_squares(&x, &y);
    println!("Slope: {slope:.4}, Intercept: {intercept:.4}");
    println!(
        "(true: slope 2, intercept 1; least squares on this data: slope {ls_slope:.4}, intercept {ls_intercept:.4})"
    );

    let points: Vec<(f64, f64)> = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (a as f64, b as f64))
        .collect();
    let line = [0.0, 2.0].map(|x| (x, slope * x + intercept));
    let plot = out.join("fit.png");
    let labels = XyLabels {
        title: "y = 2x + 1 + noise",
        points: "data",
        line: &format!("fit: y = {slope:.3}x + {intercept:.3}"),
    };
    plot::xy_png(&points, &line, labels, &plot)?;
    println!("Saved the data and the fitted line to {}", plot.display());
    Ok(Report {
        slope,
        intercept,
        plot,
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
        let out = kiln_suite::scratch::tempdir().unwrap();
        let args = Args::parse_from([
            "linear_regression",
            "--epochs",
            "20",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        let report = run(&args).unwrap();
        assert!((report.slope - 2.0).abs() < 0.15, "{report:?}");
        assert!((report.intercept - 1.0).abs() < 0.15, "{report:?}");
        assert!(report.plot.exists());
    }
}
