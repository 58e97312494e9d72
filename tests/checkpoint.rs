//! Checkpoints: a resumed `fit` continues bit for bit, `ModelCheckpoint` keeps the best epoch,
//! saves are atomic, and every bad checkpoint is a typed error naming the file (and tensor),
//! never a panic, leaving the trainer unchanged.

use kiln::losses::SparseCategoricalCrossentropy;
use kiln::metrics::Accuracy;
use kiln::optim::{Adam, Optimizer, RmsProp, Sgd, StateError, StepDecay};
use kiln::train::checkpoint::{self, CheckpointError};
use kiln::train::{Callback, Control, EpochLogs, History, ModelCheckpoint};
use kiln::{io, model, Compile, Error, Fit, Rng, Scalar};
use proptest::prelude::*;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

model! {
    /// With dropout, so that its streams must resume too.
    struct Net { Input(4), Dense(16, activation = relu), Dropout(0.25), Dense(3, activation = softmax) }
    /// The same sizes without dropout.
    struct Plain { Input(4), Dense(16, activation = relu), Dense(3, activation = softmax) }
    /// Other sizes.
    struct Wider { Input(4), Dense(17, activation = relu), Dense(3, activation = softmax) }
}

/// Three classes by a rule on 4 uniform features (plus label noise, so that training moves).
fn data(n: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..n * 4)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let y = x
        .chunks(4)
        .map(|s| {
            if rng.uniform() < 0.1 {
                rng.below(3) as u32
            } else if s[0] + s[1] > 0.3 {
                0
            } else if s[2] > s[3] {
                1
            } else {
                2
            }
        })
        .collect();
    (x, y)
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-checkpoint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bits<T: Scalar>(values: &[T]) -> Vec<u64> {
    values.iter().map(|v| v.to_f64().to_bits()).collect()
}

fn assert_same_epochs(a: &[EpochLogs], b: &[EpochLogs]) {
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(b) {
        assert_eq!(a.epoch, b.epoch);
        assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "epoch {}", a.epoch);
        assert_eq!(a.val_loss.map(f64::to_bits), b.val_loss.map(f64::to_bits));
        assert_eq!(a.metrics, b.metrics);
        assert_eq!(a.learning_rate.to_bits(), b.learning_rate.to_bits());
    }
}

/// Four epochs straight, against two, a checkpoint, a fresh trainer (other initial weights, a
/// fresh optimizer) that loads it, and two more: the same weights bit for bit and the same
/// logs. Shuffling, dropout, a partial last batch, validation and a step schedule all run;
/// the resumed `fit` passes no seed (it continues the checkpoint's streams).
macro_rules! resume_is_exact {
    ($model:ident, $t:ty, $optimizer:expr, $name:literal) => {{
        let (x, y) = data(50, 1);
        let (xv, yv) = data(20, 2);
        let (x, xv): (Vec<$t>, Vec<$t>) = (
            x.iter().map(|&v| v as $t).collect(),
            xv.iter().map(|&v| v as $t).collect(),
        );
        let fit = |epochs| {
            Fit::epochs(epochs)
                .batch_size(8)
                .validation_data(&xv, &yv)
                .quiet()
        };
        let trainer = |seed| {
            $model::<$t>::seeded(seed)
                .compile($optimizer, SparseCategoricalCrossentropy::default())
                .metric(Accuracy::default())
                .schedule(StepDecay {
                    step_size: 3,
                    gamma: 0.5,
                })
        };
        let mut straight = trainer(3);
        let all = straight.fit(&x, &y, fit(4).seed(11)).unwrap();

        let path = dir($name).join("resume.safetensors");
        let mut first = trainer(3);
        let early = first.fit(&x, &y, fit(2).seed(11)).unwrap();
        first.save_checkpoint(&path).unwrap();
        let mut resumed = trainer(99);
        resumed.load_checkpoint(&path).unwrap();
        assert_eq!(resumed.epochs_done(), 2);
        assert_eq!(bits(resumed.model().params()), bits(first.model().params()));
        let late = resumed.fit(&x, &y, fit(2)).unwrap();

        assert_eq!(
            bits(resumed.model().params()),
            bits(straight.model().params()),
            "{}: resumed weights differ",
            $name
        );
        let (o1, o2) = (resumed.optimizer().state(), straight.optimizer().state());
        assert_eq!(o1.0, o2.0);
        for ((n1, b1), (n2, b2)) in o1.1.iter().zip(&o2.1) {
            assert_eq!((n1, bits(b1)), (n2, bits(b2)));
        }
        assert_same_epochs(&early.epochs, &all.epochs[..2]);
        assert_same_epochs(&late.epochs, &all.epochs[2..]);
        assert_eq!(late.epochs[1].epoch, 3, "epochs are numbered on");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }};
}

