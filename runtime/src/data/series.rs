//! Time series: one numeric CSV column, cut into windows for one-step-ahead forecasting.

use std::path::Path;

use super::table::RawCsv;
use super::{DataError, Dataset, Result};

/// Reads the column named `column` of a CSV file (header row, comma-separated) as numbers, in
/// file order.
///
/// Errors: [`DataError::Io`], [`DataError::MissingColumn`], [`DataError::RaggedRow`],
/// [`DataError::NonNumeric`], [`DataError::Csv`], [`DataError::Empty`].
pub fn load_series(path: impl AsRef<Path>, column: &str) -> Result<Vec<f64>> {
    let raw = RawCsv::read(path.as_ref())?;
    let col = raw.column(column)?;
    raw.numeric(col)
}

/// Sliding windows for one-step-ahead forecasting: sample `i` is
/// `series[i .. i + timesteps]` and its target is `series[i + timesteps]`, for
/// `i = 0 .. len − timesteps`.
///
/// The result has `timesteps` features per sample, which is also Keras' `(timesteps, 1)`
/// channels-last input for a recurrent layer, flattened. Windows are in time order: split them
/// chronologically (e.g. `subset` of the first 80 % and of the rest), not at random, or the test
/// windows overlap the training ones.
///
/// Errors: [`DataError::SeriesTooShort`] if `series.len() <= timesteps`,
/// [`DataError::InvalidArgument`] if `timesteps` is 0.
///
/// ```
/// let ds = kiln::data::windows(&[1.0f32, 2.0, 3.0, 4.0, 5.0], 3).unwrap();
/// assert_eq!(ds.len(), 2);
/// assert_eq!(ds.x, [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]);
/// assert_eq!(ds.y, [4.0, 5.0]);
/// ```
pub fn windows<T: Copy>(series: &[T], timesteps: usize) -> Result<Dataset<T, T>> {
    if timesteps == 0 {
        return Err(DataError::InvalidArgument {
            message: "a forecasting window needs at least one time step (timesteps = 0)".into(),
        });
    }
    if series.len() <= timesteps {
        return Err(DataError::SeriesTooShort {
            len: series.len(),
            timesteps,
        });
    }
    let n = series.len() - timesteps;
    let mut x = Vec::with_capacity(n * timesteps);
    for w in series.windows(timesteps).take(n) {
        x.extend_from_slice(w);
    }
    Ok(Dataset::new(x, series[timesteps..].to_vec(), timesteps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_and_zero() {
        assert!(matches!(
            windows(&[1.0, 2.0], 2),
            Err(DataError::SeriesTooShort {
                len: 2,
                timesteps: 2
            })
        ));
        assert!(matches!(
            windows(&[1.0, 2.0], 0),
            Err(DataError::InvalidArgument { .. })
        ));
        let ds = windows(&[1.0, 2.0], 1).unwrap();
        assert_eq!((ds.x, ds.y), (vec![1.0], vec![2.0]));
    }
}
