//! Shipping a trained model: the main job's MNIST weights are compiled into this executable
//! (`include_bytes!`), read with [`kiln::io::read_into`] (no allocation, no file system, the
//! reader no_std builds use), and the 10,000 test images are classified one at a time with zero
//! allocations (counted by [`kiln::alloc_count`]). Prints the accuracy, the latency per image
//! and the size of this executable.
//!
//! ```text
//! cargo run --profile deploy --example deploy    # the size to ship: stripped, LTO, panic = abort
//! cargo run --release --example deploy -- --limit 1000
//! ```
//!
//! The weights (`examples/assets/mnist-mlp.safetensors`, a PyTorch `nn.Sequential` state_dict of
//! 220 KB) are the main job's; to retrain and ship new ones:
//!
//! ```text
//! cargo run --release --example mnist
//! cp target/kiln-mnist/mnist.safetensors examples/assets/mnist-mlp.safetensors
//! ```
//!
//! Data: the MNIST test files in `data/mnist/` (loading them allocates; inference does not).
//! The command line is parsed by hand, without clap, to keep the executable small.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::data::{load_idx_pair, MNIST_FILES};
use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

kiln::model! {
    /// The main job's classifier (`examples/mnist.rs`).
    pub struct MnistMlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// The trained weights, inside the executable.
static WEIGHTS: &[u8] = include_bytes!("assets/mnist-mlp.safetensors");

/// `--data DIR` (default `data/mnist`) and `--limit N` (default: all 10,000 images).
#[derive(Debug, Default)]
struct Args {
    data: Option<PathBuf>,
    limit: Option<usize>,
}

impl Args {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let usage = "usage: deploy [--data DIR] [--limit N]";
        let mut out = Args::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value; {usage}"));
            match flag.as_str() {
                "--data" => out.data = Some(value()?.into()),
                "--limit" => {
                    let n = value()?;
                    out.limit = Some(
                        n.parse()
                            .map_err(|_| format!("--limit {n}: not a number"))?,
                    );
                }
                "-h" | "--help" => return Err(usage.to_string()),
                _ => return Err(format!("unknown argument {flag}; {usage}")),
            }
        }
        Ok(out)
    }
}

/// What a run measured.
#[derive(Debug)]
struct Report {
    images: usize,
    accuracy: f64,
    /// Allocations while reading the embedded weights into the built model.
    read_allocations: usize,
    /// Allocations while classifying every image.
    inference_allocations: usize,
    median_ns: u64,
    p99_ns: u64,
    /// Wall time per image over an untimed pass (no clock reads between images), best of 3.
    mean_ns: f64,
    /// This executable, and the profile that built it (`target/<profile>/examples/deploy`).
    executable: PathBuf,
    executable_bytes: u64,
}

fn run(args: &Args) -> Result<Report, Box<dyn Error>> {
    // The model: its parameter buffer is the one allocation; the weights then cost none.
    let mut model = MnistMlp::new(0);
    let started = Instant::now();
    let mut read = Ok(());
    let read_allocations = allocations(|| read = kiln::io::read_into(&mut model, WEIGHTS));
    read?;
    let read_time = started.elapsed();

    let dir = args
        .data
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"));
    let (images, labels) = load_idx_pair(dir.join(MNIST_FILES[2]), dir.join(MNIST_FILES[3]), 10)?;
    let n = args.limit.unwrap_or(labels.len()).min(labels.len());
    let pixels: Vec<f32> = images.scaled();
    let samples: Vec<&[f32; 784]> = pixels
        .chunks_exact(784)
        .take(n)
        .map(|x| x.try_into().expect("784 pixels"))
        .collect();
    println!(
        "{} parameters read from {} embedded bytes in {:.0} µs with {read_allocations} allocations",
        MnistMlp::<f32>::PARAM_COUNT,
        WEIGHTS.len(),
        read_time.as_secs_f64() * 1e6,
    );
    println!("Test set: {n} images from {}", dir.display());

    // Inference, one image at a time, each timed.
    let mut latencies = vec![0u64; n];
    let mut correct = 0usize;
    let inference_allocations = allocations(|| {
        for ((x, &label), latency) in samples.iter().zip(&labels).zip(&mut latencies) {
            let t = Instant::now();
            let p = model.predict(black_box(*x));
            *latency = t.elapsed().as_nanos() as u64;
            correct += usize::from(p.argmax().0 == usize::from(label));
        }
    });
    // Throughput: the same images without clock reads in between, best of three passes (the
    // machine may be busy with other work).
    let mean_ns = (0..3)
        .map(|_| {
            let t = Instant::now();
            for x in &samples {
                black_box(model.predict(black_box(*x)));
            }
            t.elapsed().as_nanos() as f64 / n.max(1) as f64
        })
        .fold(f64::INFINITY, f64::min);
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((n as f64 * q) as usize).min(n.saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };

    let executable = std::env::current_exe()?;
    let executable_bytes = executable.metadata()?.len();
    Ok(Report {
        images: n,
        accuracy: correct as f64 / n.max(1) as f64,
        read_allocations,
        inference_allocations,
        median_ns: at(0.5),
        p99_ns: at(0.99),
        mean_ns,
        executable,
        executable_bytes,
    })
}

/// The Cargo profile of `target/<profile>/examples/deploy` (`debug` for the dev profile).
fn profile(executable: &Path) -> String {
    let dir = executable
        .parent()
        .filter(|d| d.ends_with("examples"))
        .and_then(Path::parent);
    dir.and_then(Path::file_name)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "?".to_string())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse(std::env::args().skip(1))?;
    let r = run(&args)?;
    println!(
        "Accuracy: {:.4} ({} of {} test images)",
        r.accuracy,
        (r.accuracy * r.images as f64).round(),
        r.images
    );
    println!(
        "Latency per image: median {} ns, p99 {} ns; {:.0} ns per image over a whole untimed pass",
        r.median_ns, r.p99_ns, r.mean_ns
    );
    println!(
        "Allocations: {} reading the weights, {} during inference",
        r.read_allocations, r.inference_allocations
    );
    let profile = profile(&r.executable);
    let note = match profile.as_str() {
        "deploy" => "stripped, fat LTO, one codegen unit, panic = abort",
        _ => "not stripped: `cargo run --profile deploy --example deploy` builds the size to ship",
    };
    println!(
        "Executable: {:.2} MB ({} bytes; profile `{profile}`: {note}), {} KB of it the weights",
        r.executable_bytes as f64 / 1e6,
        r.executable_bytes,
        WEIGHTS.len() / 1000,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_quickly() {
        let args = Args::parse(["--limit", "500"].map(String::from)).unwrap();
        let report = run(&args).unwrap();
        assert_eq!(report.images, 500);
        // The whole test set gives the main job's 0.97; its first 500 images about as much.
        assert!(report.accuracy > 0.95, "{report:?}");
        assert_eq!(report.read_allocations, 0, "{report:?}");
        assert_eq!(report.inference_allocations, 0, "{report:?}");
        assert!(report.executable_bytes > WEIGHTS.len() as u64);
    }

    #[test]
    fn the_embedded_weights_are_the_shipped_file() {
        let file: MnistMlp = kiln::io::load(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/assets/mnist-mlp.safetensors"),
        )
        .unwrap();
        let embedded: MnistMlp = kiln::io::read(WEIGHTS).unwrap();
        assert_eq!(file.params(), embedded.params());
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(Args::parse(["--limit", "many"].map(String::from)).is_err());
        assert!(Args::parse(["--frobnicate"].map(String::from)).is_err());
        assert!(Args::parse(["--data"].map(String::from)).is_err());
    }
}
