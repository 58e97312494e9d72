//! Writes the image folder the `image_classifier` example trains on: the first 30 images of each
//! class of the shipped 8×8 digits (`data/digits/digits.csv`) as grayscale PNG files,
//! `examples/assets/digits_png/<class>/<row>.png` (300 files, committed to the repository).
//!
//! ```text
//! cargo run --example make_image_folder                  # regenerates examples/assets/digits_png
//! cargo run --example make_image_folder -- --out /tmp/digits --per-class 100
//! ```
//!
//! Data: scikit-learn's digits (the test set of the UCI "Optical Recognition of Handwritten
//! Digits" dataset, E. Alpaydin and C. Kaynak, 1998; see `data/README.md`). Pixel values 0..16
//! become gray levels `round(v · 255 / 16)`; the file name is the image's zero-based row in the
//! CSV.

use std::error::Error;
use std::path::PathBuf;

use clap::Parser;
use kiln_suite::cli;
use kiln_suite::digits_png::write_digits_png;

/// Write the shipped digits as a folder of PNG images, one sub-folder per class.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// The digits CSV [default: <repo>/data/digits/digits.csv].
    #[arg(long)]
    csv: Option<PathBuf>,
    /// The folder to write [default: <repo>/examples/assets/digits_png].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Images per class (the first ones of each class in the CSV).
    #[arg(long, default_value_t = 30)]
    per_class: usize,
}

fn run(args: &Args) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let csv = args
        .csv
        .clone()
        .unwrap_or_else(|| cli::data_dir("digits").join("digits.csv"));
    let out = args.out.clone().unwrap_or_else(cli::digits_png_dir);
    println!("Data: scikit-learn's 8x8 digits from {}", csv.display());
    let written = write_digits_png(&csv, &out, args.per_class)?;
    println!(
        "Wrote {} PNG images ({} per class) to {}",
        written.len(),
        args.per_class,
        out.display()
    );
    Ok(written)
}

fn main() -> Result<(), Box<dyn Error>> {
    run(&Args::parse())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regenerating gives exactly the committed files.
    #[test]
    fn runs_quickly() {
        let out = kiln_suite::scratch::tempdir().unwrap();
        let args = Args::parse_from([
            "make_image_folder",
            "--per-class",
            "3",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        let written = run(&args).unwrap();
        assert_eq!(written.len(), 30);
        let committed = cli::digits_png_dir();
        for path in written {
            let relative = path.strip_prefix(out.path()).unwrap();
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(committed.join(relative)).unwrap(),
                "{} differs from the committed file",
                relative.display()
            );
        }
    }
}
