//! The one error type of [`crate::data`]: every way a data file or a loading request can be wrong.

use std::io;
use std::path::{Path, PathBuf};

/// `Result` with [`DataError`] as its default error type.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// Everything that can go wrong while loading or preparing data.
///
/// Each variant that concerns a file carries its path, and where it helps the line (1-based, as
/// an editor shows it), record or item index (0-based) and what was expected against what was
/// found. The messages are full sentences meant to be shown to a user as they are. Loaders never
/// panic on malformed bytes: they return one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file or folder could not be opened or read (missing, a permission problem, …).
    #[error(
        "cannot read `{}`: {source}. Check that the path exists and is readable \
         (relative paths are resolved from the current directory).",
        path.display()
    )]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// The file starts like a gzip stream but its compressed data is corrupt or cut short.
    #[error(
        "`{}` is not a valid gzip file: {source}. The file is probably corrupt or truncated \
         (an interrupted download?); fetch it again and compare its checksum.",
        path.display()
    )]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },

    /// An IDX file does not start with the magic number its kind requires.
    #[error(
        "`{}` has IDX magic number {found:#010x} where {expected:#010x} ({kind}) was expected. \
         Check that this is the right file (images and labels swapped?) and that it is an \
         IDX file, decompressed or gzipped.",
        path.display()
    )]
    IdxMagic {
        /// The file.
        path: PathBuf,
        /// What the file should be, e.g. `"IDX3 unsigned-byte images"`.
        kind: &'static str,
        /// The magic number required.
        expected: u32,
        /// The first four bytes as found (big-endian; fewer than four bytes are zero-padded).
        found: u32,
    },

    /// An IDX file is shorter than its header says.
    #[error(
        "`{}` is truncated: its IDX header implies {expected} bytes (decompressed) but the file \
         holds only {found}. Fetch the file again and compare its checksum.",
        path.display()
    )]
    IdxTruncated {
        /// The file.
        path: PathBuf,
        /// Bytes implied by the header (header included).
        expected: u64,
        /// Bytes present (decompressed).
        found: u64,
    },

    /// An IDX file is longer than its header says.
    #[error(
        "`{}` has {found} bytes (decompressed) but its IDX header implies exactly {expected}; \
         the header or the payload is wrong.",
        path.display()
    )]
    IdxTrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes implied by the header (header included).
        expected: u64,
        /// Bytes present (decompressed).
        found: u64,
    },

    /// An IDX file's dimensions are not the ones required (e.g. test images of another size
    /// than the training images).
    #[error(
        "`{}` holds items of dimensions {found:?} where {expected:?} was expected; \
         check that the training and test files belong to the same dataset.",
        path.display()
    )]
    IdxDimensions {
        /// The file.
        path: PathBuf,
        /// Dimensions required (per item, e.g. `[28, 28]`).
        expected: Vec<usize>,
        /// Dimensions found.
        found: Vec<usize>,
    },

    /// A label file holds a different number of labels than its image file holds images.
    #[error(
        "`{}` holds {labels} labels but `{}` holds {images} images; each image needs exactly \
         one label. Check that both files belong to the same split (train vs t10k).",
        labels_path.display(),
        images_path.display()
    )]
    LabelCount {
        /// The image file.
        images_path: PathBuf,
        /// The label file.
        labels_path: PathBuf,
        /// Images in the image file.
        images: usize,
        /// Labels in the label file.
        labels: usize,
    },

    /// A label is outside the range its dataset allows.
    #[error(
        "`{}`: label {index} is {value}, but labels must be below {classes}; the file is corrupt \
         or belongs to another dataset.",
        path.display()
    )]
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// Index of the item (0-based).
        index: usize,
        /// The label found.
        value: u32,
        /// The number of classes (labels run over `0..classes`).
        classes: u32,
    },

    /// A CSV file has no column of the requested name.
    #[error(
        "`{}` has no column named `{column}`; its header row has: {}. Column names are \
         case-sensitive and surrounding spaces are ignored.",
        path.display(),
        available.join(", ")
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns the header row lists.
        available: Vec<String>,
    },

    /// A CSV row has more or fewer fields than the header row.
    #[error(
        "`{}` line {line}: this row has {found} fields but the header row has {expected}. \
         Look for a missing or extra comma, or an unquoted comma inside a value.",
        path.display()
    )]
    RaggedRow {
        /// The file.
        path: PathBuf,
        /// Line number (1-based; the header is line 1).
        line: u64,
        /// Fields in the header row.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },

    /// A CSV field that must be a number is not one.
    #[error(
        "`{}` line {line}, column `{column}`: `{value}` is not a number. Numeric columns must \
         hold decimal numbers such as `5.1` or `-3e2`; leave non-numeric columns out of the \
         feature list.",
        path.display()
    )]
    NonNumeric {
        /// The file.
        path: PathBuf,
        /// Line number (1-based; the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The field as written.
        value: String,
    },

    /// A CSV file could not be parsed for another reason (invalid UTF-8, a broken quote, …).
    #[error("`{}` line {line}: cannot parse CSV: {source}.", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// Line number (1-based), 0 when unknown.
        line: u64,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },

    /// A file or series holds no data.
    #[error("`{}` holds no {what}; there is nothing to load.", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What was looked for (`"data rows"`, `"header row"`, …).
        what: &'static str,
    },

    /// An image file could not be decoded.
    #[cfg(feature = "images")]
    #[error(
        "cannot decode the image `{}`: {source}. Only PNG and JPEG are supported; the file may \
         be corrupt or carry the wrong extension.",
        path.display()
    )]
    ImageDecode {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },

    /// A class folder holds no image file.
    #[error(
        "the class folder `{}` holds no image (*.png, *.jpg, *.jpeg); remove it or add images.",
        path.display()
    )]
    EmptyClass {
        /// The class folder.
        path: PathBuf,
    },

    /// An image folder has no class sub-folders.
    #[error(
        "`{}` has no class sub-folders; expected the layout `<root>/<class>/<image>.png`, one \
         sub-folder per class.",
        path.display()
    )]
    NoClasses {
        /// The root folder.
        path: PathBuf,
    },

    /// A train/test split fraction is outside `(0, 1)`.
    #[error(
        "the test fraction {fraction} is out of range: it must lie strictly between 0 and 1 \
         (e.g. 0.2 for an 80/20 split)."
    )]
    SplitFraction {
        /// The fraction given.
        fraction: f64,
    },

    /// A file holds, or claims to hold, more than kiln reads (an endless stream such as
    /// `/dev/zero`, a compressed file that inflates past its header's size, an image whose
    /// header declares enormous dimensions).
    #[error(
        "`{}` {what}, more than the {limit} bytes kiln reads for it; check that it is the file meant.",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What is too large: "is larger", "declares an image of 100000×100000 pixels", ...
        what: String,
        /// The limit, in bytes.
        limit: u64,
    },

    /// A series is too short for the window length asked for.
    #[error(
        "a series of {len} values is too short for windows of {timesteps} steps: at least \
         {} values are needed (each window needs one more value as its target).",
        *timesteps as u128 + 1
    )]
    SeriesTooShort {
        /// Values in the series.
        len: usize,
        /// Window length asked for.
        timesteps: usize,
    },

    /// A loading parameter is invalid (zero image size, a channel count other than 1 or 3, …).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What is wrong, as a sentence.
        message: String,
    },
}

