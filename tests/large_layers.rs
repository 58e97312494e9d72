//! Large layers live on the heap: a 150528×64 layer (seed 002's 224×224×3 image MLP, 38.5 MB of
//! weights) builds, predicts and trains in a debug build on a test thread's 2 MiB stack.

use kiln::losses::SparseCategoricalCrossentropy;
use kiln::optim::Sgd;
use kiln::{model, Compile, Fit};

model! {
    struct ImageMlp { Input(150528), Dense(64, activation = relu), Dense(64, activation = relu), Dense(10, activation = softmax) }
}

#[test]
fn a_150528_by_64_layer_runs_on_a_2_mib_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let model = ImageMlp::new(0);
            assert_eq!(
                ImageMlp::<f32>::PARAM_COUNT,
                150528 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
            );
            let x: Vec<f32> = (0..150528 * 2).map(|i| (i % 255) as f32 / 255.0).collect();
            let sample: &[f32; 150528] = x[..150528].try_into().unwrap();
            let p = model.predict(sample);
            assert!((p.sum() - 1.0).abs() < 1e-5);
            let mut trainer = model.compile(
                Sgd::new(0.01).momentum(0.9),
                SparseCategoricalCrossentropy::default(),
            );
            let history = trainer
                .fit(&x, &[3, 7], Fit::epochs(2).batch_size(2).quiet())
                .unwrap();
            assert!(history.epochs[1].loss < history.epochs[0].loss);
        })
        .unwrap()
        .join()
        .unwrap();
}
