//! Time series: one numeric CSV column, cut into windows for one-step-ahead forecasting.

use std::path::Path;

use super::dataset::check_fraction;
use super::table::RawCsv;
use super::{DataError, Dataset, Result, Split};

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
/// chronologically ([`chronological_split`]), not at random, or the test windows overlap the
/// training ones.
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

/// A split of `0..n` that keeps time order, for forecasting: the last `⌈test_fraction · n⌉`
/// indices (as many as [`crate::data::train_test_split`] takes) are the test side, the ones
/// before them the training side, both ascending. Nothing is shuffled, so a model is always
/// tested on samples that come after everything it was trained on.
///
/// For a validation part as well, split the training side again (its indices are then relative
/// to that subset).
///
/// Errors: [`DataError::SplitFraction`] unless `0 < test_fraction < 1`.
///
/// ```
/// use kiln::data::{chronological_split, windows};
/// let series: Vec<f32> = (0..12).map(|t| t as f32).collect();
/// let ds = windows(&series, 3)?; // 9 windows, targets 3..=11
/// let (rest, test) = ds.split(&chronological_split(ds.len(), 0.2)?);
/// assert_eq!(test.y, [10.0, 11.0]); // the last two targets
/// let (train, val) = rest.split(&chronological_split(rest.len(), 0.2)?);
/// assert_eq!((train.y.first(), train.y.last()), (Some(&3.0), Some(&7.0)));
/// assert_eq!(val.y, [8.0, 9.0]);
/// # Ok::<(), kiln::data::DataError>(())
/// ```
pub fn chronological_split(n: usize, test_fraction: f64) -> Result<Split> {
    check_fraction(test_fraction)?;
    let n_test = ((test_fraction * n as f64).ceil() as usize).min(n);
    Ok(Split {
        train: (0..n - n_test).collect(),
        test: (n - n_test..n).collect(),
    })
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

    #[test]
    fn chronological_split_keeps_order() {
        let s = chronological_split(10, 0.25).unwrap();
        assert_eq!(s.train, (0..7).collect::<Vec<_>>());
        assert_eq!(s.test, [7, 8, 9]);
        // Same sizes as the shuffled split.
        let r = crate::data::train_test_split(10, 0.25, 0).unwrap();
        assert_eq!((r.train.len(), r.test.len()), (7, 3));
        assert_eq!(
            chronological_split(0, 0.5).unwrap().test,
            Vec::<usize>::new()
        );
        for f in [0.0, 1.0, f64::NAN] {
            assert!(matches!(
                chronological_split(10, f),
                Err(DataError::SplitFraction { .. })
            ));
        }
    }
}
