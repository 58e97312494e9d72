//! The benchmark workloads of `shared/WORKLOADS.md` that kiln supports, shared by the criterion
//! benchmarks (`benches/workloads.rs`) and `cargo run --release --example workloads`.
//!
//! | id | network | timed |
//! |----|---------|-------|
//! | W1 | 8 → Dense 10 relu → Dense 5 relu → Dense 1 sigmoid | forward of one sample |
//! | W1b | same | forward of a batch of 1024 |
//! | W2 | 784 → Dense 64 relu → Dense 64 relu → Dense 10 softmax, sparse CE, Adam 1e-3 | training step, batch 32 |
//! | W2i | same | forward of one sample |
//! | W4 | 10×1 → LSTM 10 (sequences) → LSTM 10 → Dense 10 relu → Dense 1, MSE, Adam | training step, batch 32 |
//! | W4i | same | forward of one sequence |
//! | W4s | same | one streaming step (one time step through the kept state) |
//! | W6 | 1 → Conv1D 16 k3 causal tanh, dilations 1, 2, 4, …, 256 → Dense 1 (WaveNet-style) | streaming, ns per audio sample over a 48,000-sample pass |
//! | W3 | 32×32×3 → Conv2D 32 3×3 relu → MaxPool 2 → Conv2D 64 3×3 relu → MaxPool 2 → Flatten → Dense 128 relu → Dense 10 softmax, Adam | training step, batch 32 |

use kiln::losses::{MeanSquaredError, SparseCategoricalCrossentropy};
use kiln::optim::Adam;
use kiln::{model, Compile, Mode, Model, Rng, SVector};
use std::hint::black_box;

model! {
    /// Seed 000's binary classifier (W1, W1b).
    pub struct W1Net { Input(8), Dense(10, activation = relu), Dense(5, activation = relu), Dense(1, activation = sigmoid) }
    /// Seed 003's CIFAR-sized ConvNet (W3).
    pub struct W3Net {
        Input(32, 32, 3),
        Conv2D(32, 3, activation = relu),
        MaxPooling2D(2),
        Conv2D(64, 3, activation = relu),
        MaxPooling2D(2),
        Flatten(),
        Dense(128, activation = relu),
        Dense(10, activation = softmax),
    }
    /// Seed 003's stacked LSTM forecaster (W4, W4i, W4s).
    pub struct W4Net {
        Input(10, 1),
        LSTM(10, return_sequences = true),
        LSTM(10),
        Dense(10, activation = relu),
        Dense(1),
    }
    /// A WaveNet-style stack of causal dilated convolutions (W6), streamed one audio sample at a
    /// time like W5: `Input(1, 1)` declares the streaming model (`step` takes one time step
    /// whatever `timesteps` is), each Conv1D keeping its last `2·d` inputs in the state.
    pub struct W6Net {
        Input(1, 1),
        Conv1D(16, 3, padding = causal, dilation_rate = 1, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 2, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 4, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 8, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 16, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 32, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 64, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 128, activation = tanh),
        Conv1D(16, 3, padding = causal, dilation_rate = 256, activation = tanh),
        Dense(1),
    }
    /// Seed 004's MNIST MLP (W2, W2i).
    pub struct W2Net { Input(784), Dense(64, activation = relu), Dense(64, activation = relu), Dense(10, activation = softmax) }
}

/// How a workload's figure is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    NsPerSample,
    SamplesPerSecond,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::NsPerSample => "ns_per_sample",
            Metric::SamplesPerSecond => "samples_per_s",
        }
    }

    /// The figure from nanoseconds per sample.
    pub fn value(self, ns_per_sample: f64) -> f64 {
        match self {
            Metric::NsPerSample => ns_per_sample,
            Metric::SamplesPerSecond => 1e9 / ns_per_sample,
        }
    }
}

/// One workload: a step that processes `samples` samples, built with all its buffers.
pub struct Workload {
    pub id: &'static str,
    pub metric: Metric,
    pub samples: usize,
    pub note: &'static str,
    /// Threads the step runs on (a trainer's [`kiln::Trainer::threads`]; 1 for inference).
    pub threads: usize,
    pub step: Box<dyn FnMut()>,
}

/// Samples in one streaming pass (W6): 1 s of audio at 48 kHz.
const STREAM: usize = 48_000;

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.uniform() as f32).collect()
}

