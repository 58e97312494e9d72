//! Paths shared by the examples' command lines.

use std::path::PathBuf;

/// The repository root (where `Cargo.toml` of `kiln-suite` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of the shipped datasets: `data_dir("mnist")` is `<repo>/data/mnist`.
pub fn data_dir(name: &str) -> PathBuf {
    repo_root().join("data").join(name)
}

/// The default output folder of an example: `<repo>/target/kiln-<example>`.
pub fn default_out(example: &str) -> PathBuf {
    repo_root().join("target").join(format!("kiln-{example}"))
}