#[test]
fn a_resumed_fit_continues_bit_for_bit_with_adam() {
    resume_is_exact!(Net, f32, Adam::new(0.01), "adam");
    resume_is_exact!(Net, f32, Adam::new(0.01).amsgrad(true), "amsgrad");
}

#[test]
fn a_resumed_fit_continues_bit_for_bit_with_sgd_momentum() {
    resume_is_exact!(Net, f32, Sgd::new(0.05).momentum(0.9), "sgd-momentum");
    resume_is_exact!(Net, f32, Sgd::new(0.05), "sgd");
}

#[test]
fn a_resumed_fit_continues_bit_for_bit_in_f64_with_rmsprop() {
    resume_is_exact!(
        Net,
        f64,
        RmsProp::new(0.01).momentum(0.5).centered(true),
        "rmsprop-f64"
    );
    resume_is_exact!(Plain, f64, Adam::new(0.01), "adam-f64-plain");
}

#[test]
fn a_second_fit_continues_the_first_and_a_new_seed_restarts_the_streams() {
    let (x, y) = data(50, 1);
    let run = |seeds: &[u64]| {
        let mut trainer =
            Net::new(3).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default());
        let mut history = History::default();
        for &seed in seeds {
            let part = trainer
                .fit(&x, &y, Fit::epochs(2).batch_size(8).seed(seed).quiet())
                .unwrap();
            history.epochs.extend(part.epochs);
        }
        (bits(trainer.model().params()), history)
    };
    let (once, _) = {
        let mut trainer =
            Net::new(3).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default());
        let h = trainer
            .fit(&x, &y, Fit::epochs(4).batch_size(8).seed(5).quiet())
            .unwrap();
        (bits(trainer.model().params()), h)
    };
    let (twice, history) = run(&[5, 5]);
    assert_eq!(once, twice);
    let numbers: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(numbers, [0, 1, 2, 3]);
    assert_ne!(run(&[5, 6]).0, once);
}

/// Records the parameters after every epoch.
#[derive(Default)]
struct Recorder(Vec<Vec<f32>>);

impl Callback<f32> for Recorder {
    fn on_epoch_end(&mut self, _logs: &EpochLogs, params: &[f32]) -> Control {
        self.0.push(params.to_vec());
        Control::Continue
    }
}

/// A training set the model overfits at a high learning rate, with a validation set whose
/// loss falls first and then rises.
fn overfitting() -> (Vec<f32>, Vec<u32>, Vec<f32>, Vec<u32>) {
    let (x, y) = data(24, 7);
    let (xv, yv) = data(200, 8);
    (x, y, xv, yv)
}

