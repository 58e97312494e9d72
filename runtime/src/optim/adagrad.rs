//! Adagrad.

use super::{flush, Buffers, Optimizer, StateError};
use crate::scalar::Scalar;

/// Adagrad, PyTorch's `torch.optim.Adagrad`:
///
/// `γ̃ = lr/(1 + (t−1)·η); g ← g + λp; s ← s + g²; p ← p − γ̃·g/(√s + ε)`, with the sum `s`
/// starting at `initial_accumulator_value`. `γ̃` is computed in `f64` and cast to `T`.
///
/// Defaults (PyTorch): `lr = 1e-2`, `η = 0`, `λ = 0`, `s₀ = 0`, `ε = 1e-10`.
#[derive(Clone, Debug)]
pub struct Adagrad<T = f32> {
    /// Learning rate.
    pub lr: f64,
    /// Learning-rate decay `η`.
    pub lr_decay: f64,
    /// L2 penalty `λ`.
    pub weight_decay: f64,
    /// Initial value `s₀` of the squared-gradient sum (applied at `init`).
    pub initial_accumulator_value: f64,
    /// `ε`, added to `√s`.
    pub eps: f64,
    state: Buffers<T>,
}

impl<T: Scalar> Default for Adagrad<T> {
    fn default() -> Self {
        Adagrad::new(1e-2)
    }
}

const NAMES: &[&str] = &["sum"];

impl<T: Scalar> Adagrad<T> {
    /// Adagrad with learning rate `lr` and the other hyper-parameters at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        Adagrad {
            lr,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            state: Buffers::default(),
        }
    }

    /// Sets the learning-rate decay `η`.
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Sets the L2 penalty `λ`.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the initial accumulator value `s₀`.
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// Sets `ε`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

impl<T: Scalar> Optimizer<T> for Adagrad<T> {
    fn init(&mut self, params: usize) {
        self.state
            .init(params, NAMES, T::of(self.initial_accumulator_value));
    }

    fn step(&mut self, params: &mut [T], grads: &[T]) {
        let s0 = T::of(self.initial_accumulator_value);
        let t = self.state.begin_step(params.len(), grads.len(), NAMES, s0);
        let clr = T::of(self.lr / (1.0 + (t - 1) as f64 * self.lr_decay));
        let eps = T::of(self.eps);
        let wd = T::of(self.weight_decay);
        let decay = self.weight_decay != 0.0;
        let sum = &mut self.state.bufs[0].1;
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(sum.iter_mut()) {
            let g = if decay { g + wd * *p } else { g };
            *s += flush(g) * flush(g);
            *p -= clr * g / (s.sqrt() + eps);
        }
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        "adagrad"
    }

    fn state(&self) -> (u64, Vec<(&'static str, &[T])>) {
        self.state.state()
    }

    fn load_state(&mut self, step: u64, state: &[(&str, &[T])]) -> Result<(), StateError> {
        self.state.load(step, state, NAMES)
    }
}
