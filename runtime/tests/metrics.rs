//! Streaming metrics on small hand-made batches (column-major `outputs × n`).

use kiln::metrics::{
    Accuracy, BinaryAccuracy, CategoricalAccuracy, Mae, Metric, Mse, SparseCategoricalAccuracy,
};

#[test]
fn binary_accuracy() {
    let mut m = BinaryAccuracy::default();
    assert_eq!(m.threshold, 0.5);
    assert_eq!(Metric::<f32, f32>::name(&m), "binary_accuracy");
    assert_eq!(Metric::<f32, f32>::result(&m), 0.0, "empty → 0 like Keras");
    // 0.7>0.5 → 1 ✓, 0.2 → 0 ✓, 0.5 → 0 (strict >) vs 1 ✗, 0.9 → 1 vs 0 ✗; padding ignored.
    m.update(
        &[0.7f32, 0.2, 0.5, 0.9, 99.0],
        &[1.0, 0.0, 1.0, 0.0, 99.0],
        1,
        4,
    );
    assert_eq!(Metric::<f32, f32>::result(&m), 0.5);
    // A second batch accumulates: 2 outputs × 2 samples, all right.
    m.update(&[0.9f32, 0.1, 0.6, 0.4], &[1.0, 0.0, 1.0, 0.0], 2, 2);
    assert_eq!(Metric::<f32, f32>::result(&m), 6.0 / 8.0);
    Metric::<f32, f32>::reset(&mut m);
    assert_eq!(Metric::<f32, f32>::result(&m), 0.0);
    let mut m = BinaryAccuracy::new(0.0); // logits
    m.update(&[-1.0f64, 2.0], &[0.0, 1.0], 1, 2);
    assert_eq!(Metric::<f64, f64>::result(&m), 1.0);
}

#[test]
fn categorical_accuracy() {
    let mut m = CategoricalAccuracy::default();
    assert_eq!(Metric::<f32, f32>::name(&m), "categorical_accuracy");
    // 3 classes × 4 samples.
    let out = [
        0.1f32, 0.7, 0.2, // → 1
        0.5, 0.5, 0.0, // tie → 0 (first)
        0.2, 0.3, 0.5, // → 2
        0.3, 0.3, 0.4, // → 2
    ];
    let tgt = [
        0.0f32, 1.0, 0.0, // 1 ✓
        1.0, 0.0, 0.0, // 0 ✓
        1.0, 0.0, 0.0, // 0 ✗
        0.1, 0.1, 0.8, // soft, argmax 2 ✓
    ];
    m.update(&out, &tgt, 3, 4);
    assert_eq!(Metric::<f32, f32>::result(&m), 0.75);
    m.update(&out[..3], &tgt[3..6], 3, 1); // 1 vs 0 ✗
    assert_eq!(Metric::<f32, f32>::result(&m), 3.0 / 5.0);
}

#[test]
fn sparse_categorical_accuracy() {
    let mut m = SparseCategoricalAccuracy::default();
    assert_eq!(Metric::<f64, u32>::name(&m), "sparse_categorical_accuracy");
    let out = [0.1f64, 0.7, 0.2, 0.5, 0.5, 0.0, 0.2, 0.3, 0.5];
    m.update(&out, &[1, 1, 2, 77], 3, 3); // ✓, tie→0 ✗, ✓; the 4th label is padding
    assert!((Metric::<f64, u32>::result(&m) - 2.0 / 3.0).abs() < 1e-15);
    Metric::<f64, u32>::reset(&mut m);
    m.update(&out, &[0, 0, 0], 3, 3);
    assert!((Metric::<f64, u32>::result(&m) - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn accuracy_picks_like_keras() {
    // Sparse labels, several outputs → sparse categorical.
    let mut m = Accuracy::default();
    assert_eq!(Metric::<f32, u32>::name(&m), "accuracy");
    Metric::<f32, u32>::update(&mut m, &[0.1, 0.9, 0.8, 0.2], &[1, 1], 2, 2);
    assert_eq!(Metric::<f32, u32>::result(&m), 0.5);
    // Sparse labels, one output → binary at 0.5.
    let mut m = Accuracy::default();
    Metric::<f32, u32>::update(&mut m, &[0.9, 0.2, 0.6], &[1, 0, 0], 1, 3);
    assert!((Metric::<f32, u32>::result(&m) - 2.0 / 3.0).abs() < 1e-15);
    // Dense targets, one output → binary.
    let mut m = Accuracy::default();
    Metric::<f32, f32>::update(&mut m, &[0.9, 0.2, 0.6, 0.4], &[1.0, 0.0, 0.0, 0.0], 1, 4);
    assert_eq!(Metric::<f32, f32>::result(&m), 0.75);
    // Dense targets, several outputs → categorical.
    let mut m = Accuracy::default();
    Metric::<f32, f32>::update(&mut m, &[0.1, 0.9, 0.8, 0.2], &[0.0, 1.0, 0.0, 1.0], 2, 2);
    assert_eq!(Metric::<f32, f32>::result(&m), 0.5);
    Metric::<f32, f32>::reset(&mut m);
    assert_eq!(Metric::<f32, f32>::result(&m), 0.0);
}

#[test]
fn mae_and_mse() {
    let mut mae = Mae::default();
    let mut mse = Mse::default();
    assert_eq!(Metric::<f32, f32>::name(&mae), "mae");
    assert_eq!(Metric::<f32, f32>::name(&mse), "mse");
    let out = [1.0f32, 2.0, 3.0, 4.0, 1e9];
    let tgt = [0.0f32, 2.0, 5.0, 3.0, 0.0];
    mae.update(&out, &tgt, 2, 2);
    mse.update(&out, &tgt, 2, 2);
    assert_eq!(
        Metric::<f32, f32>::result(&mae),
        (1.0 + 0.0 + 2.0 + 1.0) / 4.0
    );
    assert_eq!(
        Metric::<f32, f32>::result(&mse),
        (1.0 + 0.0 + 4.0 + 1.0) / 4.0
    );
    // Streaming: the mean over all elements seen, not the mean of batch means.
    mae.update(&[10.0], &[0.0], 1, 1);
    mse.update(&[10.0], &[0.0], 1, 1);
    assert_eq!(Metric::<f32, f32>::result(&mae), 14.0 / 5.0);
    assert_eq!(Metric::<f32, f32>::result(&mse), 106.0 / 5.0);
    Metric::<f32, f32>::reset(&mut mae);
    Metric::<f32, f32>::reset(&mut mse);
    assert_eq!(Metric::<f32, f32>::result(&mae), 0.0);
    assert_eq!(Metric::<f32, f32>::result(&mse), 0.0);
}
