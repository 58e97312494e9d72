//! An inference-only crate builds lean: `tests/inference-only/` uses kiln with
//! `default-features = false, features = ["std"]` (models, `predict`, `kiln::io::load` from a
//! file). This test builds it, checks that none of the crates behind training, data loading,
//! image decoding or progress bars was compiled, and compares its predictions with this (full)
//! build's.

use std::path::{Path, PathBuf};
use std::process::Command;

kiln::model! {
    /// The same model as `tests/inference-only/src/main.rs`.
    struct Mlp {
        Input(784),
        Dense(64, activation = relu),
        Dense(64, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// `main.rs`'s test image `k`.
fn image(k: usize) -> [f32; 784] {
    core::array::from_fn(|i| ((i * 37 + k * 101) % 256) as f32 / 255.0)
}

/// Crates that only the `save`, `data`, `images` and `progress` features bring.
const NOT_FOR_INFERENCE: &[&str] = &[
    "csv",
    "flate2",
    "image",
    "indicatif",
    "png",
    "zune_jpeg",
    "safetensors",
    "serde_json",
];

#[test]
fn inference_only_crate_builds_lean_and_predicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("inference-only");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inference-only");
    let build = Command::new(env!("CARGO"))
        .arg("build")
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("running cargo");
    assert!(
        build.status.success(),
        "the inference-only crate does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    // Cargo reports every unit of the build, fresh or not: `"target":{..., "name":"<crate>"`.
    let compiled: Vec<String> = String::from_utf8_lossy(&build.stdout)
        .lines()
        .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
        .filter_map(|line| {
            let target = &line[line.find(r#""target":{"#)?..];
            let name = &target[target.find(r#""name":""#)? + 8..];
            Some(name[..name.find('"')?].to_string())
        })
        .collect();
    assert!(compiled.iter().any(|c| c == "kiln"), "{compiled:?}");
    for name in NOT_FOR_INFERENCE {
        assert!(
            !compiled.iter().any(|c| c == name),
            "`{name}` was compiled for an inference-only crate: {compiled:?}"
        );
    }

    let weights: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/assets/mnist-mlp.safetensors");
    let run = Command::new(target.join("debug/kiln-inference-only"))
        .arg(&weights)
        .output()
        .expect("running the inference-only program");
    assert!(run.status.success(), "the program failed: {run:?}");
    let mlp: Mlp = kiln::io::load(&weights).unwrap();
    let lines: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> = (0..8)
        .map(|k| format!("{k} {}", mlp.predict(&image(k)).argmax().0))
        .collect();
    assert_eq!(lines, want);
}
