//! The fused streaming step (`kernels::step`) of every recurrent cell, over every size class
//! of its register blocking (1, 7, 8, 9, 40, 64 and 80 units: one partial vector, a partial
//! block, whole blocks, the two-accumulator blocks and the largest) and 1–4 inputs, with
//! default and other activations: `step` through a whole sequence gives `predict` of it, in
//! `f32` within 1e-6, also after the parameters change under it (loaded, or trained), so
//! nothing the step reads can go stale.

use kiln::losses::MeanSquaredError;
use kiln::optim::Adam;
use kiln::{model, Compile, Model, Rng};

model! {
    struct Lstm1 { Input(6, 1), LSTM(1), Dense(1) }
    struct Lstm7 { Input(6, 2), LSTM(7), Dense(1) }
    struct Lstm8 { Input(6, 1), LSTM(8, activation = relu, recurrent_activation = hard_sigmoid), Dense(1) }
    struct Lstm9 { Input(6, 3), LSTM(9), Dense(1) }
    struct Lstm40 { Input(6, 1), LSTM(40), Dense(1) }
    struct Lstm64 { Input(6, 4), LSTM(64, use_bias = false), Dense(1) }
    struct Lstm80 { Input(6, 2), LSTM(80, activation = elu), Dense(1) }
    struct Gru1 { Input(6, 1), GRU(1), Dense(1) }
    struct Gru7 { Input(6, 4), GRU(7, recurrent_activation = hard_sigmoid), Dense(1) }
    struct Gru8 { Input(6, 1), GRU(8), Dense(1) }
    struct Gru9 { Input(6, 2), GRU(9, use_bias = false), Dense(1) }
    struct Gru40 { Input(6, 3), GRU(40, activation = relu), Dense(1) }
    struct Gru64 { Input(6, 1), GRU(64), Dense(1) }
    struct Gru80 { Input(6, 2), GRU(80), Dense(1) }
    struct Rnn1 { Input(6, 1), SimpleRNN(1), Dense(1) }
    struct Rnn7 { Input(6, 3), SimpleRNN(7, activation = relu), Dense(1) }
    struct Rnn8 { Input(6, 1), SimpleRNN(8), Dense(1) }
    struct Rnn9 { Input(6, 4), SimpleRNN(9), Dense(1) }
    struct Rnn40 { Input(6, 2), SimpleRNN(40, use_bias = false), Dense(1) }
    struct Rnn64 { Input(6, 1), SimpleRNN(64), Dense(1) }
    struct Rnn80 { Input(6, 1), SimpleRNN(80, activation = sigmoid), Dense(1) }
    struct Stack { Input(6, 2), GRU(9, return_sequences = true), LSTM(40, return_sequences = true), SimpleRNN(7) }
}

fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect()
}

/// The largest difference between streaming `x` one step at a time and `predict` of it.
fn step_vs_predict<M, S>(net: &M, x: &[f32]) -> f32
where
    M: Model<f32> + Stream<S>,
    S: Default,
{
    let f = x.len() / 6;
    let mut state = S::default();
    let mut last = Vec::new();
    for t in 0..6 {
        last = net.stream(&mut state, &x[t * f..(t + 1) * f]);
    }
    let whole = net.whole(x);
    last.iter()
        .zip(&whole)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max)
}

/// `step` and `predict` over slices, for the generic check above.
trait Stream<S> {
    fn stream(&self, state: &mut S, x: &[f32]) -> Vec<f32>;
    fn whole(&self, x: &[f32]) -> Vec<f32>;
}

macro_rules! check_all {
    ($($net:ident $state:ident),*) => {
        $(impl Stream<$state> for $net {
            fn stream(&self, state: &mut $state, x: &[f32]) -> Vec<f32> {
                let x: &[f32; $net::<f32>::STEP_INPUT_SIZE] = x.try_into().unwrap();
                self.step(state, x).as_slice().to_vec()
            }

            fn whole(&self, x: &[f32]) -> Vec<f32> {
                let x: &[f32; <$net as Model<f32>>::INPUT_SIZE] = x.try_into().unwrap();
                self.predict(x).as_slice().to_vec()
            }
        })*

        #[test]
        fn every_size_streams_what_predict_gives() {
            $(
                let net = $net::new(3);
                let x = noise(<$net as Model<f32>>::INPUT_SIZE, 7);
                let d = step_vs_predict::<_, $state>(&net, &x);
                assert!(d < 1e-6, "{}: {d}", stringify!($net));
            )*
        }

        #[test]
        fn loaded_weights_stream_what_predict_gives() {
            $(
                let donor = $net::new(11);
                let mut net = $net::new(5);
                let x = noise(<$net as Model<f32>>::INPUT_SIZE, 8);
                // A first stream with the old weights, then new ones loaded in place.
                let _ = step_vs_predict::<_, $state>(&net, &x);
                kiln::io::from_bytes_into(&mut net, &kiln::io::to_bytes(&donor), std::path::Path::new("donor"))
                    .unwrap();
                let d = step_vs_predict::<_, $state>(&net, &x);
                assert!(d < 1e-6, "{} after loading: {d}", stringify!($net));
                let mut a = $state::default();
                let mut b = $state::default();
                let s = $net::<f32>::STEP_INPUT_SIZE;
                assert_eq!(net.stream(&mut a, &x[..s]), donor.stream(&mut b, &x[..s]));
            )*
        }

        #[test]
        fn trained_weights_stream_what_predict_gives() {
            $(
                let net = $net::new(2);
                let x = noise(<$net as Model<f32>>::INPUT_SIZE * 4, 9);
                let y = noise(<$net as Model<f32>>::OUTPUT_SIZE * 4, 10);
                let before = step_vs_predict::<_, $state>(&net, &x[..<$net as Model<f32>>::INPUT_SIZE]);
                assert!(before < 1e-6);
                let mut trainer = net.compile(Adam::new(0.05), MeanSquaredError);
                for _ in 0..3 {
                    trainer.train_step(&x, &y, 4).unwrap();
                }
                let net = trainer.into_model();
                let first = &x[..<$net as Model<f32>>::INPUT_SIZE];
                let d = step_vs_predict::<_, $state>(&net, first);
                assert!(d < 1e-6, "{} after training: {d}", stringify!($net));
                let fresh = $net::new(2);
                assert_ne!(net.params(), fresh.params(), "training changed the weights");
            )*
        }
    };
}

check_all!(
    Lstm1 Lstm1State, Lstm7 Lstm7State, Lstm8 Lstm8State, Lstm9 Lstm9State,
    Lstm40 Lstm40State, Lstm64 Lstm64State, Lstm80 Lstm80State,
    Gru1 Gru1State, Gru7 Gru7State, Gru8 Gru8State, Gru9 Gru9State, Gru40 Gru40State,
    Gru64 Gru64State, Gru80 Gru80State,
    Rnn1 Rnn1State, Rnn7 Rnn7State, Rnn8 Rnn8State, Rnn9 Rnn9State, Rnn40 Rnn40State,
    Rnn64 Rnn64State, Rnn80 Rnn80State, Stack StackState
);
