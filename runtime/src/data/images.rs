//! Image classification folders: `<root>/<class>/<image>.png|jpg|jpeg`, like Keras'
//! `image_dataset_from_directory`.

use std::io::Cursor;
use std::io::Read;
use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageBuffer, Luma, Pixel};

use super::{DataError, Dataset, Result};
use crate::Scalar;

/// File extensions taken as images (compared case-insensitively).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// A labelled image dataset read from one folder per class.
///
/// Classes are the sub-folders of the root sorted by name (hidden ones, starting with `.`,
/// skipped); class `i` is `classes[i]`. Within a class, image files are taken in sorted path
/// order, and classes one after another, so the order is deterministic; shuffle or split with
/// [`crate::data::train_test_split`] / [`crate::data::stratified_split`].
///
/// Every sample is `height × width × channels` values in `[0, 1]` (`byte / 255`), channels-last
/// and row-major — Keras' `(height, width, channels)` layout flattened — so `data.x` is
/// sample-major.
#[derive(Clone, Debug)]
pub struct ImageFolder<T = f32> {
    /// Pixels and class indices.
    pub data: Dataset<T>,
    /// Class names, in index order.
    pub classes: Vec<String>,
    /// The file of each sample.
    pub paths: Vec<PathBuf>,
    /// Height of every sample.
    pub height: usize,
    /// Width of every sample.
    pub width: usize,
    /// Channels of every sample: 1 (grayscale) or 3 (RGB).
    pub channels: usize,
}

impl<T: Scalar> ImageFolder<T> {
    /// Loads every PNG and JPEG under `<root>/<class>/`, each resized to `height × width` and
    /// converted to `channels` (1 or 3); see [`load_image`] for the conversion. Other files are
    /// ignored, as are nested folders.
    ///
    /// Errors: [`DataError::Io`] (root or a file unreadable), [`DataError::NoClasses`] (no
    /// sub-folder), [`DataError::EmptyClass`] (a class folder without images),
    /// [`DataError::ImageDecode`], [`DataError::InvalidArgument`] (zero size, channels not 1 or
    /// 3).
    pub fn load(
        root: impl AsRef<Path>,
        height: usize,
        width: usize,
        channels: usize,
    ) -> Result<Self> {
        let root = root.as_ref();
        check_args(height, width, channels)?;
        let class_dirs = sorted_entries(root, |p| p.is_dir())?;
        if class_dirs.is_empty() {
            return Err(DataError::NoClasses {
                path: root.to_path_buf(),
            });
        }
        let mut classes = Vec::with_capacity(class_dirs.len());
        let (mut x, mut y, mut paths) = (Vec::new(), Vec::new(), Vec::new());
        for (label, dir) in class_dirs.iter().enumerate() {
            let files = sorted_entries(dir, |p| p.is_file() && is_image_file(p))?;
            if files.is_empty() {
                return Err(DataError::EmptyClass { path: dir.clone() });
            }
            for file in files {
                x.extend(load_image::<T>(&file, height, width, channels)?);
                y.push(label as u32);
                paths.push(file);
            }
            classes.push(
                dir.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        Ok(ImageFolder {
            data: Dataset::new(x, y, height * width * channels),
            classes,
            paths,
            height,
            width,
            channels,
        })
    }
}

/// Most values one loaded image may have (`height × width × channels`): 2²⁴, e.g. 2364×2364 RGB
/// or 4096×4096 grayscale.
pub const MAX_IMAGE_VALUES: usize = 1 << 24;

/// Most pixels a decoded image may have before resizing (8192×8192), and the most memory its
/// decoder may allocate: an image header that declares enormous dimensions is an error, not an
/// out-of-memory abort.
pub const MAX_DECODED_PIXELS: u64 = 1 << 26;
const MAX_DECODER_ALLOC: u64 = 1 << 28;
/// Largest image file read.
const MAX_IMAGE_FILE: u64 = 1 << 28;

fn check_args(height: usize, width: usize, channels: usize) -> Result<()> {
    if height == 0 || width == 0 || height > u32::MAX as usize || width > u32::MAX as usize {
        return Err(DataError::InvalidArgument {
            message: format!("image size {height}×{width} must be positive"),
        });
    }
    if channels != 1 && channels != 3 {
        return Err(DataError::InvalidArgument {
            message: format!(
                "images can be loaded with 1 (grayscale) or 3 (RGB) channels, not {channels}"
            ),
        });
    }
    let values = height
        .checked_mul(width)
        .and_then(|hw| hw.checked_mul(channels));
    if values.is_none_or(|v| v > MAX_IMAGE_VALUES) {
        return Err(DataError::InvalidArgument {
            message: format!(
                "images of {height}×{width}×{channels} values are larger than the {MAX_IMAGE_VALUES} values kiln loads per image"
            ),
        });
    }
    Ok(())
}

fn is_image_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The non-hidden entries of `dir` that satisfy `keep`, sorted by path.
fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let io = |e| DataError::io(dir, e);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."));
        if !hidden && keep(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Loads one image as `height × width × channels` values in `[0, 1]`, channels-last, row-major.
///
/// As Keras' `load_img(path, color_mode, target_size)`: the image is first converted (alpha
/// dropped; grayscale as `L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`, ITU-R 601 luma, like
/// Pillow), then resized with a bilinear (triangle) filter unless it already has the target size,
/// then each byte is divided by 255. The format is taken from the file's content, not its name.
pub fn load_image<T: Scalar>(
    path: impl AsRef<Path>,
    height: usize,
    width: usize,
    channels: usize,
) -> Result<Vec<T>> {
    let path = path.as_ref();
    check_args(height, width, channels)?;
    let too_large = |what: String, limit| DataError::TooLarge {
        path: path.to_path_buf(),
        what,
        limit,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_IMAGE_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| DataError::io(path, e))?;
    if bytes.len() as u64 > MAX_IMAGE_FILE {
        return Err(too_large("is larger".into(), MAX_IMAGE_FILE));
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DataError::io(path, e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|source| match source {
        image::ImageError::Limits(_) => too_large(
            "declares an image larger than its decoder may allocate".into(),
            MAX_DECODER_ALLOC,
        ),
        source => DataError::ImageDecode {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let pixels = u64::from(decoded.width()) * u64::from(decoded.height());
    if pixels > MAX_DECODED_PIXELS {
        return Err(too_large(
            format!(
                "declares an image of {}×{} pixels",
                decoded.width(),
                decoded.height()
            ),
            MAX_DECODED_PIXELS * 3,
        ));
    }
    let rgb = decoded.to_rgb8();
    let (w, h) = (width as u32, height as u32);
    let raw: Vec<u8> = if channels == 3 {
        resized(rgb, w, h).into_raw()
    } else {
        let gray: GrayImage = ImageBuffer::from_fn(rgb.width(), rgb.height(), |x, y| {
            let p = rgb.get_pixel(x, y).channels();
            let l = (19595 * p[0] as u32 + 38470 * p[1] as u32 + 7471 * p[2] as u32 + 0x8000) >> 16;
            Luma([l as u8])
        });
        resized(gray, w, h).into_raw()
    };
    let lut: Vec<T> = (0..=255u8).map(|p| T::of(p as f64 / 255.0)).collect();
    Ok(raw.iter().map(|&b| lut[b as usize]).collect())
}

fn resized<P>(img: ImageBuffer<P, Vec<u8>>, w: u32, h: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    if img.dimensions() == (w, h) {
        img
    } else {
        imageops::resize(&img, w, h, FilterType::Triangle)
    }
}
