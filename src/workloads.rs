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
//! | W5a–W5g | 1 → LSTM 8, 16, 40, 64 / GRU 8, 32 → Dense 1; 2 (audio, knob) → LSTM 20 → Dense 1 (RTNeural's weights) | streaming, ns per audio sample over a 48,000-sample pass |
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
    /// The audio-streaming networks of W5 (amp and pedal models as GuitarML Proteus, NeuralPi
    /// and AIDA-X run them), one `step` per audio sample, the state kept from each to the next.
    pub struct W5aNet { Input(1, 1), LSTM(8), Dense(1) }
    pub struct W5bNet { Input(1, 1), LSTM(16), Dense(1) }
    /// GuitarML Proteus' size.
    pub struct W5cNet { Input(1, 1), LSTM(40), Dense(1) }
    pub struct W5dNet { Input(1, 1), LSTM(64), Dense(1) }
    pub struct W5eNet { Input(1, 1), GRU(8), Dense(1) }
    pub struct W5fNet { Input(1, 1), GRU(32), Dense(1) }
    /// NeuralPi's conditioned model: each step takes the audio sample and a knob value.
    pub struct W5gNet { Input(1, 2), LSTM(20), Dense(1) }
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

/// How a workload is timed, and what it checked when it was built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Protocol {
    /// The median of 11 runs of about 100 ms each, after a warm-up.
    Repeat,
    /// WORKLOADS.md's audio-streaming protocol (W5): a 500 ms warm-up of at least 3 passes, then
    /// the median of 7 repetitions of the passes that fill about 300 ms. `max_diff` is the largest
    /// |difference| of the first [`CHECKED`] outputs of the first pass (from the zero state) from
    /// an f64 evaluation of the same network on the same stream.
    Stream { max_diff: f64 },
}

/// One workload: a step that processes `samples` samples, built with all its buffers.
pub struct Workload {
    pub id: &'static str,
    pub metric: Metric,
    pub samples: usize,
    pub note: &'static str,
    pub protocol: Protocol,
    /// Threads the step runs on (a trainer's [`kiln::Trainer::threads`]; 1 for inference).
    pub threads: usize,
    pub step: Box<dyn FnMut()>,
}

/// Samples in one streaming pass (W5, W6): 1 s of audio at 48 kHz.
pub const STREAM: usize = 48_000;

/// Outputs of a W5 stream's first pass checked against the f64 evaluation: 0.1 s of audio.
pub const CHECKED: usize = 4_800;

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.uniform() as f32).collect()
}

/// A W5 stream of [`STREAM`] samples of `F` values each: white noise, uniform in [−1, 1], then
/// (W5g) the knob, a ramp from 0 to 1 over the stream; interleaved `[audio, knob, audio, …]`.
pub fn w5_stream<const F: usize>(seed: u64) -> Vec<f32> {
    let noise = random(STREAM, seed);
    let mut x = Vec::with_capacity(STREAM * F);
    for (i, v) in noise.iter().enumerate() {
        x.push(2.0 * v - 1.0);
        if F == 2 {
            x.push(i as f32 / (STREAM - 1) as f32);
        }
    }
    x
}

/// The same network in f64: `model`'s parameters widened.
pub fn widened<A: Model<f32>, B: Model<f64>>(model: &A) -> B {
    let mut wide = B::seeded(0);
    for (w, p) in wide.params_mut().iter_mut().zip(model.params()) {
        *w = f64::from(*p);
    }
    wide
}

