//! After `init`, optimizer steps, loss evaluations and metric updates allocate nothing.
//!
//! kiln's counting global allocator keeps a per-thread count, so tests running on other
//! threads do not interfere.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::losses::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use kiln::metrics::{
    Accuracy, BinaryAccuracy, CategoricalAccuracy, Mae, Metric, Mse, SparseCategoricalAccuracy,
};
use kiln::optim::{clip_grad_norm, Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
use kiln::{OutputActivation as Act, Rng, Scalar};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn the_counter_counts() {
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 10]))) >= 1);
    assert_eq!(allocations(|| ()), 0);
}

fn random<T: Scalar>(rng: &mut Rng, len: usize, lo: f64, hi: f64) -> Vec<T> {
    (0..len)
        .map(|_| T::of(lo + (hi - lo) * rng.uniform()))
        .collect()
}

fn optimizers_do_not_allocate<T: Scalar>() {
    let mut opts: Vec<Box<dyn Optimizer<T>>> = vec![
        Box::new(Sgd::new(0.1)),
        Box::new(Sgd::new(0.1).momentum(0.9).weight_decay(1e-4)),
        Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        Box::new(Adam::new(1e-3)),
        Box::new(Adam::new(1e-3).amsgrad(true).weight_decay(0.01)),
        Box::new(AdamW::new(1e-3)),
        Box::new(RmsProp::new(1e-2)),
        Box::new(
            RmsProp::new(1e-2)
                .momentum(0.9)
                .centered(true)
                .weight_decay(0.1),
        ),
        Box::new(Adagrad::new(1e-2).lr_decay(0.01)),
    ];
    let mut rng = Rng::new(5);
    let len = 1000;
    let mut params: Vec<T> = random(&mut rng, len, -1.0, 1.0);
    let mut grads: Vec<T> = random(&mut rng, len, -1.0, 1.0);
    for opt in &mut opts {
        opt.init(len);
        let name = opt.name();
        let n = allocations(|| {
            for _ in 0..20 {
                clip_grad_norm(&mut grads, T::of(5.0));
                opt.step(&mut params, &grads);
                let lr = opt.learning_rate();
                opt.set_learning_rate(lr * 0.99);
            }
        });
        assert_eq!(n, 0, "{name} ({}) allocated {n} times in 20 steps", T::NAME);
    }
}

#[test]
fn optimizer_steps_allocate_nothing_f32() {
    optimizers_do_not_allocate::<f32>();
}

#[test]
fn optimizer_steps_allocate_nothing_f64() {
    optimizers_do_not_allocate::<f64>();
}

fn losses_and_metrics_do_not_allocate<T: Scalar>() {
    let (outputs, n) = (10, 32);
    let len = outputs * n;
    let mut rng = Rng::new(6);
    let logits: Vec<T> = random(&mut rng, len + 8, -3.0, 3.0);
    let probs: Vec<T> = random(&mut rng, len + 8, 0.01, 0.99);
    let dense: Vec<T> = random(&mut rng, len, 0.0, 1.0);
    let labels: Vec<u32> = (0..n).map(|_| rng.below(outputs as u64) as u32).collect();
    let mut grad = vec![T::zero(); len + 8];

    #[allow(clippy::too_many_arguments)]
    fn run<T: Scalar, L: Loss<T>>(
        loss: &L,
        acts: &[Act],
        logits: &[T],
        output: &[T],
        target: &[L::Target],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) {
        for &act in acts {
            let count = allocations(|| {
                for _ in 0..20 {
                    let (l, _) = loss.loss_and_grad(act, logits, output, target, outputs, n, grad);
                    let e = loss.loss(act, logits, output, target, outputs, n);
                    std::hint::black_box((l, e));
                }
            });
            assert_eq!(
                count,
                0,
                "{} {act:?} ({}) allocated {count} times",
                loss.name(),
                T::NAME
            );
        }
    }

    let all = [Act::Linear, Act::Sigmoid, Act::Softmax, Act::Other];
    run(
        &MeanSquaredError,
        &all,
        &logits,
        &probs,
        &dense,
        outputs,
        n,
        &mut grad,
    );
    run(
        &MeanAbsoluteError,
        &all,
        &logits,
        &probs,
        &dense,
        outputs,
        n,
        &mut grad,
    );
    run(
        &Huber::default(),
        &all,
        &logits,
        &probs,
        &dense,
        outputs,
        n,
        &mut grad,
    );
    for from_logits in [false, true] {
        let bce = BinaryCrossentropy { from_logits };
        run(&bce, &all, &logits, &probs, &dense, outputs, n, &mut grad);
        let cce = CategoricalCrossentropy { from_logits };
        run(&cce, &all, &logits, &probs, &dense, outputs, n, &mut grad);
        let sp = SparseCategoricalCrossentropy { from_logits };
        run(&sp, &all, &logits, &probs, &labels, outputs, n, &mut grad);
    }

    // Target checks happen once before training but allocate nothing either.
    let count = allocations(|| {
        BinaryCrossentropy::default()
            .check_targets(outputs, &dense)
            .unwrap();
        Loss::<T>::check_targets(&SparseCategoricalCrossentropy::default(), outputs, &labels)
            .unwrap();
    });
    assert_eq!(count, 0);

    let mut bin = BinaryAccuracy::default();
    let mut cat = CategoricalAccuracy::default();
    let mut sparse = SparseCategoricalAccuracy::default();
    let mut acc_sparse = Accuracy::default();
    let mut acc_dense = Accuracy::default();
    let mut mae = Mae::default();
    let mut mse = Mse::default();
    let count = allocations(|| {
        for _ in 0..20 {
            Metric::<T, T>::update(&mut bin, &probs, &dense, outputs, n);
            Metric::<T, T>::update(&mut cat, &probs, &dense, outputs, n);
            Metric::<T, u32>::update(&mut sparse, &probs, &labels, outputs, n);
            Metric::<T, u32>::update(&mut acc_sparse, &probs, &labels, outputs, n);
            Metric::<T, T>::update(&mut acc_dense, &probs, &dense, outputs, n);
            Metric::<T, T>::update(&mut acc_dense, &probs, &dense, 1, len);
            Metric::<T, T>::update(&mut mae, &probs, &dense, outputs, n);
            Metric::<T, T>::update(&mut mse, &probs, &dense, outputs, n);
            std::hint::black_box((
                Metric::<T, T>::result(&bin),
                Metric::<T, T>::result(&cat),
                Metric::<T, u32>::result(&sparse),
                Metric::<T, u32>::result(&acc_sparse),
                Metric::<T, T>::result(&acc_dense),
                Metric::<T, T>::result(&mae),
                Metric::<T, T>::result(&mse),
            ));
            Metric::<T, T>::reset(&mut mse);
        }
    });
    assert_eq!(count, 0, "metrics ({}) allocated {count} times", T::NAME);
}

#[test]
fn losses_and_metrics_allocate_nothing_f32() {
    losses_and_metrics_do_not_allocate::<f32>();
}

#[test]
fn losses_and_metrics_allocate_nothing_f64() {
    losses_and_metrics_do_not_allocate::<f64>();
}
