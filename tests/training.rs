//! Models that learn: the seed programs' small tasks trained through `compile` / `fit`, plus the
//! training loop's contracts (exact partial batches, determinism, errors, callbacks).

use kiln::data::{stratified_split, StandardScaler, Table};
use kiln::losses::{BinaryCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy};
use kiln::metrics::{Accuracy, BinaryAccuracy, Mae};
use kiln::optim::{Adam, Sgd};
use kiln::train::{Control, EarlyStopping, EpochLogs};
use kiln::{model, Compile, Error, Fit, Rng};

model! {
    /// XOR needs a hidden layer: 2 → 4 tanh → 1 sigmoid.
    struct Xor { Input(2), Dense(4, activation = tanh), Dense(1, activation = sigmoid) }

    /// Linear regression: one weight, one bias.
    struct Line { Input(1), Dense(1) }

    /// Seed 001's regressor.
    struct Regressor { Input(10), Dense(10, activation = relu), Dense(1) }

    /// Sequence to sequence: a running mean at every step, read out by a per-step Dense.
    struct RunningMean { Input(8, 1), LSTM(16, return_sequences = true), Dense(1) }

    /// A softmax classifier for iris.
    struct IrisNet { Input(4), Dense(16, activation = relu), Dense(3, activation = softmax) }
}

