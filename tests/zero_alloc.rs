//! After a model, its workspace and its trainer are built, inference and training allocate
//! nothing: `predict`, batched forward, backward, a whole training step with every optimizer and
//! loss, and each batch of a quiet `fit` epoch.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::losses::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use kiln::optim::{Adagrad, Adam, AdamW, RmsProp, Sgd};
use kiln::{model, Compile, Fit, GradAt, Mode, Model, SMatrix, SVector};

#[macro_use]
#[path = "common/zero_alloc.rs"]
mod harness;

use harness::*;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

model! {
    /// Seed 004's MLP (W2), with dropout.
    struct Mnist { Input(784), Dense(64, activation = relu), Dropout(0.2), Dense(64, activation = relu), Dense(10, activation = softmax) }
    /// Every other output head the losses care about.
    struct Binary { Input(8), Dense(10, activation = relu), Dense(5, activation = elu), Dense(1, activation = sigmoid) }
    struct Regression { Input(10), Dense(10, activation = tanh), Activation(silu), Dense(3) }
    /// Every pooling layer: max (argmax indices) and average, valid and same, overlapping.
    struct Pooled {
        Input(12, 10, 3), MaxPooling2D(2), AveragePooling2D(3, strides = 1, padding = same),
        MaxPooling2D((2, 3), strides = (1, 2), padding = same), GlobalMaxPooling2D(), Dense(10, activation = softmax)
    }
    struct GlobalAveraged { Input(6, 6, 4), GlobalAveragePooling2D(), Dense(10, activation = softmax) }
    /// A small CNN: im2col buffers live in the workspace, `predict` convolves on the stack.
    struct Cnn { Input(12, 12, 1), Conv2D(4, 3, activation = relu), Conv2D(4, 3, strides = 2, padding = same), Flatten(), Dense(10, activation = softmax) }
    /// Stacked LSTMs (W4's shape): every timestep's gates and states live in the workspace,
    /// `predict` keeps them on the stack.
    struct Recurrent { Input(10, 1), LSTM(10, return_sequences = true), LSTM(10), Dense(1) }
    struct Simple { Input(10, 2), SimpleRNN(8, return_sequences = true), SimpleRNN(6), Dense(1) }
    struct Gated { Input(10, 2), GRU(8, return_sequences = true), GRU(6), Dense(1) }
    /// Normalisation and residual blocks: batch statistics, moving statistics, a shortcut.
    struct Normalised {
        Input(8, 8, 2), Conv2D(4, 3, padding = same), BatchNormalization(), PReLU(),
        Residual { Conv2D(4, 3, padding = same, activation = relu), BatchNormalization(), Conv2D(4, 3, padding = same) },
        Residual(shortcut = Conv2D(6, 1, strides = 2)) { Conv2D(6, 3, strides = 2, padding = same) },
        GlobalAveragePooling2D(), Dense(10, activation = softmax)
    }
    struct LayerNormed { Input(10, 2), LSTM(8, return_sequences = true), LayerNormalization(), Residual { Dense(8) }, LSTM(4), Dense(1) }
}

#[test]
fn predict_forward_and_backward_allocate_nothing() {
    passes_allocate_nothing!(Mnist);
}

#[test]
fn a_cnn_allocates_nothing() {
    passes_allocate_nothing!(Cnn);
}

