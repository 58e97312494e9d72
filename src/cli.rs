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

/// The image folder of the `image_classifier` example, `<repo>/examples/assets/digits_png`,
/// written by the `make_image_folder` example. It lives beside the examples rather than in
/// `data/`, whose files are all checksummed in `data/SHA256SUMS` by a runtime test.
pub fn digits_png_dir() -> PathBuf {
    repo_root()
        .join("examples")
        .join("assets")
        .join("digits_png")
}

/// The default output folder of an example: `<repo>/target/kiln-<example>`.
pub fn default_out(example: &str) -> PathBuf {
    repo_root().join("target").join(format!("kiln-{example}"))
}