#[test]
fn xor_is_learned_exactly() {
    let x = [0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let y = [0.0f32, 1.0, 1.0, 0.0];
    let mut trainer = Xor::new(1)
        .compile(Adam::new(0.05), BinaryCrossentropy::default())
        .metric(BinaryAccuracy::default());
    let history = trainer
        .fit(&x, &y, Fit::epochs(500).batch_size(4).quiet())
        .unwrap();
    assert_eq!(history.last().unwrap().get("binary_accuracy"), Some(1.0));
    let eval = trainer.evaluate(&x, &y).unwrap();
    assert_eq!(eval.get("binary_accuracy"), Some(1.0), "{eval:?}");
    assert!(eval.loss < 0.1, "{eval:?}");
}

#[test]
fn a_per_step_dense_learns_a_running_mean() {
    let mut rng = Rng::new(5);
    let n = 256;
    let x: Vec<f32> = (0..n * 8)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let y: Vec<f32> = x
        .chunks_exact(8)
        .flat_map(|s| {
            let mut sum = 0.0;
            (0..8)
                .map(|t| {
                    sum += s[t];
                    sum / (t + 1) as f32
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut trainer = RunningMean::new(2).compile(Adam::new(0.01), MeanSquaredError);
    let before = trainer.evaluate(&x, &y).unwrap().loss;
    trainer
        .fit(&x, &y, Fit::epochs(60).batch_size(32).quiet())
        .unwrap();
    let after = trainer.evaluate(&x, &y).unwrap().loss;
    // The targets' variance is about 0.1; a good fit is two orders of magnitude below.
    assert!(
        after < 2e-3 && after < before / 50.0,
        "mse {before} -> {after}"
    );
}

#[test]
fn linear_regression_recovers_slope_and_intercept() {
    // Seed 003: y = 2x + 1 + noise.
    let mut rng = Rng::new(3);
    let x: Vec<f32> = (0..200).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&x| 2.0 * x + 1.0 + (rng.uniform() as f32 - 0.5) * 0.2)
        .collect();
    let mut trainer = Line::new(0).compile(Sgd::new(0.1), MeanSquaredError);
    trainer
        .fit(&x, &y, Fit::epochs(100).batch_size(16).quiet())
        .unwrap();
    let slope = trainer.model().param("dense.kernel").unwrap()[0];
    let intercept = trainer.model().param("dense.bias").unwrap()[0];
    assert!((slope - 2.0).abs() < 0.05, "slope {slope}");
    assert!((intercept - 1.0).abs() < 0.05, "intercept {intercept}");
}

/// Seed 001: y = sin(x₀) + x₁·x₂ + 0.5·x₃ on 10 uniform features, plus N(0, 0.1²)-ish noise.
fn regression_data(n: usize, rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..n * 10)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let y = x
        .chunks(10)
        .map(|s| s[0].sin() + s[1] * s[2] + 0.5 * s[3] + (rng.uniform() as f32 - 0.5) * 0.2)
        .collect();
    (x, y)
}

#[test]
fn sgd_regression_beats_a_stated_bound() {
    let mut rng = Rng::new(1);
    let (x, y) = regression_data(1000, &mut rng);
    let (x_test, y_test) = regression_data(200, &mut rng);
    // Predicting the mean scores the target's variance (~0.5 here); the noise floor is 0.0033.
    let mut trainer = Regressor::new(1)
        .compile(Sgd::new(0.05), MeanSquaredError)
        .metric(Mae::default());
    trainer
        .fit(&x, &y, Fit::epochs(60).batch_size(32).quiet())
        .unwrap();
    let mse = trainer.evaluate(&x_test, &y_test).unwrap().loss;
    assert!(mse < 0.05, "test MSE {mse}");
}

fn iris() -> (Vec<f32>, Vec<u32>, Vec<f32>, Vec<u32>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/iris/iris.csv");
    let (data, _) = Table::from_csv_all(&path, "label")
        .unwrap()
        .classification::<f32>();
    let split = stratified_split(data.y(), 0.2, 42).unwrap();
    let (train, test) = data.split(&split);
    let scaler = StandardScaler::fit(train.x(), 4);
    let (mut x_train, mut x_test) = (train.x().to_vec(), test.x().to_vec());
    scaler.transform(&mut x_train);
    scaler.transform(&mut x_test);
    (x_train, train.y().to_vec(), x_test, test.y().to_vec())
}

#[test]
fn iris_softmax_classifier_reaches_95_percent() {
    let (x, y, x_test, y_test) = iris();
    let mut trainer = IrisNet::new(7)
        .compile(Adam::new(0.01), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default());
    let history = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(100)
                .batch_size(16)
                .quiet()
                .validation_data(&x_test, &y_test),
        )
        .unwrap();
    let accuracy = trainer
        .evaluate(&x_test, &y_test)
        .unwrap()
        .get("accuracy")
        .unwrap();
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    assert_eq!(
        history.get("val_accuracy").unwrap().last().copied(),
        Some(accuracy)
    );
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let (x, y, _, _) = iris();
    let run = |seed| {
        let model = IrisNet::new(3);
        let mut trainer = model.compile(Adam::default(), SparseCategoricalCrossentropy::default());
        trainer
            .fit(&x, &y, Fit::epochs(3).batch_size(7).seed(seed).quiet())
            .unwrap();
        trainer.into_model().params().to_vec()
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert!(
        a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()),
        "same seed, different weights"
    );
    assert_ne!(a, c, "the seed should change the shuffling");
}

#[test]
fn the_last_partial_batch_is_trained_exactly() {
    // 5 samples, batch 3, no shuffling: steps on samples [0, 3) and [3, 5).
    let mut rng = Rng::new(9);
    let x: Vec<f32> = (0..50).map(|_| rng.uniform() as f32).collect();
    let y: Vec<f32> = (0..5).map(|_| rng.uniform() as f32).collect();
    let mut fitted = Regressor::new(2).compile(Sgd::new(0.1), MeanSquaredError);
    fitted
        .fit(&x, &y, Fit::epochs(1).batch_size(3).shuffle(false).quiet())
        .unwrap();

    let mut by_hand = Regressor::new(2).compile(Sgd::new(0.1), MeanSquaredError);
    by_hand
        .fit(
            &x[..30],
            &y[..3],
            Fit::epochs(1).batch_size(3).shuffle(false).quiet(),
        )
        .unwrap();
    // A trainer whose batches hold exactly 2: no padding can leak into the gradient.
    let mut exact = by_hand
        .into_model()
        .compile(Sgd::new(0.1), MeanSquaredError);
    exact
        .fit(
            &x[30..],
            &y[3..],
            Fit::epochs(1).batch_size(2).shuffle(false).quiet(),
        )
        .unwrap();
    assert_eq!(fitted.model().params(), exact.model().params());
}

#[test]
fn bad_data_gives_typed_errors() {
    let mut trainer =
        IrisNet::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default());
    let x = vec![0.0f32; 8];
    let err = trainer
        .fit(&x, &[0, 1, 2], Fit::default().quiet())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SampleCount {
                x: "training x",
                y: "training y",
                samples: 3,
                input_size: 4,
                found: 8,
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("training x has 8 values"), "{err}");
    // The targets say how many samples there are: a short x is x's fault, named as such.
    let err = trainer
        .fit(&x[..7], &[0, 1], Fit::default().quiet())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SampleCount {
                x: "training x",
                samples: 2,
                found: 7,
                ..
            }
        ),
        "{err}"
    );
    let err = trainer
        .fit(
            &x,
            &[0, 1],
            Fit::default()
                .quiet()
                .validation_data(&x[..4], &[0u32, 1][..]),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SampleCount {
                x: "validation x",
                y: "validation y",
                samples: 2,
                found: 4,
                ..
            }
        ),
        "{err}"
    );
    let err = trainer.evaluate(&x, &[0u32][..]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SampleCount {
                x: "evaluation x",
                samples: 1,
                found: 8,
                ..
            }
        ),
        "{err}"
    );
    let err = trainer
        .fit(&[0.0f32; 0][..], &[0u32; 0][..], Fit::default().quiet())
        .unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    let err = trainer
        .fit(&x, &[0, 3], Fit::default().quiet())
        .unwrap_err();
    assert!(err.to_string().contains("label"), "{err}");
    assert!(matches!(err, Error::Target { .. }), "{err}");
    let err = trainer
        .fit(&x, &[0, 1], Fit::default().batch_size(0).quiet())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err}");
}

