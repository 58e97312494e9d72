//! MNIST and other IDX files (optionally gzipped).
//!
//! IDX layout: all header integers are unsigned 32-bit big-endian. Images: magic `0x00000803`
//! (2051), item count, rows, columns, then `count × rows × cols` bytes, row-major, one image after
//! another. Labels: magic `0x00000801` (2049), item count, then `count` bytes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{DataError, Dataset, Result};
use crate::Scalar;

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// The four file names of MNIST, as distributed: train images, train labels, test images, test
/// labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Largest file [`read_maybe_gzip`] reads (after decompression): 4 GiB. IDX files are read up
/// to the size their header declares instead.
pub const MAX_READ_BYTES: u64 = 1 << 32;

/// The default of [`max_inflated_bytes`]: 1 GiB (MNIST's largest file inflates to 47 MB).
pub const DEFAULT_MAX_INFLATED_BYTES: u64 = 1 << 30;

static MAX_INFLATED: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INFLATED_BYTES);

/// The most bytes any decompressing reader of kiln's inflates one file to: gzip IDX files
/// ([`load_idx_images`], [`load_idx_labels`], [`Mnist::load`]) and [`read_maybe_gzip`]. An IDX
/// file whose header declares more is [`DataError::TooLarge`] before anything is inflated;
/// [`read_maybe_gzip`], which has no header to go by, stops there. One limit for the whole
/// process, [`DEFAULT_MAX_INFLATED_BYTES`] unless [`set_max_inflated_bytes`] changed it.
pub fn max_inflated_bytes() -> u64 {
    MAX_INFLATED.load(Ordering::Relaxed)
}

/// Sets [`max_inflated_bytes`] for the whole process (e.g. to read a dataset larger than
/// 1 GiB once inflated, or to hold a service to less).
pub fn set_max_inflated_bytes(bytes: u64) {
    MAX_INFLATED.store(bytes, Ordering::Relaxed);
}

/// How far past an IDX file's declared end a gzip stream is inflated (into nothing) to see
/// whether it is corrupt: 16 MiB.
const GZIP_LOOKAHEAD: u64 = 16 << 20;

/// Deflate expands at most about 1032:1: what a gzip file of `len` bytes can inflate to.
fn inflated_bound(len: u64) -> u64 {
    len.saturating_mul(1032)
}

/// The file at `path`, decompressed if it starts with the gzip magic bytes `1f 8b`, with its
/// length on disk if it is a regular file (streams have none).
fn open_maybe_gzip(path: &Path) -> Result<(Box<dyn Read>, bool, Option<u64>)> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut file = std::io::BufReader::new(file);
    let head = std::io::BufRead::fill_buf(&mut file).map_err(|e| DataError::io(path, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(flate2::bufread::GzDecoder::new(file)), true, len))
    } else {
        Ok((Box::new(file), false, len))
    }
}

/// Up to `limit` bytes of `reader` (one more, if there are more, to tell).
fn read_up_to(path: &Path, reader: &mut dyn Read, gzip: bool, limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| match gzip {
            true => DataError::Gzip {
                path: path.to_path_buf(),
                source,
            },
            false => DataError::io(path, source),
        })?;
    Ok(out)
}

/// Reads a whole file, decompressing it if it starts with the gzip magic bytes `1f 8b`.
///
/// A file without the gzip magic is returned as it is, so both `x.gz` and its decompressed form
/// load the same way. Errors: [`DataError::Io`] if the file cannot be read, [`DataError::Gzip`]
/// if the compressed stream is corrupt or cut short, [`DataError::TooLarge`] past
/// [`MAX_READ_BYTES`] (an endless stream such as `/dev/zero` ends there), or, for a gzip file,
/// past [`max_inflated_bytes`].
pub fn read_maybe_gzip(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let (mut reader, gzip, _) = open_maybe_gzip(path)?;
    let (limit, what) = match gzip {
        true => (MAX_READ_BYTES.min(max_inflated_bytes()), "inflates to more"),
        false => (MAX_READ_BYTES, "is larger"),
    };
    let out = read_up_to(path, &mut reader, gzip, limit)?;
    if out.len() as u64 > limit {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            what: what.into(),
            limit,
        });
    }
    Ok(out)
}