/// A W5 workload: `step` feeds one sample of `F` values through the f32 network (its state
/// zeroed once, here, and carried through every pass), `reference` through the same network in
/// f64. The first pass, run here, is checked against `reference` over its first [`CHECKED`]
/// outputs.
fn stream_workload<const F: usize>(
    id: &'static str,
    note: &'static str,
    seed: u64,
    mut step: impl FnMut(&[f32; F]) -> f32 + 'static,
    mut reference: impl FnMut(&[f64; F]) -> f64,
) -> Workload {
    let x = w5_stream::<F>(seed);
    let mut y = vec![0.0f32; STREAM];
    let mut pass = move |y: &mut [f32]| {
        for (sample, out) in x.as_chunks::<F>().0.iter().zip(y.iter_mut()) {
            *out = step(sample);
        }
    };
    pass(&mut y);
    let expected = w5_stream::<F>(seed)
        .as_chunks::<F>()
        .0
        .iter()
        .take(CHECKED)
        .map(|sample| reference(&sample.map(f64::from)))
        .collect::<Vec<_>>();
    let max_diff = y
        .iter()
        .zip(&expected)
        .map(|(y, e)| (f64::from(*y) - e).abs())
        .fold(0.0, f64::max);
    Workload {
        id,
        metric: Metric::NsPerSample,
        samples: STREAM,
        note,
        protocol: Protocol::Stream { max_diff },
        threads: 1,
        step: Box::new(move || {
            pass(&mut y);
            black_box(&mut y);
        }),
    }
}

/// A W5 network with RTNeural's weights (`tests/fixtures/w5/`, dumped by
/// `bench/rtneural/fixtures.sh`), so that kiln and RTNeural run the very same network.
macro_rules! w5 {
    ($all:ident, $wanted:ident, $id:literal, $net:ident, $state:ident, $features:literal, $seed:literal, $note:literal) => {
        if $wanted($id) {
            let bytes = include_bytes!(concat!(
                "../tests/fixtures/w5/",
                $id,
                ".weights.safetensors"
            ));
            let net: $net = kiln::io::read(bytes).expect(concat!($id, "'s weights"));
            let wide: $net<f64> = widened(&net);
            let (mut state, mut wide_state) = ($state::default(), $state::<f64>::default());
            $all.push(stream_workload::<$features>(
                $id,
                $note,
                $seed,
                move |x| net.step(&mut state, x)[0],
                move |x| wide.step(&mut wide_state, x)[0],
            ));
        }
    };
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
            note: "step: one time step of a stream through the kept LSTM states",
            threads: 1,
            step: Box::new(move || {
                black_box(model.step(&mut state, black_box(&x)));
            }),
        });
    }
    w5!(
        all,
        wanted,
        "W5a",
        W5aNet,
        W5aNetState,
        1,
        51,
        "step per audio sample, 1 -> LSTM 8 -> Dense 1, 48,000-sample pass"
    );
    w5!(
        all,
        wanted,
        "W5b",
        W5bNet,
        W5bNetState,
        1,
        52,
        "step per audio sample, 1 -> LSTM 16 -> Dense 1, 48,000-sample pass"
    );
    w5!(all, wanted, "W5c", W5cNet, W5cNetState, 1, 53, "step per audio sample, 1 -> LSTM 40 -> Dense 1 (GuitarML Proteus size), 48,000-sample pass");
    w5!(
        all,
        wanted,
        "W5d",
        W5dNet,
        W5dNetState,
        1,
        54,
        "step per audio sample, 1 -> LSTM 64 -> Dense 1, 48,000-sample pass"
    );
    w5!(
        all,
        wanted,
        "W5e",
        W5eNet,
        W5eNetState,
        1,
        55,
        "step per audio sample, 1 -> GRU 8 -> Dense 1, 48,000-sample pass"
    );
    w5!(
        all,
        wanted,
        "W5f",
        W5fNet,
        W5fNetState,
        1,
        56,
        "step per audio sample, 1 -> GRU 32 -> Dense 1, 48,000-sample pass"
    );
    w5!(all, wanted, "W5g", W5gNet, W5gNetState, 2, 57, "step per audio sample, 2 (audio, knob ramp 0..1) -> LSTM 20 -> Dense 1 (NeuralPi-style), 48,000-sample pass");
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
            protocol: Protocol::Repeat,
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
            protocol: Protocol::Repeat,
            note: "predict, batch 1",
            threads: 1,
            step: Box::new(move || {
                black_box(model.predict(black_box(&x)));
            }),
        });
    }
    all
}