impl DataError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The file or folder the error concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use DataError::*;
        match self {
            Io { path, .. }
            | Gzip { path, .. }
            | TooLarge { path, .. }
            | IdxMagic { path, .. }
            | IdxTruncated { path, .. }
            | IdxTrailingBytes { path, .. }
            | IdxDimensions { path, .. }
            | LabelOutOfRange { path, .. }
            | MissingColumn { path, .. }
            | RaggedRow { path, .. }
            | NonNumeric { path, .. }
            | Csv { path, .. }
            | Empty { path, .. }
            | EmptyClass { path }
            | NoClasses { path } => Some(path),
            #[cfg(feature = "images")]
            ImageDecode { path, .. } => Some(path),
            LabelCount { labels_path, .. } => Some(labels_path),
            SplitFraction { .. } | SeriesTooShort { .. } | InvalidArgument { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_position() {
        let e = DataError::RaggedRow {
            path: "a/b.csv".into(),
            line: 7,
            expected: 5,
            found: 4,
        };
        let m = e.to_string();
        assert!(m.contains("a/b.csv") && m.contains("line 7") && m.contains('5'));
        assert_eq!(e.path(), Some(Path::new("a/b.csv")));

        let e = DataError::MissingColumn {
            path: "t.csv".into(),
            column: "y".into(),
            available: vec!["a".into(), "b".into()],
        };
        assert!(e.to_string().contains("a, b"), "{e}");

        let e = DataError::IdxMagic {
            path: "x".into(),
            kind: "IDX3 unsigned-byte images",
            expected: 2051,
            found: 2049,
        };
        assert!(e.to_string().contains("0x00000803"), "{e}");
    }
}