/// Every workload kiln runs, or those whose ids are in `only` (if not empty).
pub fn workloads(only: &[String]) -> Vec<Workload> {
    let wanted = |id: &str| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(id));
    let mut all = Vec::new();
    if wanted("W1") {
        let model = W1Net::new(1);
        let x = SVector::<f32, 8>::from_vec(random(8, 2));
        all.push(Workload {
            id: "W1",
            metric: Metric::NsPerSample,
            samples: 1,
            note: "predict, batch 1",
            threads: 1,
            step: Box::new(move || {
                black_box(model.predict(black_box(&x)));
            }),
        });
    }
    if wanted("W1b") {
        let model = W1Net::new(1);
        let mut ws = model.workspace(1024);
        let x = random(8 * 1024, 3);
        all.push(Workload {
            id: "W1b",
            metric: Metric::NsPerSample,
            samples: 1024,
            note: "forward, batch 1024",
            threads: 1,
            step: Box::new(move || {
                model.forward(&mut ws, black_box(&x), 1024, Mode::Infer);
                black_box(&ws);
            }),
        });
    }
    // W2 and W3 on one thread and on two (issue 26: the same bits, in less time).
    for threads in [1, 2].into_iter().filter(|_| wanted("W2")) {
        let mut trainer = W2Net::new(1)
            .compile(Adam::new(1e-3), SparseCategoricalCrossentropy::default())
            .threads(threads);
        let x = random(784 * 32, 4);
        let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
        trainer
            .fit(&x, &y, kiln::Fit::epochs(1).batch_size(32).quiet())
            .expect("warm-up step");
        all.push(Workload {
            id: "W2",
            metric: Metric::SamplesPerSecond,
            samples: 32,
            note: "train_step (forward, backward, Adam), batch 32",
            threads,
            step: Box::new(move || {
                black_box(trainer.train_step(black_box(&x), &y, 32).unwrap());
            }),
        });
    }
    for threads in [1, 2].into_iter().filter(|_| wanted("W3")) {
        let mut trainer = W3Net::new(1)
            .compile(Adam::new(1e-3), SparseCategoricalCrossentropy::default())
            .threads(threads);
        let x = random(32 * 32 * 3 * 32, 6);
        let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
        trainer
            .fit(&x, &y, kiln::Fit::epochs(1).batch_size(32).quiet())
            .expect("warm-up step");
        all.push(Workload {
            id: "W3",
            metric: Metric::SamplesPerSecond,
            samples: 32,
            note: "train_step (forward, backward, Adam), batch 32",
            threads,
            step: Box::new(move || {
                black_box(trainer.train_step(black_box(&x), &y, 32).unwrap());
            }),
        });
    }
    if wanted("W4") {
        let mut trainer = W4Net::new(1)
            .compile(Adam::new(1e-3), MeanSquaredError)
            .threads(1);
        let x = random(10 * 32, 7);
        let y = random(32, 8);
        trainer
            .fit(&x, &y, kiln::Fit::epochs(1).batch_size(32).quiet())
            .expect("warm-up step");
        all.push(Workload {
            id: "W4",
            metric: Metric::SamplesPerSecond,
            samples: 32,
            note: "train_step (forward, backward through time, Adam), batch 32",
            threads: 1,
            step: Box::new(move || {
                black_box(trainer.train_step(black_box(&x), &y, 32).unwrap());
            }),
        });
    }
    if wanted("W4i") {
        let model = W4Net::new(1);
        let x = SVector::<f32, 10>::from_vec(random(10, 9));
        all.push(Workload {
            id: "W4i",
            metric: Metric::NsPerSample,
            samples: 1,
            note: "predict one sequence of 10 steps, batch 1",
            threads: 1,
            step: Box::new(move || {
                black_box(model.predict(black_box(&x)));
            }),
        });
    }
    if wanted("W4s") {
        let model = W4Net::new(1);
        let mut state = W4NetState::default();
        let x = [0.25f32];
        all.push(Workload {
            id: "W4s",
            metric: Metric::NsPerSample,
            samples: 1,
            note: "step: one time step of a stream through the kept LSTM states",
            threads: 1,
            step: Box::new(move || {
                black_box(model.step(&mut state, black_box(&x)));
            }),
        });
    }
    if wanted("W6") {
        // W5's protocol: white noise in [−1, 1], one pass over 48,000 samples, the state zeroed
        // once and carried through every pass.
        let model = W6Net::new(1);
        let mut state = Box::new(W6NetState::default());
        let x: Vec<f32> = random(STREAM, 6).iter().map(|v| 2.0 * v - 1.0).collect();
        let mut y = vec![0.0f32; STREAM];
        all.push(Workload {
            id: "W6",
            metric: Metric::NsPerSample,
            samples: STREAM,
            note: "step per audio sample through 9 causal Conv1D (16 filters, k 3, dilations 1..256) and Dense 1, 48,000-sample pass",
            threads: 1,
            step: Box::new(move || {
                for (sample, out) in x.iter().zip(y.iter_mut()) {
                    *out = model.step(&mut *state, &[*sample])[0];
                }
                black_box(&mut y);
            }),
        });
    }
    if wanted("W2i") {
        let model = W2Net::new(1);
        let x = SVector::<f32, 784>::from_vec(random(784, 5));
        all.push(Workload {
            id: "W2i",
            metric: Metric::NsPerSample,
            samples: 1,
            note: "predict, batch 1",
            threads: 1,
            step: Box::new(move || {
                black_box(model.predict(black_box(&x)));
            }),
        });
    }
    all
}
