//! The finite-difference harness of the gradient tests (`tests/gradients.rs`,
//! `tests/gradients_sequences.rs`): for a model `f`, the test loss is `L = Σ r ⊙ f(x)` with a
//! fixed random `r`, so `∂L/∂output = r`; each parameter and input gradient from the generated
//! backward pass is compared with `(L(θ + ε) − L(θ − ε)) / 2ε`, in f64.
//!
//! A test file includes it with `#[macro_use] #[path = "common/gradients.rs"] mod harness;` and
//! `use harness::*;`, then lists models in `gradient_checks! { ... }`.

use kiln::{GradAt, Mode, Model, Rng, Workspace};
use kiln::{SMatrix, SVector};

pub const N: usize = 3;
pub const EPS: f64 = 1e-6;
pub const TOLERANCE: f64 = 1e-6;

pub fn random(len: usize, rng: &mut Rng) -> Vec<f64> {
    (0..len).map(|_| rng.uniform() * 2.0 - 1.0).collect()
}

/// `L = Σ r ⊙ f(x)` over the batch, with the dropout streams restarted so every evaluation draws
/// the same mask.
pub fn loss<M: Model<f64>>(
    model: &M,
    ws: &mut M::Workspace,
    x: &[f64],
    r: &[f64],
    mode: Mode,
) -> f64 {
    ws.reseed(7);
    model.forward(ws, x, N, mode);
    ws.output()[..M::OUTPUT_SIZE * N]
        .iter()
        .zip(r)
        .map(|(o, r)| o * r)
        .sum()
}

pub fn relative_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-3)
}

/// Checks parameter and input gradients of `M`; returns the largest relative error.
pub fn check<M: Model<f64>>(mode: Mode) -> f64 {
    let mut rng = Rng::new(11);
    let mut model = M::seeded(3);
    // Non-zero biases, so that every term of the backward pass is exercised.
    for p in model.params_mut() {
        *p += (rng.uniform() - 0.5) * 0.2;
    }
    let mut ws = model.workspace(N);
    let x = random(M::INPUT_SIZE * N, &mut rng);
    let r = random(M::OUTPUT_SIZE * N, &mut rng);

    loss(&model, &mut ws, &x, &r, mode);
    ws.loss_views().output_grad[..M::OUTPUT_SIZE * N].copy_from_slice(&r);
    model.backward(&mut ws, &x, N, GradAt::Output, true);
    // Non-trainable parameters (moving statistics) have no gradient.
    let grads = ws.grads()[..M::TRAINABLE_PARAMS].to_vec();
    let input_grad = ws.input_grad()[..M::INPUT_SIZE * N].to_vec();

    let worst_param = compare(M::NAME, "parameter", &grads, |i, delta| {
        let saved = model.params()[i];
        model.params_mut()[i] = saved + delta;
        let l = loss(&model, &mut ws, &x, &r, mode);
        model.params_mut()[i] = saved;
        l
    });
    let mut x = x;
    let worst_input = compare(M::NAME, "input", &input_grad, |i, delta| {
        let saved = x[i];
        x[i] = saved + delta;
        let l = loss(&model, &mut ws, &x, &r, mode);
        x[i] = saved;
        l
    });
    worst_param.max(worst_input)
}

/// Compares each analytic derivative with `(L(+ε) − L(−ε)) / 2ε`, where `loss_at(i, δ)` is the
/// loss with coordinate `i` moved by `δ`; returns the largest relative error.
pub fn compare(
    model: &str,
    what: &str,
    analytic: &[f64],
    mut loss_at: impl FnMut(usize, f64) -> f64,
) -> f64 {
    let mut worst: f64 = 0.0;
    for (i, &a) in analytic.iter().enumerate() {
        let numeric = (loss_at(i, EPS) - loss_at(i, -EPS)) / (2.0 * EPS);
        let e = relative_error(a, numeric);
        assert!(
            e < TOLERANCE,
            "{model}: {what} {i}: backward {a} vs numeric {numeric}"
        );
        worst = worst.max(e);
    }
    worst
}

/// The single-sample path (`predict`, stack arrays) gives the batched path's results.
pub fn predict_matches_forward<const I: usize, const O: usize, M: Model<f64>>(
    model: &M,
    predict: impl Fn(&M, &SVector<f64, I>) -> SVector<f64, O>,
    forward: impl Fn(&M, &mut M::Workspace, &SMatrix<f64, I, N>) -> SMatrix<f64, O, N>,
) {
    let mut rng = Rng::new(2);
    let x = SMatrix::<f64, I, N>::from_fn(|_, _| rng.uniform() * 2.0 - 1.0);
    let mut ws = model.workspace(N);
    let batch = forward(model, &mut ws, &x);
    for j in 0..N {
        let single = predict(model, &x.column(j).into_owned());
        for (a, b) in single.iter().zip(batch.column(j).iter()) {
            assert!(
                (a - b).abs() < 1e-12,
                "{}: predict {a} vs forward {b}",
                M::NAME
            );
        }
    }
}

macro_rules! gradient_checks {
    ($($test:ident: $model:ident { $($layers:tt)* } $(in $mode:ident)?;)*) => {$(
        model! { struct $model { $($layers)* } }

        #[test]
        fn $test() {
            let mode = None$(.or(Some(Mode::$mode)))?.unwrap_or(Mode::Infer);
            let worst = check::<$model<f64>>(mode);
            eprintln!("{}: max relative error {worst:.2e}", stringify!($model));
            predict_matches_forward::<{ $model::<f64>::INPUT_SIZE }, { $model::<f64>::OUTPUT_SIZE }, _>(
                &$model::<f64>::seeded(5),
                |m, x| m.predict(x),
                |m, ws, x| m.forward_batch(ws, x).into_owned(),
            );
        }
    )*};
}
