//! kiln's inference works without `std`: `tests/no-std/` is a `#![no_std]` crate (kiln with
//! `default-features = false`, its own `#[panic_handler]`, so a leak of `std` fails its build
//! with E0152) that declares an MLP and an LSTM model, reads their weights from
//! `include_bytes!` and runs `predict`, `predict_with` and streaming `step_with`. This test
//! builds it, runs its no_std program, and checks the outputs against this (std) build's.

use kiln::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

kiln::model! {
    /// The same models as `tests/no-std/src/lib.rs`.
    struct Mlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
    struct Forecaster {
        Input(10, 1),
        LSTM(10, return_sequences = true),
        LSTM(10),
        Dense(10, activation = relu),
        Dense(1),
    }
}

/// `kiln_no_std::FORECASTER_SEED`.
const FORECASTER_SEED: u64 = 3;

fn crate_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("no-std")
}

/// `main.rs`'s test image `k`.
fn image(k: usize) -> [f32; 784] {
    core::array::from_fn(|i| ((i * 37 + k * 101) % 256) as f32 / 255.0)
}

/// `main.rs`'s test window `k`.
fn window(k: usize) -> [f32; 10] {
    core::array::from_fn(|i| ((i + 3 * k) % 7) as f32 / 7.0 - 0.4)
}

fn float(bits: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(bits, 16).expect("hex bits"))
}

#[test]
fn embedded_forecaster_weights_are_current() {
    let path = crate_dir().join("weights/forecaster.safetensors");
    let bytes = io::to_bytes(&Forecaster::new(FORECASTER_SEED));
    if std::env::var_os("KILN_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == bytes,
        "{} is stale: regenerate it with `KILN_BLESS=1 cargo test -p kiln-tests --test no_std`",
        path.display()
    );
}

#[test]
fn inference_builds_and_runs_without_std() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-std");
    let started = Instant::now();
    let build = Command::new(env!("CARGO"))
        .arg("build")
        .arg("--manifest-path")
        .arg(crate_dir().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("running cargo");
    assert!(
        build.status.success(),
        "the no_std crate does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    eprintln!(
        "no_std crate built in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let run = Command::new(target.join("debug/kiln-no-std"))
        .output()
        .expect("running the no_std program");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the no_std program failed: {run:?}");

    // The no_std build has no run-time CPU detection and, built without target features, runs
    // the portable kernels: so does this side, for the same sums in the same order.
    kiln::kernels::set_isa(kiln::kernels::Isa::Portable);
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/assets");
    let mlp: Mlp = io::load(assets.join("mnist-mlp.safetensors")).unwrap();
    let forecaster = Forecaster::new(FORECASTER_SEED);
    let (mut mlp_lines, mut forecast_lines, mut exact, mut values) = (0, 0, 0, 0);
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["mlp", k, digit, probabilities @ ..] => {
                let k: usize = k.parse().unwrap();
                let want = mlp.predict(&image(k));
                assert_eq!(digit.parse::<usize>().unwrap(), want.argmax().0, "{line}");
                assert_eq!(probabilities.len(), 10, "{line}");
                // The softmax's `exp` is the libm crate's there and the C library's here: they
                // may differ in the last place.
                for (got, &want) in probabilities.iter().map(|b| float(b)).zip(want.iter()) {
                    let ulps = (got - want).abs() / (want.abs() * f32::EPSILON);
                    assert!(ulps <= 4.0, "{line}: {got:e} against {want:e}");
                    exact += usize::from(got == want);
                    values += 1;
                }
                mlp_lines += 1;
            }
            ["forecast", k, streamed, whole] => {
                // kiln's own `exp`, `σ` and `tanh` (`kiln::math`): the same bits.
                let k: usize = k.parse().unwrap();
                let want = forecaster.predict(&window(k))[0];
                assert_eq!(float(whole), want, "{line}");
                let mut state = ForecasterState::default();
                let streamed_here = window(k)
                    .iter()
                    .map(|&r| forecaster.step(&mut state, &[r])[0])
                    .last();
                assert_eq!(Some(float(streamed)), streamed_here, "{line}");
                exact += 2;
                values += 2;
                forecast_lines += 1;
            }
            _ => panic!("unexpected output line {line:?}"),
        }
    }
    assert_eq!((mlp_lines, forecast_lines), (8, 4), "{stdout}");
    eprintln!("{exact} of {values} no_std outputs equal the std build's bit for bit, the others within 4 ulp");
}