#[test]
fn model_checkpoint_keeps_the_best_epoch() {
    let dir = dir("best");
    let (x, y, xv, yv) = overfitting();
    let path = dir.join("best.safetensors");
    let mut saver = ModelCheckpoint::new(&path).unwrap();
    let mut recorder = Recorder::default();
    let mut trainer =
        Plain::new(1).compile(Adam::new(0.05), SparseCategoricalCrossentropy::default());
    let history = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(40)
                .batch_size(8)
                .validation_data(&xv, &yv)
                .callback(&mut saver)
                .callback(&mut recorder)
                .quiet(),
        )
        .unwrap();
    let val = history.get("val_loss").unwrap();
    let best = (0..val.len())
        .min_by(|&a, &b| val[a].total_cmp(&val[b]))
        .unwrap();
    assert!(
        best > 0 && val[val.len() - 1] > val[best] * 1.2,
        "the validation loss should fall, then rise: {val:?}"
    );
    assert_eq!(saver.best_epoch(), Some(best));
    assert_eq!(saver.best(), Some(val[best]));
    assert_eq!(saver.last_saved(), Some(path.as_path()));

    // The file holds the best epoch: its weights, its optimizer state and its position.
    let mut reloaded =
        Plain::new(5).compile(Adam::new(0.05), SparseCategoricalCrossentropy::default());
    reloaded.load_checkpoint(&path).unwrap();
    assert_eq!(bits(reloaded.model().params()), bits(&recorder.0[best]));
    assert_eq!(reloaded.epochs_done(), best + 1);
    assert_eq!(checkpoint::read_info(&path).unwrap().epoch, best + 1);
    // (evaluate's batches differ from fit's validation batches: the sums round differently)
    let evaluated = reloaded.evaluate(&xv, &yv).unwrap().loss;
    assert!(
        (evaluated - val[best]).abs() < 1e-6 * val[best],
        "{evaluated} vs {}",
        val[best]
    );
    assert_no_temporary_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_checkpoint_writes_weights_per_epoch_and_maximises_accuracies() {
    let dir = dir("weights");
    let (x, y, xv, yv) = overfitting();
    let template = dir.join("w-{epoch:02}-{val_accuracy:.2}.safetensors");
    let mut saver = ModelCheckpoint::new(&template)
        .unwrap()
        .monitor("val_accuracy")
        .save_weights_only(true);
    let mut every = ModelCheckpoint::new(dir.join("last.safetensors"))
        .unwrap()
        .save_best_only(false)
        .save_weights_only(true);
    let mut recorder = Recorder::default();
    let mut trainer = Plain::new(1)
        .compile(Adam::new(0.05), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default());
    let history = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(12)
                .batch_size(8)
                .validation_data(&xv, &yv)
                .callback(&mut saver)
                .callback(&mut every)
                .callback(&mut recorder)
                .quiet(),
        )
        .unwrap();
    let accuracy = history.get("val_accuracy").unwrap();
    // Saved: each epoch that beat every earlier one, strictly.
    let mut expected = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for (epoch, &a) in accuracy.iter().enumerate() {
        if a > best {
            best = a;
            expected.push(format!("w-{:02}-{a:.2}.safetensors", epoch + 1));
        }
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("w-"))
        .collect();
    files.sort();
    expected.sort();
    assert_eq!(files, expected);
    let best_epoch = saver.best_epoch().unwrap();
    let weights: Plain = io::load(saver.last_saved().unwrap()).unwrap();
    assert_eq!(bits(weights.params()), bits(&recorder.0[best_epoch]));
    let last: Plain = io::load(dir.join("last.safetensors")).unwrap();
    assert_eq!(bits(last.params()), bits(trainer.model().params()));
    // A weight file is not a checkpoint.
    let err = trainer
        .load_checkpoint(dir.join("last.safetensors"))
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotACheckpoint { .. }),
        "{err}"
    );
    assert_no_temporary_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_checkpoint_errors_stop_fit_with_a_typed_error() {
    let (x, y, xv, yv) = overfitting();
    let mut trainer =
        Plain::new(1).compile(Adam::new(0.05), SparseCategoricalCrossentropy::default());
    let missing = std::env::temp_dir().join("kiln-no-such-folder/deeper/best.safetensors");
    let mut saver = ModelCheckpoint::new(&missing).unwrap();
    let err = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(3)
                .validation_data(&xv, &yv)
                .callback(&mut saver)
                .quiet(),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Checkpoint(CheckpointError::Io { ref path, .. }) if *path == missing),
        "{err}"
    );
    assert_eq!(trainer.epochs_done(), 1, "fit stops at the failing epoch");

    let typo_dir = dir("typo");
    let mut typo = ModelCheckpoint::new(typo_dir.join("x.safetensors"))
        .unwrap()
        .monitor("val_acc");
    let err = trainer
        .fit(
            &x,
            &y,
            Fit::epochs(1)
                .validation_data(&xv, &yv)
                .callback(&mut typo)
                .quiet(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err}");
    assert!(err.to_string().contains("val_loss"), "{err}");
    std::fs::remove_dir_all(&typo_dir).unwrap();
}