#[test]
fn a_nan_input_stops_training_with_its_epoch_batch_and_sample() {
    let x = [1.0f32, f32::NAN, 2.0, 3.0];
    let y = [1.0f32, 2.0, 3.0, 4.0];
    let mut trainer = Line::new(0).compile(Sgd::new(0.1), MeanSquaredError);
    let err = trainer
        .fit(&x, &y, Fit::epochs(3).batch_size(1).shuffle(false).quiet())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteInput {
                epoch: 0,
                batch: 1,
                sample: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("epoch 0, batch 1"), "{err}");
}

#[test]
fn early_stopping_restores_the_best_weights() {
    let (x, y, x_val, y_val) = iris();
    let mut trainer =
        IrisNet::new(1).compile(Adam::new(0.05), SparseCategoricalCrossentropy::default());
    // Noisy validation labels make the validation loss rise soon.
    let y_val: Vec<u32> = y_val.iter().map(|&c| (c + 1) % 3).collect();
    let mut stopper = EarlyStopping::new("val_loss", 2).restore_best_weights();
    let mut seen = Vec::new();
    let mut hook = |logs: &EpochLogs| {
        seen.push(logs.epoch);
        Control::Continue
    };
    let history = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(50)
                .quiet()
                .validation_data(&x_val, &y_val)
                .callback(&mut stopper)
                .callback(&mut hook),
        )
        .unwrap();
    let stopped = history.stopped_early_at.expect("stopped early");
    assert!(stopped < 49);
    assert_eq!(seen.len(), stopped + 1);
    let best = stopper.best_epoch().unwrap();
    assert_eq!(stopped, best + 2);
    let best_loss = history.epochs[best].val_loss.unwrap();
    let restored = trainer.evaluate(&x_val, &y_val).unwrap().loss;
    assert!(
        (restored - best_loss).abs() < 1e-6,
        "restored {restored} vs best {best_loss}"
    );
}

#[test]
fn validation_split_holds_out_the_last_samples() {
    let (x, y, _, _) = iris();
    let mut trainer = IrisNet::new(0)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default());
    let history = trainer
        .fit(&x, &y, Fit::epochs(2).validation_split(0.25).quiet())
        .unwrap();
    assert!(history.get("val_loss").is_some() && history.get("val_accuracy").is_some());
    let held_out = x.len() / 4 / 4;
    let tail = trainer
        .evaluate(&x[(120 - held_out) * 4..], &y[120 - held_out..])
        .unwrap();
    assert_eq!(Some(tail.loss), history.epochs[1].val_loss);
}

