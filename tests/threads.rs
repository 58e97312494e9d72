//! Data parallelism: `fit`, `train_step`, `evaluate` and `predict` give the same bits on 1, 2
//! and 3 threads: weights, history, checkpoints, evaluations and outputs. Batches of 50 samples
//! are shards of 16, 16, 16 and 2 samples, so every thread count splits them unevenly.

use kiln::losses::SparseCategoricalCrossentropy;
use kiln::metrics::Accuracy;
use kiln::optim::Adam;
use kiln::train::{History, SHARD};
use kiln::{model, Compile, Fit, Model, Rng, Scalar};

model! {
    /// Dense layers with dropout, whose masks must not depend on the threads.
    struct Dense { Input(6), Dense(24, activation = relu), Dropout(0.3), Dense(16, activation = tanh), Dense(4, activation = softmax) }
    /// Convolutions, batch statistics, pooling and dropout.
    struct ConvBn {
        Input(8, 8, 2), Conv2D(4, 3, padding = same), BatchNormalization(), Activation(relu),
        MaxPooling2D(2), Flatten(), Dropout(0.2), Dense(4, activation = softmax)
    }
    /// Recurrent layers through time.
    struct Recurrent { Input(6, 2), LSTM(8, return_sequences = true), GRU(6), Dense(4, activation = softmax) }
}

/// `n` samples of `size` uniform values in [−1, 1], labelled by a rule on the first two.
fn data(n: usize, size: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..n * size)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let y = x
        .chunks(size)
        .map(|s| u32::from(s[0] > 0.0) * 2 + u32::from(s[1] > s[size - 1]))
        .collect();
    (x, y)
}

fn bits<T: Scalar>(values: &[T]) -> Vec<u64> {
    values.iter().map(|v| v.to_f64().to_bits()).collect()
}

/// Every figure of a history but its timings, as bits.
fn history_bits(history: &History) -> Vec<u64> {
    let mut out = Vec::new();
    for e in &history.epochs {
        out.push(e.epoch as u64);
        out.push(e.loss.to_bits());
        out.extend(e.metrics.iter().map(|(_, v)| v.to_bits()));
        out.push(e.val_loss.unwrap_or(f64::NAN).to_bits());
        out.extend(e.val_metrics.iter().map(|(_, v)| v.to_bits()));
        out.push(e.learning_rate.to_bits());
    }
    out
}

/// What training on `threads` threads gives: parameters, both fits' histories, the checkpoint,
/// an evaluation, the outputs of `predict`, and parameters after a `train_step`.
fn run<M>(threads: usize) -> Vec<Vec<u64>>
where
    M: Model<f32, Output = kiln::output::Classes<4>>,
{
    let (x, y) = data(230, M::INPUT_SIZE, 5);
    let mut trainer = M::seeded(7)
        .compile(Adam::new(1e-2), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default());
    let fit = || {
        Fit::epochs(2)
            .batch_size(50)
            .seed(3)
            .validation_split(0.2)
            .threads(threads)
            .quiet()
    };
    let first = trainer.fit(&x, &y, fit()).unwrap();
    // A second fit continues the streams on the same workers.
    let second = trainer.fit(&x, &y, fit()).unwrap();
    let checkpoint = trainer.checkpoint_bytes();
    trainer.set_threads(threads);
    let evaluation = trainer.evaluate(&x, &y).unwrap();
    let mut figures = vec![evaluation.loss.to_bits()];
    figures.extend(evaluation.metrics.iter().map(|(_, v)| v.to_bits()));
    let predictions = trainer.predict(&x).unwrap();
    let params = bits(trainer.model().params());
    trainer
        .train_step(&x[..40 * M::INPUT_SIZE], &y[..40], 40)
        .unwrap();
    vec![
        params,
        history_bits(&first),
        history_bits(&second),
        checkpoint.iter().map(|&b| u64::from(b)).collect(),
        figures,
        bits(&predictions),
        bits(trainer.model().params()),
    ]
}

fn same_for_every_thread_count<M: Model<f32, Output = kiln::output::Classes<4>>>() {
    let one = run::<M>(1);
    for threads in [2, 3] {
        let other = run::<M>(threads);
        for (what, (a, b)) in [
            "parameters",
            "first history",
            "second history",
            "checkpoint",
            "evaluation",
            "predictions",
            "parameters after train_step",
        ]
        .iter()
        .zip(one.iter().zip(&other))
        {
            assert!(a == b, "{} differ on {threads} threads: {what}", M::NAME);
        }
    }
}

#[test]
fn a_dense_model_with_dropout_trains_the_same_on_1_2_and_3_threads() {
    same_for_every_thread_count::<Dense<f32>>();
}

#[test]
fn a_conv_batch_norm_model_trains_the_same_on_1_2_and_3_threads() {
    same_for_every_thread_count::<ConvBn<f32>>();
}

#[test]
fn a_recurrent_model_trains_the_same_on_1_2_and_3_threads() {
    same_for_every_thread_count::<Recurrent<f32>>();
}

/// A sharded step with dropout trains, and `predict` in shards has no dropout: two shards
/// holding the same samples give the same outputs.
#[test]
fn a_sharded_step_trains_and_sharded_inference_is_per_sample() {
    let (x, y) = data(2 * SHARD, 6, 9);
    // Two shards holding the same samples: with equal masks their gradients would be equal.
    let doubled: Vec<f32> = x[..SHARD * 6].repeat(2);
    let labels: Vec<u32> = y[..SHARD].repeat(2);
    let mut trainer = Dense::<f32>::seeded(1)
        .compile(Adam::new(1e-2), SparseCategoricalCrossentropy::default())
        .threads(2);
    let before = trainer.model().params().to_vec();
    trainer.train_step(&doubled, &labels, 2 * SHARD).unwrap();
    assert_ne!(before, trainer.model().params());
    let outputs = trainer.predict(&doubled).unwrap();
    // Inference has no dropout: the two halves give the same outputs.
    let half = outputs.len() / 2;
    assert_eq!(bits(&outputs[..half]), bits(&outputs[half..]));
}

/// A batch of one shard is today's single-threaded step, whatever the threads.
#[test]
fn a_batch_of_one_shard_trains_as_without_threads() {
    let (x, y) = data(SHARD, 6, 11);
    let params = |threads: usize| {
        let mut trainer = Dense::<f32>::seeded(2)
            .compile(Adam::new(1e-2), SparseCategoricalCrossentropy::default())
            .threads(threads);
        for _ in 0..3 {
            trainer.train_step(&x, &y, SHARD).unwrap();
        }
        bits(trainer.model().params())
    };
    assert_eq!(params(1), params(3));
}