fn assert_no_temporary_files(dir: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn saves_replace_a_file_whole_and_leave_nothing_behind() {
    let dir = dir("atomic");
    let (x, y) = data(20, 3);
    let mut trainer =
        Net::new(1).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default());
    trainer
        .fit(&x, &y, Fit::epochs(1).batch_size(8).quiet())
        .unwrap();
    let path = dir.join("ckpt.safetensors");
    std::fs::write(&path, vec![0xAB; 1 << 20]).unwrap();
    trainer.save_checkpoint(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), trainer.checkpoint_bytes());
    // Twice in a row: replaced again, still whole.
    trainer
        .fit(&x, &y, Fit::epochs(1).batch_size(8).quiet())
        .unwrap();
    trainer.save_checkpoint(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), trainer.checkpoint_bytes());
    assert_no_temporary_files(&dir);

    // A save that cannot happen leaves the old file as it was, and no temporary file.
    let before = std::fs::read(&path).unwrap();
    let into_a_folder = dir.join("sub");
    std::fs::create_dir(&into_a_folder).unwrap();
    let err = trainer.save_checkpoint(&into_a_folder).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err}");
    assert!(err.to_string().contains("sub"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_no_temporary_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- Bad checkpoints ----------------------------------------------------------------------

type AdamTrainer = kiln::Trainer<f32, Net, Adam, SparseCategoricalCrossentropy>;

fn adam_trainer(seed: u64) -> AdamTrainer {
    Net::new(seed).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default())
}

/// A valid checkpoint of a trained `Net` with Adam.
fn valid_bytes() -> Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES
        .get_or_init(|| {
            let (x, y) = data(20, 3);
            let mut trainer = adam_trainer(1);
            trainer
                .fit(&x, &y, Fit::epochs(1).batch_size(8).quiet())
                .unwrap();
            trainer.checkpoint_bytes()
        })
        .clone()
}

/// The checkpoint's tensors and metadata, to be spoilt and written back.
struct Edit {
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    metadata: HashMap<String, String>,
}

