//! The allocation-counting harness of the zero-allocation tests (`tests/zero_alloc.rs`,
//! `tests/zero_alloc_sequences.rs`), each of which installs `kiln::alloc_count`'s counting
//! allocator as its global allocator. A test file includes it with `#[macro_use]
//! #[path = "common/zero_alloc.rs"] mod harness;` and `use harness::*;`.

use kiln::alloc_count::allocations;
use kiln::losses::Loss;
use kiln::optim::Optimizer;
use kiln::{Fit, Model, Rng, Trainer};

pub fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.uniform() as f32).collect()
}

/// `predict`, the typed batched forward and backward, and the slice passes at a partial batch,
/// five times each, allocate nothing.
macro_rules! passes_allocate_nothing {
    ($model:ident) => {{
        const IN: usize = $model::<f32>::INPUT_SIZE;
        const OUT: usize = $model::<f32>::OUTPUT_SIZE;
        let model = $model::new(1);
        let x = SVector::<f32, IN>::from_vec(random(IN, 2));
        let mut ws = model.workspace(32);
        let batch: Box<SMatrix<f32, IN, 32>> = Box::new(SMatrix::from_vec(random(IN * 32, 3)));
        let grad = SMatrix::<f32, OUT, 32>::from_element(0.01);
        let mut sink = 0.0;
        let n = allocations(|| {
            for _ in 0..5 {
                sink += model.predict(&x)[0];
                sink += model.forward_batch(&mut ws, &batch)[(0, 1)];
                model.backward_batch(&mut ws, &batch, &grad);
                model.forward(&mut ws, batch.as_slice(), 17, Mode::Train);
                model.backward(&mut ws, batch.as_slice(), 17, GradAt::Logits, false);
            }
        });
        assert_eq!(
            n,
            0,
            "{}: allocations in inference and backward passes",
            stringify!($model)
        );
        assert!(sink.is_finite());
    }};
}

/// One warm-up step, then 10 counted ones.
pub fn steps_allocate_nothing<M: Model<f32>, O: Optimizer<f32>, L: Loss<f32>>(
    trainer: &mut Trainer<f32, M, O, L>,
    y: &[L::Target],
    what: &str,
) {
    let n = 16;
    let x = random(M::INPUT_SIZE * n, 4);
    // Build the workspace and warm up once (lazy state, if any).
    trainer
        .fit(&x, y, Fit::epochs(1).batch_size(n).quiet())
        .unwrap();
    let count = allocations(|| {
        for _ in 0..10 {
            assert!(trainer.train_step(&x, y, n).unwrap().is_finite());
        }
    });
    assert_eq!(count, 0, "{what}: allocations in 10 training steps");
}

/// Streaming: `step` through a workspace and through a stack `State`, and `reset_state`.
macro_rules! streaming_allocates_nothing {
    ($model:ident, $state:ident) => {{
        const F: usize = $model::<f32>::STEP_INPUT_SIZE;
        let model = $model::new(1);
        let x = SVector::<f32, F>::from_vec(random(F, 4));
        let mut ws = model.workspace(1);
        let mut state = $state::default();
        let mut sink = 0.0;
        let n = allocations(|| {
            for _ in 0..20 {
                sink += model.step(&mut ws, &x)[0];
                sink += model.step(&mut state, &x)[0];
            }
            ws.reset_state();
            state.reset_state();
        });
        assert_eq!(
            n,
            0,
            "{}: allocations in streaming steps",
            stringify!($model)
        );
        assert!(sink.is_finite());
    }};
}