/// An IDX file's bytes (decompressed), read up to the length its header declares plus one
/// byte: never more than the header says, nor a declared length that the file cannot hold.
fn read_idx(path: &Path, magic: u32, kind: &'static str, ndims: usize) -> Result<Vec<u8>> {
    let (mut reader, gzip, len) = open_maybe_gzip(path)?;
    let header = 4 + 4 * ndims;
    let mut bytes = read_up_to(path, &mut reader, gzip, header as u64 - 1)?;
    if bytes.len() == header {
        // The header is whole: declared length = header + the product of the dimensions.
        parse_idx(path, &bytes, magic, kind, ndims).or_else(|e| match e {
            DataError::IdxTruncated { expected, .. } => {
                let can_follow = match (gzip, len) {
                    (true, Some(len)) => inflated_bound(len),
                    (false, Some(len)) => len,
                    (_, None) => MAX_READ_BYTES,
                };
                if expected > can_follow.max(header as u64) {
                    return Err(DataError::IdxTruncated {
                        path: path.to_path_buf(),
                        expected,
                        found: len.unwrap_or(0),
                    });
                }
                Ok(Vec::new())
            }
            e => Err(e),
        })?;
        let dims: u128 = (0..ndims)
            .map(|d| be_u32(&bytes, 4 + 4 * d) as u128)
            .product();
        let payload = u64::try_from(dims).unwrap_or(u64::MAX);
        let declared = payload.saturating_add(header as u64);
        let limit = max_inflated_bytes();
        if gzip && declared > limit {
            return Err(DataError::TooLarge {
                path: path.to_path_buf(),
                what: format!("declares {declared} bytes once inflated"),
                limit,
            });
        }
        bytes.extend(read_up_to(path, &mut reader, gzip, payload)?);
        if gzip && bytes.len() as u64 > header as u64 + payload {
            // More than declared: a corrupt stream (which its checksum would show) or a bomb.
            // Inflate a bounded stretch more, into nothing, to tell the two apart.
            std::io::copy(&mut reader.take(GZIP_LOOKAHEAD), &mut std::io::sink()).map_err(
                |source| DataError::Gzip {
                    path: path.to_path_buf(),
                    source,
                },
            )?;
        }
    }
    parse_idx(path, &bytes, magic, kind, ndims)?;
    Ok(bytes)
}

