//! Feature scaling fitted on training data only, then applied to any split.
//!
//! Both scalers work column by column on sample-major data (`features` values per sample) and keep
//! their statistics in `f64`. Fit them on the training split and transform training, validation
//! and test data with the same fitted scaler, so that no test statistic leaks into training.

use crate::Scalar;

fn check_shape(len: usize, features: usize, what: &str) {
    assert!(
        features > 0 && len.is_multiple_of(features),
        "{what}: {len} values do not split into samples of {features} features"
    );
}

/// Per-column `(min, max, mean, population std)` in one pass-friendly form.
fn column_stats<T: Scalar>(x: &[T], features: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = x.len() / features;
    let mut min = vec![f64::INFINITY; features];
    let mut max = vec![f64::NEG_INFINITY; features];
    let mut mean = vec![0.0; features];
    for row in x.chunks_exact(features) {
        for (j, &v) in row.iter().enumerate() {
            let v = v.to_f64();
            min[j] = min[j].min(v);
            max[j] = max[j].max(v);
            mean[j] += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut var = vec![0.0; features];
    for row in x.chunks_exact(features) {
        for (j, &v) in row.iter().enumerate() {
            let d = v.to_f64() - mean[j];
            var[j] += d * d;
        }
    }
    let std = var.iter().map(|v| (v / n.max(1) as f64).sqrt()).collect();
    (min, max, mean, std)
}

/// Standardisation, like scikit-learn's `StandardScaler`: `z = (x − mean) / std` per column, with
/// the population standard deviation (divisor `n`). A constant column (std 0, or below `1e-12`
/// relative to its mean) gets scale 1, so it maps to 0 instead of dividing by zero.
///
/// ```
/// use kiln::data::StandardScaler;
/// let train = [1.0f64, 10.0, 3.0, 10.0]; // 2 samples × 2 features
/// let s = StandardScaler::fit(&train, 2);
/// assert_eq!(s.mean(), [2.0, 10.0]);
/// assert_eq!(s.scale(), [1.0, 1.0]); // std of column 0 is 1; column 1 is constant
/// let mut test = [5.0f64, 11.0];
/// s.transform(&mut test);
/// assert_eq!(test, [3.0, 1.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StandardScaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl StandardScaler {
    /// Fits mean and std of each of the `features` columns of `x` (sample-major).
    /// Empty `x` gives the identity (mean 0, scale 1).
    ///
    /// # Panics
    /// If `features` is 0 or `x.len()` is not a multiple of it.
    pub fn fit<T: Scalar>(x: &[T], features: usize) -> Self {
        check_shape(x.len(), features, "StandardScaler::fit");
        let (_, _, mean, std) = column_stats(x, features);
        let scale = std
            .iter()
            .zip(&mean)
            .map(|(&s, &m)| {
                if s <= 1e-12 * m.abs().max(1.0) {
                    1.0
                } else {
                    s
                }
            })
            .collect();
        StandardScaler { mean, scale }
    }

    /// Column means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Column scales (population std, or 1 for constant columns).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// `x ← (x − mean) / scale` in place, per column.
    ///
    /// # Panics
    /// If `x.len()` is not a multiple of the fitted number of features.
    pub fn transform<T: Scalar>(&self, x: &mut [T]) {
        check_shape(x.len(), self.mean.len(), "StandardScaler::transform");
        for row in x.chunks_exact_mut(self.mean.len()) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = T::of((v.to_f64() - m) / s);
            }
        }
    }

    /// `x ← x · scale + mean` in place: undoes [`StandardScaler::transform`].
    pub fn inverse_transform<T: Scalar>(&self, x: &mut [T]) {
        check_shape(
            x.len(),
            self.mean.len(),
            "StandardScaler::inverse_transform",
        );
        for row in x.chunks_exact_mut(self.mean.len()) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = T::of(v.to_f64() * s + m);
            }
        }
    }
}