impl Edit {
    fn of(bytes: &[u8]) -> Edit {
        let file = SafeTensors::deserialize(bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
        Edit {
            tensors: file
                .tensors()
                .into_iter()
                .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
                .collect(),
            metadata: header.metadata().clone().unwrap(),
        }
    }

    fn tensor(&mut self, name: &str) -> &mut (String, Dtype, Vec<usize>, Vec<u8>) {
        self.tensors.iter_mut().find(|t| t.0 == name).unwrap()
    }

    fn remove(mut self, name: &str) -> Self {
        self.tensors.retain(|t| t.0 != name);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let views = self
            .tensors
            .iter()
            .map(|(n, d, s, b)| (n.as_str(), TensorView::new(*d, s.clone(), b).unwrap()));
        safetensors::tensor::serialize(views, Some(self.metadata.clone())).unwrap()
    }

    /// A weight tensor's name (whatever `kiln::io` calls them and however it lays them out).
    fn weight(&self) -> String {
        self.tensors
            .iter()
            .map(|t| t.0.clone())
            .find(|n| !n.starts_with("optimizer/") && !n.starts_with("fit/"))
            .unwrap()
    }
}

/// Loads `bytes` into a fresh Adam trainer, checks that the failure names the file and left the
/// trainer as it was, and returns the error.
fn load_error(bytes: &[u8]) -> CheckpointError {
    let mut trainer = adam_trainer(2);
    let err = spoilt_load(&mut trainer, bytes);
    assert!(err.to_string().contains("spoilt.safetensors"), "{err}");
    err
}

fn spoilt_load<O: Optimizer<f32>>(
    trainer: &mut kiln::Trainer<f32, Net, O, SparseCategoricalCrossentropy>,
    bytes: &[u8],
) -> CheckpointError {
    let params = bits(trainer.model().params());
    let (step, state) = trainer.optimizer().state();
    let state: Vec<_> = state.iter().map(|(n, b)| (*n, bits(b))).collect();
    let lr = trainer.optimizer().learning_rate();
    let err = trainer
        .load_checkpoint_bytes(bytes, Path::new("spoilt.safetensors"))
        .unwrap_err();
    assert_eq!(
        bits(trainer.model().params()),
        params,
        "{err}: params changed"
    );
    let (step_after, state_after) = trainer.optimizer().state();
    let state_after: Vec<_> = state_after.iter().map(|(n, b)| (*n, bits(b))).collect();
    assert_eq!(
        (step_after, state_after),
        (step, state),
        "{err}: optimizer changed"
    );
    assert_eq!(trainer.optimizer().learning_rate(), lr);
    assert_eq!(trainer.epochs_done(), 0, "{err}: position changed");
    err
}

#[test]
fn the_optimizer_must_match() {
    let bytes = valid_bytes();
    let mut sgd = Net::new(1).compile(
        Sgd::new(0.1).momentum(0.9),
        SparseCategoricalCrossentropy::default(),
    );
    let err = spoilt_load(&mut sgd, &bytes);
    assert!(
        matches!(err, CheckpointError::WrongOptimizer { expected: "sgd", ref found, .. } if found == "adam"),
        "{err}"
    );
    let mut amsgrad = Net::new(1).compile(
        Adam::new(0.01).amsgrad(true),
        SparseCategoricalCrossentropy::default(),
    );
    let err = spoilt_load(&mut amsgrad, &bytes);
    assert!(
        matches!(
            err,
            CheckpointError::OptimizerState {
                source: StateError::Missing("max_exp_avg_sq"),
                ..
            }
        ),
        "{err}"
    );
    // A plain SGD checkpoint has no momentum buffer.
    let mut plain = Net::new(1).compile(Sgd::new(0.1), SparseCategoricalCrossentropy::default());
    let plain_bytes = plain.checkpoint_bytes();
    let mut momentum = Net::new(1).compile(
        Sgd::new(0.1).momentum(0.9),
        SparseCategoricalCrossentropy::default(),
    );
    let err = spoilt_load(&mut momentum, &plain_bytes);
    assert!(
        matches!(
            err,
            CheckpointError::OptimizerState {
                source: StateError::Missing("momentum_buffer"),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("momentum_buffer"), "{err}");
    plain
        .load_checkpoint_bytes(&plain_bytes, Path::new("ok"))
        .unwrap();
}

#[test]
fn missing_state_buffers_and_tensors_are_named() {
    let edit = || Edit::of(&valid_bytes());
    let err = load_error(&edit().remove("optimizer/exp_avg_sq").bytes());
    assert!(
        matches!(
            err,
            CheckpointError::OptimizerState {
                source: StateError::Missing("exp_avg_sq"),
                ..
            }
        ),
        "{err}"
    );
    let err = load_error(&edit().remove("fit/order").bytes());
    assert!(
        matches!(
            err,
            CheckpointError::MissingTensor {
                tensor: "fit/order",
                ..
            }
        ),
        "{err}"
    );
    let err = load_error(&edit().remove("fit/dropout_rng").bytes());
    assert!(
        matches!(
            err,
            CheckpointError::MissingTensor {
                tensor: "fit/dropout_rng",
                ..
            }
        ),
        "{err}"
    );
    let weight = edit().weight();
    let err = load_error(&edit().remove(&weight).bytes());
    assert!(
        matches!(
            err,
            CheckpointError::Weights(io::WeightsError::Missing { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&weight), "{err}");
    let mut extra = edit();
    extra
        .tensors
        .push(("fit/extra".into(), Dtype::U8, vec![1], vec![0]));
    let err = load_error(&extra.bytes());
    assert!(
        matches!(err, CheckpointError::UnexpectedTensor { ref tensor, .. } if tensor == "fit/extra"),
        "{err}"
    );
    let mut extra = edit();
    extra.tensors.push((
        "optimizer/momentum_buffer".into(),
        Dtype::F32,
        vec![1],
        vec![0; 4],
    ));
    let err = load_error(&extra.bytes());
    assert!(
        matches!(err, CheckpointError::Shape { ref tensor, .. } if tensor == "optimizer/momentum_buffer"),
        "{err}"
    );
}

#[test]
fn shapes_dtypes_and_values_are_checked() {
    // Another model's checkpoint: its optimizer buffers are the wrong size.
    let mut wider =
        Wider::new(1).compile(Adam::new(0.01), SparseCategoricalCrossentropy::default());
    let (x, y) = data(20, 3);
    wider.fit(&x, &y, Fit::epochs(1).quiet()).unwrap();
    let err = load_error(&wider.checkpoint_bytes());
    assert!(
        matches!(err, CheckpointError::Shape { ref tensor, ref expected, .. }
            if tensor.starts_with("optimizer/") && *expected == [Net::<f32>::PARAM_COUNT]),
        "{err}"
    );

    // A weight of the wrong shape, with buffers of the right size.
    let mut edit = Edit::of(&valid_bytes());
    let weight = edit.weight();
    let t = edit.tensor(&weight);
    let len = t.3.len() / 4;
    t.2 = vec![1, len]; // no weight of Net has this shape
    let err = load_error(&edit.bytes());
    assert!(
        matches!(
            err,
            CheckpointError::Weights(io::WeightsError::Shape { .. })
        ),
        "{err}"
    );

    let mut edit = Edit::of(&valid_bytes());
    let t = edit.tensor("optimizer/exp_avg");
    t.3[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    let err = load_error(&edit.bytes());
    assert!(
        matches!(err, CheckpointError::NonFinite { index: 2, ref tensor, .. } if tensor == "optimizer/exp_avg"),
        "{err}"
    );

    let mut edit = Edit::of(&valid_bytes());
    let t = edit.tensor("optimizer/exp_avg");
    t.1 = Dtype::I32;
    let err = load_error(&edit.bytes());
    assert!(matches!(err, CheckpointError::Dtype { .. }), "{err}");

    let mut edit = Edit::of(&valid_bytes());
    let t = edit.tensor("fit/order");
    t.3.copy_within(4..8, 0);
    let err = load_error(&edit.bytes());
    assert!(
        matches!(err, CheckpointError::Corrupt { ref reason, .. } if reason.contains("permutation")),
        "{err}"
    );

    let mut edit = Edit::of(&valid_bytes());
    let t = edit.tensor("fit/order");
    t.3[0..4].copy_from_slice(&1000u32.to_le_bytes());
    let err = load_error(&edit.bytes());
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");

    let mut edit = Edit::of(&valid_bytes());
    edit.tensor("fit/shuffle_rng").3.fill(0);
    let err = load_error(&edit.bytes());
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");

    let mut edit = Edit::of(&valid_bytes());
    edit.tensor("fit/dropout_rng").2 = vec![4, 1];
    let err = load_error(&edit.bytes());
    assert!(
        matches!(err, CheckpointError::Shape { ref tensor, .. } if tensor == "fit/dropout_rng"),
        "{err}"
    );
}

#[test]
fn metadata_is_checked() {
    let spoil = |key: &str, value: Option<&str>| {
        let mut edit = Edit::of(&valid_bytes());
        match value {
            Some(v) => edit.metadata.insert(key.into(), v.into()),
            None => edit.metadata.remove(key),
        };
        load_error(&edit.bytes())
    };
    let err = spoil("checkpoint.version", None);
    assert!(
        matches!(err, CheckpointError::NotACheckpoint { .. }),
        "{err}"
    );
    let err = spoil("checkpoint.version", Some("2"));
    assert!(
        matches!(err, CheckpointError::Version { ref found, .. } if found == "2"),
        "{err}"
    );
    for (key, value) in [
        ("checkpoint.epoch", Some("-1")),
        ("checkpoint.epoch", None),
        ("checkpoint.optimizer_step", Some("x")),
        ("checkpoint.learning_rate", Some("NaN")),
        ("checkpoint.base_learning_rate", Some("-0.1")),
        ("checkpoint.seed", Some("1e3")),
        ("checkpoint.optimizer", None),
    ] {
        let err = spoil(key, value);
        assert!(
            matches!(err, CheckpointError::Corrupt { ref reason, .. } if reason.contains(key)),
            "{key}: {err}"
        );
    }
    // No seed: a checkpoint from before any fit must not carry a position.
    let err = spoil("checkpoint.seed", None);
    assert!(
        matches!(err, CheckpointError::UnexpectedTensor { .. }),
        "{err}"
    );
}

#[test]
fn unreadable_files_are_typed_errors() {
    let dir = dir("unreadable");
    let mut trainer = adam_trainer(1);
    let missing = dir.join("missing.safetensors");
    let err = trainer.load_checkpoint(&missing).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Io { ref path, .. } if *path == missing),
        "{err}"
    );
    let err = checkpoint::read_info(&missing).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err}");
    for bytes in [&b""[..], b"garbage", &valid_bytes()[..100]] {
        let err = load_error(bytes);
        assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn read_info_describes_a_checkpoint() {
    let dir = dir("info");
    let path = dir.join("c.safetensors");
    let mut trainer = adam_trainer(1);
    trainer.save_checkpoint(&path).unwrap();
    let info = checkpoint::read_info(&path).unwrap();
    assert_eq!(
        (
            info.epoch,
            info.optimizer.as_str(),
            info.optimizer_step,
            info.seed
        ),
        (0, "adam", 0, None)
    );
    let (x, y) = data(20, 3);
    trainer
        .fit(&x, &y, Fit::epochs(3).batch_size(8).seed(4).quiet())
        .unwrap();
    trainer.save_checkpoint(&path).unwrap();
    let info = checkpoint::read_info(&path).unwrap();
    assert_eq!(
        (
            info.epoch,
            info.optimizer_step,
            info.seed,
            info.learning_rate
        ),
        (3, 9, Some(4), 0.01)
    );
    assert_eq!(info.model.as_deref(), Some("Net"));
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever happens to the bytes, loading returns (success or a typed error) and a failure
    /// leaves the trainer unchanged.
    #[test]
    fn damaged_checkpoints_never_panic(
        cut in 0usize..4096,
        flips in proptest::collection::vec((0usize..4096, 0u8..8), 0..4),
        truncate in any::<bool>(),
    ) {
        let mut bytes = valid_bytes();
        for (at, bit) in flips {
            let at = at % bytes.len();
            bytes[at] ^= 1 << bit;
        }
        if truncate {
            bytes.truncate(cut % bytes.len());
        }
        let mut trainer = adam_trainer(2);
        if trainer.load_checkpoint_bytes(&bytes, Path::new("fuzz")).is_err() {
            spoilt_load(&mut trainer, &bytes);
        }
    }
}
