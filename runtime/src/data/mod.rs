//! Loading real data: MNIST (IDX, gzipped), CSV tables, time series and image folders, with
//! typed errors ([`DataError`]) that name the file and the line or item at fault.
//!
//! Everything ends in a [`Dataset`]: features sample-major in one `Vec<T>` (`features()` values
//! per sample) and one target per sample (`u32` class indices, or `T` for regression), ready to
//! hand to training as `&ds.x` and `&ds.y`. Preprocessing ([`StandardScaler`],
//! [`MinMaxScaler`]) is fitted on the training split only; splits are seeded through
//! [`crate::Rng`], so every run with the same seed sees the same data, except time series, which
//! [`chronological_split`] cuts in time order.
//!
//! ```
//! use kiln::data::{stratified_split, StandardScaler, Table};
//! use std::path::Path;
//!
//! # fn main() -> kiln::data::Result<()> {
//! let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/iris/iris.csv");
//! let table = Table::from_csv_all(&path, "label")?; // 4 numeric features + a class column
//! let (iris, encoder) = table.classification::<f32>();
//! assert_eq!((iris.len(), iris.features(), encoder.len()), (150, 4, 3));
//!
//! let split = stratified_split(&iris.y, 0.2, 42)?; // 120 / 30, 10 test samples per class
//! let (mut train, mut test) = iris.split(&split);
//! let scaler = StandardScaler::fit(&train.x, train.features()); // training data only
//! scaler.transform(&mut train.x);
//! scaler.transform(&mut test.x);
//! assert_eq!((train.len(), test.len()), (120, 30));
//! # Ok(())
//! # }
//! ```
//!
//! The datasets shipped with kiln sit in the `data/` folder at the repository root; see its
//! `README.md` for sources and licences.

mod dataset;
mod error;
#[cfg(feature = "images")]
mod images;
mod mnist;
mod preprocess;
mod series;
mod table;

pub use dataset::{one_hot, stratified_split, train_test_split, Dataset, Split};
pub use error::{DataError, Result};
#[cfg(feature = "images")]
pub use images::{load_image, ImageFolder, IMAGE_EXTENSIONS, MAX_DECODED_PIXELS, MAX_IMAGE_VALUES};
pub use mnist::{
    load_idx_images, load_idx_labels, load_idx_pair, max_inflated_bytes, read_maybe_gzip,
    set_max_inflated_bytes, Images, Mnist, DEFAULT_MAX_INFLATED_BYTES, IDX_IMAGES_MAGIC,
    IDX_LABELS_MAGIC, MAX_READ_BYTES, MNIST_FILES,
};
pub use preprocess::{MinMaxScaler, StandardScaler};
pub use series::{chronological_split, load_series, windows};
pub use table::{LabelEncoder, Table, MAX_CSV_BYTES, MAX_CSV_LINE_BYTES};