#[test]
fn validation_data_overrides_validation_split_as_in_keras() {
    let (x, y, xv, yv) = iris();
    let fit = |options: Fit<'_, f32, u32>| {
        let mut trainer = IrisNet::new(0)
            .compile(Adam::default(), SparseCategoricalCrossentropy::default())
            .metric(Accuracy::default());
        trainer.fit(&x, &y, options.quiet()).unwrap();
        trainer.model().params().to_vec()
    };
    let with_both = fit(Fit::epochs(2)
        .validation_split(0.25)
        .validation_data(&xv, &yv));
    let data_only = fit(Fit::epochs(2).validation_data(&xv, &yv));
    assert_eq!(
        with_both, data_only,
        "every sample trains when validation_data is given"
    );
}

#[test]
fn schedules_set_each_epochs_learning_rate() {
    use kiln::optim::StepDecay;
    let (x, y, _, _) = iris();
    let mut trainer = IrisNet::new(0)
        .compile(Sgd::new(0.1), SparseCategoricalCrossentropy::default())
        .schedule(StepDecay {
            step_size: 2,
            gamma: 0.5,
        });
    let history = trainer.fit(&x, &y, Fit::epochs(5).quiet()).unwrap();
    let rates: Vec<f64> = history.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
}

#[test]
fn gradient_clipping_bounds_each_step() {
    let (x, y, _, _) = iris();
    let mut trainer = IrisNet::new(0)
        .compile(Sgd::new(1.0), SparseCategoricalCrossentropy::default())
        .clip_grad_norm(0.01);
    let before = trainer.model().params().to_vec();
    trainer
        .fit(
            &x[..16 * 4],
            &y[..16],
            Fit::epochs(1).batch_size(16).quiet(),
        )
        .unwrap();
    let moved: f32 = trainer
        .model()
        .params()
        .iter()
        .zip(&before)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f32>()
        .sqrt();
    assert!(
        moved <= 0.01 * 1.0001 && moved > 0.009,
        "one SGD step of lr 1 moved the parameters by {moved}"
    );
}

#[test]
fn ragged_targets_are_named() {
    // IrisNet with one-hot targets: 3 per sample, and 7 is not a whole number of samples.
    let mut trainer = IrisNet::new(0).compile(Adam::default(), MeanSquaredError);
    let err = trainer
        .fit(&[0.0f32; 8], &[0.0f32; 7], Fit::default().quiet())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RaggedTargets {
                what: "training y",
                len: 7,
                per_sample: 3
            }
        ),
        "{err}"
    );
}

#[test]
fn samples_as_arrays_train_like_flat_slices() {
    // The same data as `[[f32; 2]]` / `[[f32; 1]]` and flat: the same weights, bit for bit.
    let x = [[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = [[0.0f32], [1.0], [1.0], [0.0]];
    let options = || Fit::epochs(20).batch_size(2).seed(3).quiet();
    let mut typed = Xor::new(1).compile(Adam::new(0.05), BinaryCrossentropy::default());
    typed.fit(&x, &y, options()).unwrap();
    let mut flat = Xor::new(1).compile(Adam::new(0.05), BinaryCrossentropy::default());
    flat.fit(x.as_flattened(), y.as_flattened(), options())
        .unwrap();
    assert_eq!(typed.model().params(), flat.model().params());
    let typed_eval = typed.evaluate(&x, &y).unwrap();
    let flat_eval = flat.evaluate(x.as_flattened(), y.as_flattened()).unwrap();
    assert_eq!(typed_eval.loss, flat_eval.loss);
    assert_eq!(
        typed.predict(&x).unwrap(),
        flat.predict(x.as_flattened()).unwrap()
    );
    assert_eq!(typed.predict(&x.to_vec()).unwrap().len(), 4);
}
