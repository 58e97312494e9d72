//! The shipped datasets load with the shapes, counts and statistics their README states.

use kiln::data::{
    load_idx_images, load_series, read_maybe_gzip, stratified_split, train_test_split, windows,
    Dataset, LabelEncoder, MinMaxScaler, Mnist, StandardScaler, Table,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn counts(labels: impl IntoIterator<Item = u32>, k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for l in labels {
        c[l as usize] += 1;
    }
    c
}

#[test]
fn mnist_header_bytes() {
    let raw = read_maybe_gzip(data().join("mnist/train-images-idx3-ubyte.gz")).unwrap();
    assert_eq!(raw.len(), 47_040_016);
    assert_eq!(
        raw[..16],
        [0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 0x1c, 0, 0, 0, 0x1c]
    );
    let labels = read_maybe_gzip(data().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(labels.len(), 10_008);
    assert_eq!(labels[..8], [0, 0, 8, 1, 0, 0, 0x27, 0x10]); // 2049, 10000
}

#[test]
fn mnist_loads_with_published_counts_and_mean() {
    let t = Instant::now();
    let m = Mnist::load(data().join("mnist")).unwrap();
    eprintln!("Mnist::load took {:?}", t.elapsed());
    let (tr, te) = (&m.train_images, &m.test_images);
    assert_eq!((tr.count, tr.rows, tr.cols), (60_000, 28, 28));
    assert_eq!((te.count, te.rows, te.cols), (10_000, 28, 28));
    assert_eq!(tr.pixels.len(), 60_000 * 784);
    assert_eq!(
        counts(m.train_labels.iter().map(|&l| l as u32), 10),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        counts(m.test_labels.iter().map(|&l| l as u32), 10),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert!((tr.mean() - 33.318).abs() < 5e-4, "{}", tr.mean());
    assert!((te.mean() - 33.791).abs() < 5e-4, "{}", te.mean());
    // The first training image is a 5, the first test image a 7 (well-known).
    assert_eq!((m.train_labels[0], m.test_labels[0]), (5, 7));

    let test: Dataset<f32> = m.test();
    assert_eq!((test.len(), test.features()), (10_000, 784));
    assert!(test.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let mean = test.x.iter().map(|&v| v as f64).sum::<f64>() / test.x.len() as f64;
    assert!((mean - 33.791 / 255.0).abs() < 1e-5, "{mean}");
    // Sample-major, row-major: pixel (r, c) of sample i is x[i*784 + r*28 + c].
    let (i, r, c) = (3, 14, 9);
    assert_eq!(
        test.x[i * 784 + r * 28 + c],
        te.image(i)[r * 28 + c] as f32 / 255.0
    );
    assert_eq!(test.y[..3], [7, 2, 1]);
}

#[test]
fn uncompressed_idx_loads_like_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    let gz = data().join("mnist/t10k-images-idx3-ubyte.gz");
    let plain = dir.path().join("t10k-images-idx3-ubyte");
    std::fs::write(&plain, read_maybe_gzip(&gz).unwrap()).unwrap();
    assert_eq!(
        load_idx_images(&plain).unwrap(),
        load_idx_images(&gz).unwrap()
    );
}

#[test]
fn iris_loads_150_by_4_with_3_classes() {
    let t = Table::from_csv_all(data().join("iris/iris.csv"), "label").unwrap();
    assert_eq!(
        t.feature_names(),
        [
            "sepal_length_cm",
            "sepal_width_cm",
            "petal_length_cm",
            "petal_width_cm"
        ]
    );
    let (ds, enc) = t.classification::<f64>();
    assert_eq!((ds.len(), ds.features()), (150, 4));
    assert_eq!(enc.classes(), ["0", "1", "2"]);
    assert_eq!(counts(ds.y.iter().copied(), 3), [50, 50, 50]);
    assert_eq!(ds.sample(0), [5.1, 3.5, 1.4, 0.2]);
    let mm = MinMaxScaler::fit(&ds.x, 4);
    assert_eq!(mm.min(), [4.3, 2.0, 1.0, 0.1]);
    let s = StandardScaler::fit(&ds.x, 4);
    for (m, want) in s.mean().iter().zip([5.84, 3.06, 3.76, 1.20]) {
        assert!((m - want).abs() < 0.005, "{m} vs {want}");
    }
    // Choosing columns by name, in the order given.
    let t2 = Table::from_csv(
        data().join("iris/iris.csv"),
        &["petal_width_cm", "sepal_length_cm"],
        "label",
    )
    .unwrap();
    assert_eq!(t2.x()[..2], [0.2, 5.1]);
    let onehot = ds.one_hot::<f32>(enc.len());
    assert_eq!(onehot.len(), 450);
    assert_eq!(onehot[147..150], [1.0, 0.0, 0.0]); // row 49: setosa, the last of class 0
    assert_eq!(onehot[447..450], [0.0, 0.0, 1.0]); // row 149: virginica
}

#[test]
fn digits_loads_1797_by_64() {
    let t = Table::from_csv_all(data().join("digits/digits.csv"), "label").unwrap();
    let (ds, enc) = t.classification::<f32>();
    assert_eq!((ds.len(), ds.features(), enc.len()), (1797, 64, 10));
    assert_eq!(
        counts(ds.y.iter().copied(), 10),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert!(ds.x.iter().all(|&v| (0.0..=16.0).contains(&v)));
}

#[test]
fn scalers_are_fitted_on_training_data_only() {
    let t = Table::from_csv_all(data().join("iris/iris.csv"), "label").unwrap();
    let (ds, _) = t.classification::<f64>();
    let split = stratified_split(&ds.y, 0.2, 7).unwrap();
    let (mut train, mut test) = ds.split(&split);
    let s = StandardScaler::fit(&train.x, 4);
    let all = StandardScaler::fit(&ds.x, 4);
    assert_ne!(
        s.mean(),
        all.mean(),
        "fitted on the training split, not on everything"
    );
    let test_raw = test.x.clone();
    s.transform(&mut train.x);
    s.transform(&mut test.x);
    // Training columns are exactly standardised; test columns are transformed with the training
    // statistics (so, in general, not exactly mean 0 / std 1).
    for (j, &raw) in test_raw.iter().take(4).enumerate() {
        let col: Vec<f64> = train.x.iter().skip(j).step_by(4).copied().collect();
        let m = col.iter().sum::<f64>() / col.len() as f64;
        let v = col.iter().map(|z| (z - m) * (z - m)).sum::<f64>() / col.len() as f64;
        assert!(
            m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12,
            "column {j}: {m} {v}"
        );
        let want = (raw - s.mean()[j]) / s.scale()[j];
        assert!((test.x[j] - want).abs() < 1e-12);
    }
}

#[test]
fn stratified_split_is_deterministic_disjoint_and_complete() {
    let t = Table::from_csv_all(data().join("digits/digits.csv"), "label").unwrap();
    let (ds, _) = t.classification::<f32>();
    let a = stratified_split(&ds.y, 0.25, 11).unwrap();
    assert_eq!(a, stratified_split(&ds.y, 0.25, 11).unwrap());
    assert_ne!(a, stratified_split(&ds.y, 0.25, 12).unwrap());
    let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
    all.sort();
    assert_eq!(all, (0..ds.len()).collect::<Vec<_>>());
    // Class proportions are kept: round(0.25 · n_c) test samples per class.
    let test_counts = counts(a.test.iter().map(|&i| ds.y[i]), 10);
    let all_counts = counts(ds.y.iter().copied(), 10);
    for (tc, ac) in test_counts.iter().zip(&all_counts) {
        assert_eq!(*tc, (*ac as f64 * 0.25).round() as usize);
    }
    let plain = train_test_split(ds.len(), 0.25, 11).unwrap();
    assert_eq!(plain.test.len(), (0.25 * 1797f64).ceil() as usize);
    let enc = LabelEncoder::fit(&["virginica", "setosa", "versicolor"]);
    assert_eq!(enc.classes(), ["setosa", "versicolor", "virginica"]);
}

#[test]
fn time_series_load_and_window() {
    let air = load_series(
        data().join("timeseries/airline_passengers.csv"),
        "passengers",
    )
    .unwrap();
    assert_eq!(air.len(), 144);
    assert_eq!(air.iter().sum::<f64>(), 40_363.0);
    assert_eq!((air[0], air[143]), (112.0, 432.0));
    let monthly = load_series(data().join("timeseries/sunspots_monthly.csv"), "sunspots").unwrap();
    assert_eq!(monthly.len(), 3120);
    assert_eq!(monthly.iter().cloned().fold(f64::MIN, f64::max), 253.8);
    let yearly = load_series(data().join("timeseries/sunspots_yearly.csv"), "sunspots").unwrap();
    assert_eq!(yearly.len(), 309);

    // Scale with statistics of the training part only, then window.
    let train_len = 120;
    let mm = MinMaxScaler::fit(&air[..train_len], 1);
    let mut scaled: Vec<f32> = air.iter().map(|&v| v as f32).collect();
    mm.transform(&mut scaled);
    let ds = windows(&scaled, 12).unwrap();
    assert_eq!((ds.len(), ds.features()), (132, 12));
    assert_eq!(ds.sample(1), &scaled[1..13]);
    assert_eq!(ds.y[0], scaled[12]);
    let mut back = vec![ds.y[131]];
    mm.inverse_transform(&mut back);
    assert!((back[0] - 432.0).abs() < 1e-3);
}
