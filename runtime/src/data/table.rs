//! Tables from CSV files with a header row: numeric feature columns plus a label column, numeric
//! or text; [`LabelEncoder`] maps text labels to class indices.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{DataError, Dataset, Result};
use crate::Scalar;

/// A CSV file read whole: header names and the data rows with their line numbers.
pub(crate) struct RawCsv {
    pub path: PathBuf,
    pub headers: Vec<String>,
    /// `(line, fields)`; lines are 1-based, the header being line 1.
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl RawCsv {
    /// Reads a comma-separated file with a header row. Fields are trimmed; blank lines are
    /// skipped. Every row must have as many fields as the header ([`DataError::RaggedRow`]), and
    /// there must be at least one data row ([`DataError::Empty`]).
    pub fn read(path: &Path) -> Result<RawCsv> {
        let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(LineCap::new(file.take(MAX_CSV_BYTES + 1)));
        // Whether a cap was reached: then what was read is cut, and that is the error.
        let capped = |reader: &csv::Reader<LineCap<std::io::Take<std::fs::File>>>| {
            let cap = reader.get_ref();
            if cap.overlong {
                return Some(DataError::TooLarge {
                    path: path.to_path_buf(),
                    what: format!("has a line longer than that (line {})", cap.line + 1),
                    limit: MAX_CSV_LINE_BYTES,
                });
            }
            (cap.inner.limit() == 0).then(|| DataError::TooLarge {
                path: path.to_path_buf(),
                what: "is larger".into(),
                limit: MAX_CSV_BYTES,
            })
        };
        // What the rows take in memory (their bytes and field bounds), held to the cap too.
        let mut held = 0u64;
        let csv_err = |source: csv::Error| DataError::Csv {
            path: path.to_path_buf(),
            line: source.position().map_or(0, |p| p.line()),
            source,
        };
        let headers = reader.headers().cloned();
        if let Some(e) = capped(&reader) {
            return Err(e);
        }
        let headers: Vec<String> = headers
            .map_err(csv_err)?
            .iter()
            .map(str::to_owned)
            .collect();
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
                what: "header row",
            });
        }
        let mut rows = Vec::new();
        let mut records = reader.records();
        while let Some(record) = records.next() {
            if let Some(e) = capped(records.reader()) {
                return Err(e);
            }
            let record = record.map_err(csv_err)?;
            held += (record.as_byte_record().as_slice().len()
                + record.len() * std::mem::size_of::<usize>()
                + std::mem::size_of::<(u64, csv::StringRecord)>()) as u64;
            if held > MAX_CSV_BYTES {
                return Err(DataError::TooLarge {
                    path: path.to_path_buf(),
                    what: "takes more in memory".into(),
                    limit: MAX_CSV_BYTES,
                });
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != headers.len() {
                return Err(DataError::RaggedRow {
                    path: path.to_path_buf(),
                    line,
                    expected: headers.len(),
                    found: record.len(),
                });
            }
            rows.push((line, record));
        }
        if rows.is_empty() {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
                what: "data rows",
            });
        }
        Ok(RawCsv {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// Index of the column called `name`.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.headers
            .iter()
            .position(|h| h == name.trim())
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                column: name.to_owned(),
                available: self.headers.clone(),
            })
    }

    /// Field `col` of every row parsed as a finite number.
    pub fn numeric(&self, col: usize) -> Result<Vec<f64>> {
        self.rows
            .iter()
            .map(|(line, r)| parse_number(&self.path, *line, &self.headers[col], &r[col]))
            .collect()
    }
}

/// Parses a finite decimal number, or says where the field that is not one sits.
/// Largest CSV file read: 1 GiB, which also bounds what its rows take in memory (their bytes
/// and each field's bounds; the whole table is held in memory, and an endless stream such as
/// `/dev/zero` must end in an error, not in an out-of-memory abort).
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// Longest line of a CSV file read: 16 MiB (the CSV reader buffers a record whole, and trims a
/// copy of it, so a line of `/dev/zero` would take several times the file cap first).
pub const MAX_CSV_LINE_BYTES: u64 = 16 << 20;

/// A reader that fails at the first line longer than [`MAX_CSV_LINE_BYTES`], and says so
/// (`overlong`, with the lines before it counted).
pub(crate) struct LineCap<R> {
    inner: R,
    run: u64,
    line: u64,
    overlong: bool,
}

