//! The shipped 8×8 digits (`data/digits/digits.csv`) as a folder of PNG images,
//! `<out>/<class>/<row>.png`: the input of the `image_classifier` example, which reads it like
//! Keras' `image_dataset_from_directory` would.
//!
//! Each image is an 8-bit grayscale PNG, pixel = `round(value · 255 / 16)` (the CSV holds
//! 0..16), named after its zero-based data row in the CSV, so every file can be traced back.
//! The `make_image_folder` example writes `examples/assets/digits_png/` with 30 images per class.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use kiln::data::{DataError, Table};

/// Why the folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DigitsPngError {
    /// The CSV could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The CSV does not hold 64 pixels per row.
    #[error("expected 64 pixel columns, found {0}")]
    Columns(usize),
    /// A file or folder could not be created.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("cannot encode {path}: {source}")]
    Encode {
        path: PathBuf,
        source: png::EncodingError,
    },
}

/// Writes the first `per_class` images of each class of the digits CSV at `csv` to
/// `out/<class>/<row>.png`; returns the paths written, class by class.
pub fn write_digits_png(
    csv: impl AsRef<Path>,
    out: impl AsRef<Path>,
    per_class: usize,
) -> Result<Vec<PathBuf>, DigitsPngError> {
    let (digits, classes) = Table::from_csv_all(csv, "label")?.classification::<f64>();
    if digits.features() != 64 {
        return Err(DigitsPngError::Columns(digits.features()));
    }
    let mut written = Vec::new();
    for (label, class) in classes.classes().iter().enumerate() {
        let dir = out.as_ref().join(class);
        std::fs::create_dir_all(&dir).map_err(|source| DigitsPngError::Io {
            path: dir.clone(),
            source,
        })?;
        let rows = (0..digits.len()).filter(|&i| digits.y[i] == label as u32);
        for row in rows.take(per_class) {
            let pixels: Vec<u8> = digits
                .sample(row)
                .iter()
                .map(|&v| (v.clamp(0.0, 16.0) * 255.0 / 16.0).round() as u8)
                .collect();
            let path = dir.join(format!("{row:04}.png"));
            write_gray_png(&path, 8, 8, &pixels)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Writes an 8-bit grayscale PNG.
fn write_gray_png(
    path: &Path,
    width: u32,
    height: u32,
    pixels: &[u8],
) -> Result<(), DigitsPngError> {
    let file = File::create(path).map_err(|source| DigitsPngError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let encode = |source| DigitsPngError::Encode {
        path: path.to_path_buf(),
        source,
    };
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(pixels).map_err(encode)?;
    writer.finish().map_err(encode)
}