#[test]
fn training_steps_allocate_nothing_for_every_optimizer_and_loss() {
    let labels: Vec<u32> = (0..16).map(|i| i % 10).collect();
    let one_hot: Vec<f32> = (0..16 * 10)
        .map(|i| if i % 10 == (i / 10) % 10 { 1.0 } else { 0.0 })
        .collect();
    let bits: Vec<f32> = (0..16).map(|i| (i % 2) as f32).collect();
    let values = random(16 * 3, 5);

    macro_rules! each_optimizer {
        ($model:expr, $loss:expr, $y:expr) => {
            steps_allocate_nothing(
                &mut $model.compile(Sgd::new(0.01).momentum(0.9).nesterov(true), $loss),
                $y,
                "sgd",
            );
            steps_allocate_nothing(&mut $model.compile(Adam::default(), $loss), $y, "adam");
            steps_allocate_nothing(&mut $model.compile(AdamW::default(), $loss), $y, "adamw");
            steps_allocate_nothing(
                &mut $model.compile(RmsProp::default(), $loss),
                $y,
                "rmsprop",
            );
            steps_allocate_nothing(
                &mut $model.compile(Adagrad::default(), $loss),
                $y,
                "adagrad",
            );
            steps_allocate_nothing(
                &mut $model.compile(Adam::default(), $loss).clip_grad_norm(1.0),
                $y,
                "clipped",
            );
        };
    }
    each_optimizer!(
        Mnist::new(1),
        SparseCategoricalCrossentropy::default(),
        &labels
    );
    each_optimizer!(Mnist::new(1), CategoricalCrossentropy::default(), &one_hot);
    each_optimizer!(Binary::new(1), BinaryCrossentropy::default(), &bits);
    each_optimizer!(
        Binary::new(1),
        BinaryCrossentropy { from_logits: true },
        &bits
    );
    each_optimizer!(Regression::new(1), MeanSquaredError, &values);
    each_optimizer!(Regression::new(1), MeanAbsoluteError, &values);
    each_optimizer!(Regression::new(1), Huber::default(), &values);
    each_optimizer!(
        Cnn::new(1),
        SparseCategoricalCrossentropy::default(),
        &labels
    );
}

#[test]
fn a_quiet_fit_epoch_allocates_nothing_per_batch() {
    let mut trainer =
        Mnist::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default());
    let x = random(784 * 640, 6);
    let y: Vec<u32> = (0..640).map(|i| i % 10).collect();
    let mut fit = |samples: usize| {
        allocations(|| {
            trainer
                .fit(
                    &x[..784 * samples],
                    &y[..samples],
                    Fit::epochs(1).batch_size(32).quiet(),
                )
                .unwrap();
        })
    };
    // Builds the workspace and the sample order at their largest (the trainer keeps its order
    // between fits, and restarts it, within its capacity, when the data size changes).
    fit(640);
    let (few, many) = (fit(64), fit(640));
    assert_eq!(
        few, many,
        "fit allocated more with 20 batches than with 2: {many} vs {few}"
    );
}

#[test]
fn pooling_models_allocate_nothing() {
    passes_allocate_nothing!(Pooled);

    let labels: Vec<u32> = (0..16).map(|i| i % 10).collect();
    steps_allocate_nothing(
        &mut Pooled::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default()),
        &labels,
        "pooled, adam",
    );
    steps_allocate_nothing(
        &mut GlobalAveraged::new(1)
            .compile(Sgd::new(0.01), SparseCategoricalCrossentropy::default()),
        &labels,
        "global average, sgd",
    );
}

#[test]
fn recurrent_models_allocate_nothing() {
    streaming_allocates_nothing!(Recurrent, RecurrentState);
    streaming_allocates_nothing!(Simple, SimpleState);
    streaming_allocates_nothing!(Gated, GatedState);
    passes_allocate_nothing!(Recurrent);

    let values = random(16, 7);
    steps_allocate_nothing(
        &mut Recurrent::new(1).compile(Adam::default(), MeanSquaredError),
        &values,
        "lstm, adam",
    );
    passes_allocate_nothing!(Simple);
    steps_allocate_nothing(
        &mut Simple::new(1).compile(Sgd::new(0.01), MeanSquaredError),
        &values,
        "simple rnn, sgd",
    );
    passes_allocate_nothing!(Gated);
    steps_allocate_nothing(
        &mut Gated::new(1).compile(RmsProp::default(), MeanSquaredError),
        &values,
        "gru, rmsprop",
    );
}

#[test]
fn normalised_and_residual_models_allocate_nothing() {
    passes_allocate_nothing!(Normalised);
    let labels: Vec<u32> = (0..16).map(|i| i % 10).collect();
    steps_allocate_nothing(
        &mut Normalised::new(1).compile(AdamW::default(), SparseCategoricalCrossentropy::default()),
        &labels,
        "batch norm, residual, adamw",
    );
    passes_allocate_nothing!(LayerNormed);
    streaming_allocates_nothing!(LayerNormed, LayerNormedState);
    steps_allocate_nothing(
        &mut LayerNormed::new(1).compile(Sgd::new(0.01).momentum(0.9), MeanSquaredError),
        &random(16, 8),
        "layer norm, sgd",
    );
}
