//! Training misuse and non-finite values are typed errors, never panics or NaN weights.

use kiln::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
use kiln::optim::{Adam, Sgd};
use kiln::train::{EarlyStopping, ModelCheckpoint};
use kiln::{model, Compile, Error, Fit};

model! { struct Relu { Input(2), Dense(4, activation = relu), Dense(1) } }
model! { struct Classes { Input(2), Dense(3, activation = softmax) } }

fn data() -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..16).map(|i| (i as f32 * 0.37).sin()).collect();
    let y: Vec<f32> = x.chunks(2).map(|s| s[0] - s[1]).collect();
    (x, y)
}

#[test]
fn a_nan_input_hidden_by_relu_stops_fit_naming_epoch_batch_and_sample() {
    let (mut x, y) = data();
    x[2 * 5 + 1] = f32::NAN; // sample 5, input 1
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let before = t.model().params().to_vec();
    let err = t
        .fit(&x, &y, Fit::epochs(3).batch_size(2).shuffle(false).quiet())
        .unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteInput { epoch: 0, batch: 2, sample: 5, index: 1, ref value } if value.is_nan()),
        "{err}"
    );
    // Batches 0 and 1 trained; nothing is NaN.
    assert!(t.model().params().iter().all(|p| p.is_finite()));
    assert_ne!(t.model().params(), before);
}

#[test]
fn parameters_that_become_non_finite_stop_fit() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Sgd::new(1e38), MeanSquaredError);
    let err = t
        .fit(&x, &y, Fit::epochs(5).batch_size(8).quiet())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteParam { .. } | Error::NonFiniteLoss { .. }
        ),
        "{err}"
    );
}

#[test]
fn train_step_on_a_fresh_trainer_works() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    assert!(t.train_step(&x, &y, 8).unwrap().is_finite());
}

#[test]
fn train_step_with_n_beyond_x_is_an_error() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let err = t.train_step(&x, &y, 9).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BatchSize {
                what: "x",
                n: 9,
                expected: 18,
                found: 16
            }
        ),
        "{err}"
    );
    let err = t.train_step(&x, &y, usize::MAX).unwrap_err();
    assert!(matches!(err, Error::BatchSize { what: "x", .. }), "{err}");
    let err = t.train_step(&x, &y, 0).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
}

#[test]
fn train_step_with_a_short_y_is_an_error() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let err = t.train_step(&x, &y[..7], 8).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BatchSize {
                what: "y",
                expected: 8,
                found: 7,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn train_step_with_a_label_out_of_range_is_an_error() {
    let x = [0.1f32, 0.2, 0.3, 0.4];
    let mut t = Classes::new(1).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default());
    let before = t.model().params().to_vec();
    let err = t.train_step(&x, &[0, 3], 2).unwrap_err();
    assert!(matches!(err, Error::Target { .. }), "{err}");
    assert_eq!(t.model().params(), before);
}

#[test]
fn train_step_with_a_nan_input_names_the_sample() {
    let (mut x, y) = data();
    x[7] = f32::INFINITY;
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let err = t.train_step(&x, &y, 8).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteInput {
                sample: 3,
                index: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_negative_learning_rate_is_rejected() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Adam::new(-0.01), MeanSquaredError);
    let err = t.fit(&x, &y, Fit::epochs(1).quiet()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidOption(ref m) if m.contains("learning rate")),
        "{err}"
    );
    let err = t.train_step(&x, &y, 8).unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err}");
}

#[test]
fn a_negative_clip_norm_is_rejected() {
    let (x, y) = data();
    let mut t = Relu::new(1)
        .compile(Adam::new(0.01), MeanSquaredError)
        .clip_grad_norm(-1.0);
    let err = t.fit(&x, &y, Fit::epochs(1).quiet()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidOption(ref m) if m.contains("clipping")),
        "{err}"
    );
}

#[test]
fn a_misspelt_early_stopping_monitor_is_reported() {
    let (x, y) = data();
    let mut t = Relu::new(1).compile(Adam::new(0.01), MeanSquaredError);
    let mut stop = EarlyStopping::new("val_los", 2);
    let fit = Fit::epochs(5)
        .validation_split(0.25)
        .quiet()
        .callback(&mut stop);
    let err = t.fit(&x, &y, fit).unwrap_err();
    assert!(
        matches!(err, Error::InvalidOption(ref m) if m.contains("val_los") && m.contains("val_loss")),
        "{err}"
    );
}

#[test]
fn model_checkpoint_patterns_that_cannot_be_formatted_are_refused_when_built() {
    for bad in ["w-{epoch:65536}", "{loss:.70000}", "w-{epoch"] {
        let err = ModelCheckpoint::new(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidOption(_)), "{bad}: {err}");
    }
}
