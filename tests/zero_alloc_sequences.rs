//! The sequence layers allocate nothing once a model, its workspace and its trainer are built:
//! `predict`, batched forward and backward, training steps and streaming `step` of models with
//! Conv1D (every padding), the 1-D pools, Bidirectional and Embedding (the harness of
//! `tests/zero_alloc.rs`).

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::losses::{BinaryCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy};
use kiln::optim::{Adam, Sgd};
use kiln::{model, Compile, Fit, GradAt, Mode, Model, SMatrix, SVector};

#[macro_use]
#[path = "common/zero_alloc.rs"]
mod harness;

use harness::*;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

model! {
    /// Conv1D in its three paddings, strided and dilated, with activations.
    struct Convolved {
        Input(24, 2), Conv1D(8, 3, padding = same, activation = relu), Conv1D(8, 3, strides = 2),
        Conv1D(6, 3, dilation_rate = 2, activation = tanh), Flatten(), Dense(4, activation = softmax)
    }
    /// A causal stack that streams, ring buffers in the state.
    struct Causal {
        Input(16, 1), Conv1D(8, 3, padding = causal, activation = tanh),
        Conv1D(8, 3, padding = causal, dilation_rate = 4, activation = tanh), LSTM(4, return_sequences = true), Dense(1)
    }
    /// Every 1-D pool.
    struct Pooled1d {
        Input(20, 3), MaxPooling1D(2), AveragePooling1D(3, strides = 1, padding = same),
        MaxPool1D(3, strides = 2, padding = same), Conv1D(4, 2), GlobalMaxPooling1D(), Dense(4, activation = softmax)
    }
    struct GlobalAveraged1d { Input(10, 3), GlobalAveragePooling1D(), Dense(4, activation = softmax) }
    /// Bidirectional over every cell, the sequence and the last states.
    struct Bidirectional2 {
        Input(10, 2), Bidirectional(LSTM(4, return_sequences = true)), Bidirectional(SimpleRNN(3, return_sequences = true)),
        Bidirectional(GRU(3)), Dense(1)
    }
    /// Seed 004's sequence classifier with an Embedding in front.
    struct Classifier { Input(20), Embedding(10, 8), LSTM(16), Dense(1, activation = sigmoid) }
}

#[test]
fn conv1d_models_allocate_nothing() {
    passes_allocate_nothing!(Convolved);
    passes_allocate_nothing!(Causal);
    streaming_allocates_nothing!(Causal, CausalState);
    let labels: Vec<u32> = (0..16).map(|i| i % 4).collect();
    steps_allocate_nothing(
        &mut Convolved::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default()),
        &labels,
        "conv1d, adam",
    );
    let values = random(16 * 16, 7);
    steps_allocate_nothing(
        &mut Causal::new(1).compile(Sgd::new(0.01), MeanSquaredError),
        &values,
        "causal conv1d, sgd",
    );
}

#[test]
fn pool1d_models_allocate_nothing() {
    passes_allocate_nothing!(Pooled1d);
    passes_allocate_nothing!(GlobalAveraged1d);
    let labels: Vec<u32> = (0..16).map(|i| i % 4).collect();
    steps_allocate_nothing(
        &mut Pooled1d::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default()),
        &labels,
        "1-d pools, adam",
    );
    steps_allocate_nothing(
        &mut GlobalAveraged1d::new(1)
            .compile(Sgd::new(0.01), SparseCategoricalCrossentropy::default()),
        &labels,
        "global average 1-d, sgd",
    );
}

#[test]
fn bidirectional_models_allocate_nothing() {
    passes_allocate_nothing!(Bidirectional2);
    let values = random(16, 8);
    steps_allocate_nothing(
        &mut Bidirectional2::new(1).compile(Adam::default(), MeanSquaredError),
        &values,
        "bidirectional, adam",
    );
}

/// Tokens in, checked: `predict_tokens` and training steps on `token_inputs` allocate nothing.
#[test]
fn embedding_models_allocate_nothing() {
    let model = Classifier::new(1);
    let tokens: [u32; 20] = core::array::from_fn(|i| (i * 7 % 10) as u32);
    let mut sink = 0.0;
    let n = allocations(|| {
        for _ in 0..5 {
            sink += model.predict_tokens(&tokens).unwrap()[0];
        }
    });
    assert_eq!(n, 0, "predict_tokens allocates");
    assert!(sink.is_finite());
    let batch: Vec<u32> = (0..16 * 20).map(|i| (i * 3 % 10) as u32).collect();
    let x = Classifier::<f32>::token_inputs(&batch).unwrap();
    let y: Vec<f32> = (0..16).map(|i| (i % 2) as f32).collect();
    let mut trainer = Classifier::new(1).compile(Adam::default(), BinaryCrossentropy::default());
    trainer
        .fit(&x, &y, Fit::epochs(1).batch_size(16).quiet())
        .unwrap();
    let count = allocations(|| {
        for _ in 0..10 {
            assert!(trainer.train_step(&x, &y, 16).unwrap().is_finite());
        }
    });
    assert_eq!(count, 0, "embedding: allocations in 10 training steps");
}