/// Images loaded from an IDX file: `count` images of `rows × cols` bytes each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows (height) of each image.
    pub rows: usize,
    /// Columns (width) of each image.
    pub cols: usize,
    /// `count × rows × cols` bytes: image `i` occupies `[i·rows·cols .. (i+1)·rows·cols]`,
    /// row-major within the image.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Values per image: `rows × cols`.
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The bytes of image `i`, row-major. Panics if `i >= count`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// All pixels scaled to `[0, 1]` (`p / 255`), sample-major: image `i` occupies
    /// `[i·rows·cols .. (i+1)·rows·cols]`, row-major — Keras' `(rows, cols, 1)` channels-last
    /// layout flattened.
    pub fn scaled<T: Scalar>(&self) -> Vec<T> {
        let lut: Vec<T> = (0..=255u8).map(|p| T::of(p as f64 / 255.0)).collect();
        self.pixels.iter().map(|&p| lut[p as usize]).collect()
    }

    /// Mean pixel value over all images, in `0..=255`.
    pub fn mean(&self) -> f64 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        self.pixels.iter().map(|&p| p as u64).sum::<u64>() as f64 / self.pixels.len() as f64
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks magic and total length; returns the header's dimensions.
fn parse_idx(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    kind: &'static str,
    ndims: usize,
) -> Result<Vec<usize>> {
    let mut head = [0u8; 4];
    let n = bytes.len().min(4);
    head[..n].copy_from_slice(&bytes[..n]);
    let found = u32::from_be_bytes(head);
    if found != magic {
        return Err(DataError::IdxMagic {
            path: path.to_path_buf(),
            kind,
            expected: magic,
            found,
        });
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(DataError::IdxTruncated {
            path: path.to_path_buf(),
            expected: header as u64,
            found: bytes.len() as u64,
        });
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| be_u32(bytes, 4 + 4 * d) as usize)
        .collect();
    // At most three u32 factors: exact in u128.
    let payload: u128 = dims.iter().map(|&d| d as u128).product();
    let expected = u64::try_from(payload + header as u128).unwrap_or(u64::MAX);
    let found = bytes.len() as u64;
    if found < expected {
        return Err(DataError::IdxTruncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(DataError::IdxTrailingBytes {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(dims)
}

/// Loads an IDX3 unsigned-byte image file (gzipped or not).
///
/// Errors: [`DataError::Io`], [`DataError::Gzip`], [`DataError::IdxMagic`] (not `0x00000803`),
/// [`DataError::IdxTruncated`] / [`DataError::IdxTrailingBytes`] (length ≠ `16 + count·rows·cols`).
pub fn load_idx_images(path: impl AsRef<Path>) -> Result<Images> {
    let path = path.as_ref();
    let kind = "IDX3 unsigned-byte images";
    let mut bytes = read_idx(path, IDX_IMAGES_MAGIC, kind, 3)?;
    let dims = parse_idx(path, &bytes, IDX_IMAGES_MAGIC, kind, 3)?;
    bytes.drain(..16);
    Ok(Images {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels: bytes,
    })
}

/// Loads an IDX1 unsigned-byte label file (gzipped or not): one byte per item.
///
/// Errors: as [`load_idx_images`], with magic `0x00000801` and length `8 + count`.
pub fn load_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let mut bytes = read_idx(path, IDX_LABELS_MAGIC, "IDX1 unsigned-byte labels", 1)?;
    bytes.drain(..8);
    Ok(bytes)
}

/// Loads a matching pair of image and label files, checking that the counts agree and that every
/// label is below `classes`.
pub fn load_idx_pair(
    images_path: impl AsRef<Path>,
    labels_path: impl AsRef<Path>,
    classes: u32,
) -> Result<(Images, Vec<u8>)> {
    let (images_path, labels_path) = (images_path.as_ref(), labels_path.as_ref());
    let images = load_idx_images(images_path)?;
    let labels = load_idx_labels(labels_path)?;
    if labels.len() != images.count {
        return Err(DataError::LabelCount {
            images_path: images_path.to_path_buf(),
            labels_path: labels_path.to_path_buf(),
            images: images.count,
            labels: labels.len(),
        });
    }
    if let Some((index, &value)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| l as u32 >= classes)
    {
        return Err(DataError::LabelOutOfRange {
            path: labels_path.to_path_buf(),
            index,
            value: value as u32,
            classes,
        });
    }
    Ok((images, labels))
}

/// The MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28 pixels, labels
/// 0..9.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Training images.
    pub train_images: Images,
    /// Training labels, `0..10`, one per training image.
    pub train_labels: Vec<u8>,
    /// Test images.
    pub test_images: Images,
    /// Test labels, `0..10`, one per test image.
    pub test_labels: Vec<u8>,
}

impl Mnist {
    /// Number of classes (digits 0..9).
    pub const CLASSES: usize = 10;

    /// Loads the four files named in [`MNIST_FILES`] from `dir` (each gzipped or, under the same
    /// name, not).
    ///
    /// Checks, besides each file's own format: label count = image count in each split, labels
    /// below 10, and that test images have the same size as training images
    /// ([`DataError::IdxDimensions`] otherwise).
    pub fn load(dir: impl AsRef<Path>) -> Result<Mnist> {
        let dir = dir.as_ref();
        let p = |name: &str| -> PathBuf { dir.join(name) };
        let classes = Self::CLASSES as u32;
        let (train_images, train_labels) =
            load_idx_pair(p(MNIST_FILES[0]), p(MNIST_FILES[1]), classes)?;
        let (test_images, test_labels) =
            load_idx_pair(p(MNIST_FILES[2]), p(MNIST_FILES[3]), classes)?;
        if (test_images.rows, test_images.cols) != (train_images.rows, train_images.cols) {
            return Err(DataError::IdxDimensions {
                path: p(MNIST_FILES[2]),
                expected: vec![train_images.rows, train_images.cols],
                found: vec![test_images.rows, test_images.cols],
            });
        }
        Ok(Mnist {
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }

    /// The training split as a [`Dataset`]: `x` scaled to `[0, 1]`, 784 features per sample,
    /// labels as `u32`.
    pub fn train<T: Scalar>(&self) -> Dataset<T> {
        to_dataset(&self.train_images, &self.train_labels)
    }

    /// The test split as a [`Dataset`], like [`Mnist::train`].
    pub fn test<T: Scalar>(&self) -> Dataset<T> {
        to_dataset(&self.test_images, &self.test_labels)
    }
}

fn to_dataset<T: Scalar>(images: &Images, labels: &[u8]) -> Dataset<T> {
    Dataset::new(
        images.scaled(),
        labels.iter().map(|&l| l as u32).collect(),
        images.pixels_per_image(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(payload);
        v
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn small_files_plain_and_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let img = idx(
            IDX_IMAGES_MAGIC,
            &[2, 2, 3],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255],
        );
        let plain = dir.path().join("i");
        let zipped = dir.path().join("i.gz");
        std::fs::write(&plain, &img).unwrap();
        std::fs::write(&zipped, gz(&img)).unwrap();
        let a = load_idx_images(&plain).unwrap();
        let b = load_idx_images(&zipped).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.count, a.rows, a.cols), (2, 2, 3));
        assert_eq!(a.image(1), &[6, 7, 8, 9, 10, 255]);
        let s: Vec<f32> = a.scaled();
        assert_eq!(s[11], 1.0);
        assert_eq!(s[0], 0.0);
        assert!((s[1] - 1.0 / 255.0).abs() < 1e-7);
    }

    #[test]
    fn header_shorter_than_magic_is_wrong_magic_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        for bytes in [&[][..], &[0, 0, 8][..]] {
            let p = dir.path().join("short");
            std::fs::write(&p, bytes).unwrap();
            assert!(matches!(
                load_idx_labels(&p),
                Err(DataError::IdxMagic { found: 0, .. }) | Err(DataError::IdxMagic { .. })
            ));
        }
        // Right magic, header cut short.
        let p = dir.path().join("hdr");
        std::fs::write(&p, [0, 0, 8, 3, 0, 0]).unwrap();
        assert!(matches!(
            load_idx_images(&p),
            Err(DataError::IdxTruncated {
                expected: 16,
                found: 6,
                ..
            })
        ));
        // A header claiming 4 billion cubed bytes must not allocate or overflow.
        let p = dir.path().join("huge");
        std::fs::write(&p, idx(IDX_IMAGES_MAGIC, &[u32::MAX; 3], &[])).unwrap();
        assert!(matches!(
            load_idx_images(&p),
            Err(DataError::IdxTruncated { .. })
        ));
    }
}
