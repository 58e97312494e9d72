//! On several threads, training steps, `fit` epochs and `evaluate` allocate nothing per batch
//! after warm-up, on any thread: counted over the whole process
//! ([`allocations_in_process`]), so this binary holds a single test.

use kiln::alloc_count::{allocations_in_process, CountingAllocator};
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::metrics::Accuracy;
use kiln::optim::Adam;
use kiln::{model, Compile, Fit, Model, Rng};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

model! {
    /// Seed 004's MLP (W2), with dropout: shards derive their streams each batch.
    struct Mnist { Input(784), Dense(64, activation = relu), Dropout(0.2), Dense(64, activation = relu), Dense(10, activation = softmax) }
    /// A small CNN (im2col buffers per shard).
    struct Cnn { Input(12, 12, 1), Conv2D(4, 3, activation = relu), MaxPooling2D(2), Flatten(), Dense(10, activation = softmax) }
    /// Recurrent layers.
    struct Recurrent { Input(10, 1), LSTM(10, return_sequences = true), GRU(8), Dense(10, activation = softmax) }
}

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.uniform() as f32).collect()
}

fn threaded_training_allocates_nothing<M: Model<f32, Output = kiln::output::Classes<10>>>(
    threads: usize,
) {
    let name = M::NAME;
    let x = random(M::INPUT_SIZE * 640, 6);
    let y: Vec<u32> = (0..640).map(|i| i % 10).collect();
    let mut trainer = M::seeded(1)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default())
        .metric(Accuracy::default())
        .threads(threads);
    let fit = |trainer: &mut kiln::Trainer<_, M, _, _>, samples: usize| {
        allocations_in_process(|| {
            trainer
                .fit(
                    &x[..M::INPUT_SIZE * samples],
                    &y[..samples],
                    Fit::epochs(1).batch_size(48).threads(threads).quiet(),
                )
                .unwrap();
        })
    };
    // Warm-up: workspaces, shards, workers, the sample order at its largest.
    fit(&mut trainer, 640);
    let (few, many) = (fit(&mut trainer, 96), fit(&mut trainer, 640));
    assert_eq!(
        few, many,
        "{name} on {threads} threads: fit allocated more with 14 batches than with 2: {many} vs {few}"
    );

    // Three shards of 16 per step.
    let steps = allocations_in_process(|| {
        for _ in 0..10 {
            let loss = trainer
                .train_step(&x[..M::INPUT_SIZE * 48], &y[..48], 48)
                .unwrap();
            assert!(loss.is_finite());
        }
    });
    assert_eq!(
        steps, 0,
        "{name} on {threads} threads: allocations in 10 training steps"
    );

    let evaluate = |trainer: &mut kiln::Trainer<_, M, _, _>, samples: usize| {
        allocations_in_process(|| {
            let evaluation = trainer
                .evaluate(&x[..M::INPUT_SIZE * samples], &y[..samples])
                .unwrap();
            assert!(evaluation.loss.is_finite());
        })
    };
    evaluate(&mut trainer, 640);
    let (few, many) = (evaluate(&mut trainer, 96), evaluate(&mut trainer, 640));
    assert_eq!(
        few, many,
        "{name} on {threads} threads: evaluate allocated more with 14 batches than with 2: {many} vs {few}"
    );
}

#[test]
fn threaded_training_and_evaluation_allocate_nothing_per_batch() {
    for threads in [1, 2, 3] {
        threaded_training_allocates_nothing::<Mnist<f32>>(threads);
        threaded_training_allocates_nothing::<Cnn<f32>>(threads);
        threaded_training_allocates_nothing::<Recurrent<f32>>(threads);
    }
}