impl<R> LineCap<R> {
    fn new(inner: R) -> Self {
        LineCap {
            inner,
            run: 0,
            line: 0,
            overlong: false,
        }
    }
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let too_long = || std::io::Error::other("a line longer than MAX_CSV_LINE_BYTES");
        if self.overlong {
            return Err(too_long());
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_CSV_LINE_BYTES {
                    self.overlong = true;
                    return Err(too_long());
                }
            }
        }
        Ok(n)
    }
}

/// A field as a number: finite, and within `f32`'s range (±3.4·10³⁸), so that a table loads
/// the same for `f32` and `f64` models (beyond it `f32` would hold ±∞).
pub(crate) fn parse_number(path: &Path, line: u64, column: &str, value: &str) -> Result<f64> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= f32::MAX as f64 => Ok(v),
        _ => Err(DataError::NonNumeric {
            path: path.to_path_buf(),
            line,
            column: column.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// Numeric features and a label column read from a CSV file with a header row.
///
/// Features are kept as `f64`, sample-major; labels as the text of their field, so that one table
/// serves classification ([`Table::classification`]) and regression ([`Table::regression`]).
#[derive(Clone, Debug)]
pub struct Table {
    path: PathBuf,
    feature_names: Vec<String>,
    label_name: String,
    x: Vec<f64>,
    labels: Vec<String>,
    lines: Vec<u64>,
}

impl Table {
    /// Reads `path` (comma-separated, header row, fields trimmed), taking the columns named in
    /// `features`, in that order, as numeric features and the column `label` as labels.
    ///
    /// Errors: [`DataError::Io`], [`DataError::MissingColumn`], [`DataError::RaggedRow`],
    /// [`DataError::NonNumeric`] (a feature field that is not a finite number),
    /// [`DataError::Csv`], [`DataError::Empty`].
    pub fn from_csv(path: impl AsRef<Path>, features: &[&str], label: &str) -> Result<Table> {
        let raw = RawCsv::read(path.as_ref())?;
        let cols = features
            .iter()
            .map(|f| raw.column(f))
            .collect::<Result<Vec<_>>>()?;
        Self::build(raw, cols, label)
    }

    /// Like [`Table::from_csv`] with every column except `label` as a feature, in file order.
    pub fn from_csv_all(path: impl AsRef<Path>, label: &str) -> Result<Table> {
        let raw = RawCsv::read(path.as_ref())?;
        let label_col = raw.column(label)?;
        let cols = (0..raw.headers.len()).filter(|&c| c != label_col).collect();
        Self::build(raw, cols, label)
    }

    fn build(raw: RawCsv, cols: Vec<usize>, label: &str) -> Result<Table> {
        let label_col = raw.column(label)?;
        let mut x = Vec::with_capacity(raw.rows.len() * cols.len());
        for (line, record) in &raw.rows {
            for &c in &cols {
                x.push(parse_number(&raw.path, *line, &raw.headers[c], &record[c])?);
            }
        }
        Ok(Table {
            feature_names: cols.iter().map(|&c| raw.headers[c].clone()).collect(),
            label_name: raw.headers[label_col].clone(),
            labels: raw
                .rows
                .iter()
                .map(|(_, r)| r[label_col].to_owned())
                .collect(),
            lines: raw.rows.iter().map(|(l, _)| *l).collect(),
            x,
            path: raw.path,
        })
    }

    /// Number of rows (samples).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True if the table has no rows (never the case for a loaded table).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names of the feature columns, in feature order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Name of the label column.
    pub fn label_name(&self) -> &str {
        &self.label_name
    }

    /// Features, sample-major: row `i` occupies `[i·f .. (i+1)·f]` with `f` = number of
    /// features.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// The label field of every row, as written (trimmed).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Features converted to `T`, with class indices from a [`LabelEncoder`] fitted on this
    /// table's labels (sorted unique values → `0..k`).
    pub fn classification<T: Scalar>(&self) -> (Dataset<T>, LabelEncoder) {
        let encoder = LabelEncoder::fit(&self.labels);
        let y = encoder
            .transform(&self.labels)
            .expect("every label was seen by the encoder fitted on it");
        (self.dataset(y), encoder)
    }

    /// Features converted to `T` with class indices from an existing encoder (e.g. one fitted on
    /// another file). Returns `None` if a label is unknown to `encoder`.
    pub fn classification_with<T: Scalar>(&self, encoder: &LabelEncoder) -> Option<Dataset<T>> {
        encoder.transform(&self.labels).map(|y| self.dataset(y))
    }

    /// Features and numeric targets converted to `T`.
    ///
    /// Errors: [`DataError::NonNumeric`] if a label field is not a finite number.
    pub fn regression<T: Scalar>(&self) -> Result<Dataset<T, T>> {
        let y = self
            .labels
            .iter()
            .zip(&self.lines)
            .map(|(v, &line)| parse_number(&self.path, line, &self.label_name, v).map(T::of))
            .collect::<Result<Vec<T>>>()?;
        Ok(self.dataset(y))
    }

    fn dataset<T: Scalar, Y: Copy>(&self, y: Vec<Y>) -> Dataset<T, Y> {
        let x = self.x.iter().map(|&v| T::of(v)).collect();
        Dataset::new(x, y, self.feature_names.len())
    }
}

/// Maps label strings to class indices `0..k`, like scikit-learn's `LabelEncoder`: the classes
/// are the sorted unique labels. When every label is a number, they are sorted by value
/// (`"2" < "10"`), otherwise as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelEncoder {
    classes: Vec<String>,
    index: HashMap<String, u32>,
}

impl LabelEncoder {
    /// Learns the classes from `labels`.
    pub fn fit<S: AsRef<str>>(labels: &[S]) -> Self {
        let mut classes: Vec<String> = labels.iter().map(|s| s.as_ref().to_owned()).collect();
        classes.sort();
        classes.dedup();
        let numbers: Option<Vec<f64>> = classes.iter().map(|c| c.parse::<f64>().ok()).collect();
        if let Some(numbers) = numbers {
            let mut pairs: Vec<(f64, String)> = numbers.into_iter().zip(classes).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            classes = pairs.into_iter().map(|(_, c)| c).collect();
        }
        let index = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i as u32))
            .collect();
        LabelEncoder { classes, index }
    }

    /// The classes, in index order: `classes()[i]` is the label of class `i`.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True if no class was seen.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The index of `label`, or `None` if it was not seen in fitting.
    pub fn encode(&self, label: &str) -> Option<u32> {
        self.index.get(label).copied()
    }

    /// The indices of all `labels`, or `None` if any was not seen in fitting.
    pub fn transform<S: AsRef<str>>(&self, labels: &[S]) -> Option<Vec<u32>> {
        labels.iter().map(|l| self.encode(l.as_ref())).collect()
    }

    /// The label of class `index`, or `None` if out of range.
    pub fn decode(&self, index: u32) -> Option<&str> {
        self.classes.get(index as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_sorts_like_sklearn() {
        let e = LabelEncoder::fit(&["b", "a", "c", "a"]);
        assert_eq!(e.classes(), ["a", "b", "c"]);
        assert_eq!(e.transform(&["c", "a"]), Some(vec![2, 0]));
        assert_eq!(e.encode("z"), None);
        assert_eq!(e.decode(1), Some("b"));
        let e = LabelEncoder::fit(&["10", "2", "1"]);
        assert_eq!(e.classes(), ["1", "2", "10"]);
    }

    #[test]
    fn text_labels_and_regression() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "a, b ,kind\n1,2,dog\n3,4,cat\n\n5,6,dog\n").unwrap();
        let t = Table::from_csv_all(&p, "kind").unwrap();
        assert_eq!(t.feature_names(), ["a", "b"]);
        let (ds, enc) = t.classification::<f64>();
        assert_eq!(enc.classes(), ["cat", "dog"]);
        assert_eq!(ds.y, [1, 0, 1]);
        assert_eq!(ds.x, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = Table::from_csv(&p, &["b"], "a").unwrap();
        let r = t.regression::<f32>().unwrap();
        assert_eq!(
            (r.x.as_slice(), r.y.as_slice()),
            (&[2.0, 4.0, 6.0][..], &[1.0, 3.0, 5.0][..])
        );
        // Text labels cannot be regression targets; the error names the first bad line.
        let t = Table::from_csv(&p, &["a"], "kind").unwrap();
        match t.regression::<f32>() {
            Err(DataError::NonNumeric { line, column, .. }) => {
                assert_eq!((line, column.as_str()), (2, "kind"))
            }
            other => panic!("{other:?}"),
        }
    }
}