/// Min-max scaling to `[0, 1]`, like scikit-learn's `MinMaxScaler`: `x' = (x − min) / (max − min)`
/// per column, with min and max of the data it was fitted on (other data may fall outside
/// `[0, 1]`). A constant column gets range 1, so it maps to 0.
///
/// ```
/// use kiln::data::MinMaxScaler;
/// let s = MinMaxScaler::fit(&[2.0f32, 4.0, 6.0], 1);
/// let mut v = [4.0f32, 8.0];
/// s.transform(&mut v);
/// assert_eq!(v, [0.5, 1.5]);
/// s.inverse_transform(&mut v);
/// assert_eq!(v, [4.0, 8.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MinMaxScaler {
    min: Vec<f64>,
    range: Vec<f64>,
}

impl MinMaxScaler {
    /// Fits min and max of each of the `features` columns of `x` (sample-major). Empty `x` gives
    /// the identity.
    ///
    /// # Panics
    /// If `features` is 0 or `x.len()` is not a multiple of it.
    pub fn fit<T: Scalar>(x: &[T], features: usize) -> Self {
        check_shape(x.len(), features, "MinMaxScaler::fit");
        if x.is_empty() {
            return MinMaxScaler {
                min: vec![0.0; features],
                range: vec![1.0; features],
            };
        }
        let (min, max, _, _) = column_stats(x, features);
        let range = min
            .iter()
            .zip(&max)
            .map(|(&lo, &hi)| if hi > lo { hi - lo } else { 1.0 })
            .collect();
        MinMaxScaler { min, range }
    }

    /// Column minima.
    pub fn min(&self) -> &[f64] {
        &self.min
    }

    /// Column ranges `max − min` (1 for constant columns).
    pub fn range(&self) -> &[f64] {
        &self.range
    }

    /// `x ← (x − min) / range` in place, per column.
    ///
    /// # Panics
    /// If `x.len()` is not a multiple of the fitted number of features.
    pub fn transform<T: Scalar>(&self, x: &mut [T]) {
        check_shape(x.len(), self.min.len(), "MinMaxScaler::transform");
        for row in x.chunks_exact_mut(self.min.len()) {
            for ((v, &lo), &r) in row.iter_mut().zip(&self.min).zip(&self.range) {
                *v = T::of((v.to_f64() - lo) / r);
            }
        }
    }

    /// `x ← x · range + min` in place: undoes [`MinMaxScaler::transform`] (e.g. to read
    /// forecasts in the original units).
    pub fn inverse_transform<T: Scalar>(&self, x: &mut [T]) {
        check_shape(x.len(), self.min.len(), "MinMaxScaler::inverse_transform");
        for row in x.chunks_exact_mut(self.min.len()) {
            for ((v, &lo), &r) in row.iter_mut().zip(&self.min).zip(&self.range) {
                *v = T::of(v.to_f64() * r + lo);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_scaler_population_std() {
        // Column 0: 1, 2, 3, 4 → mean 2.5, population std sqrt(1.25).
        let x = [1.0f64, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0];
        let s = StandardScaler::fit(&x, 2);
        assert_eq!(s.mean(), [2.5, 0.0]);
        assert!((s.scale()[0] - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.scale()[1], 1.0);
        let mut y = x;
        s.transform(&mut y);
        let m: f64 = y.iter().step_by(2).sum::<f64>() / 4.0;
        let v: f64 = y.iter().step_by(2).map(|z| z * z).sum::<f64>() / 4.0;
        assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12);
        s.inverse_transform(&mut y);
        assert!(y.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12));
    }

    #[test]
    fn minmax_constant_column_maps_to_zero() {
        let s = MinMaxScaler::fit(&[5.0f32, 1.0, 5.0, 3.0], 2);
        let mut v = [5.0f32, 2.0];
        s.transform(&mut v);
        assert_eq!(v, [0.0, 0.5]);
    }
}
