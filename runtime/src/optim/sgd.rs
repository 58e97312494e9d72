//! Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay.

use super::{flush, Buffers, Optimizer, StateError};
use crate::scalar::Scalar;

/// Stochastic gradient descent, PyTorch's `torch.optim.SGD`:
///
/// `g ← g + λp`; with momentum `μ ≠ 0`: `b ← g` at step 1, else `b ← μb + (1−τ)g`, then
/// `g ← g + μb` (Nesterov) or `g ← b`; finally `p ← p − lr·g`.
///
/// Build with `Sgd::new(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4)`. PyTorch rejects
/// Nesterov without momentum or with dampening; here the rule above is simply applied as written.
#[derive(Clone, Debug)]
pub struct Sgd<T = f32> {
    /// Learning rate `lr` (PyTorch default `1e-3`).
    pub lr: f64,
    /// Momentum factor `μ` (default 0).
    pub momentum: f64,
    /// Dampening `τ` of the momentum (default 0).
    pub dampening: f64,
    /// Nesterov momentum (default off).
    pub nesterov: bool,
    /// L2 penalty `λ` added to the gradient (default 0).
    pub weight_decay: f64,
    state: Buffers<T>,
}

impl<T: Scalar> Default for Sgd<T> {
    fn default() -> Self {
        Sgd::new(1e-3)
    }
}

impl<T: Scalar> Sgd<T> {
    /// Plain SGD with learning rate `lr`, `p ← p − lr·g`.
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            state: Buffers::default(),
        }
    }

    /// Sets the momentum factor `μ`.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the dampening `τ`.
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Turns Nesterov momentum on or off.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Sets the L2 penalty `λ`.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    fn names(&self) -> &'static [&'static str] {
        if self.momentum != 0.0 {
            &["momentum_buffer"]
        } else {
            &[]
        }
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    fn init(&mut self, params: usize) {
        self.state.init(params, self.names(), T::zero());
    }

    fn step(&mut self, params: &mut [T], grads: &[T]) {
        let names = self.names();
        let t = self
            .state
            .begin_step(params.len(), grads.len(), names, T::zero());
        let lr = T::of(self.lr);
        let wd = T::of(self.weight_decay);
        let decay = self.weight_decay != 0.0;
        if self.momentum == 0.0 {
            for (p, &g) in params.iter_mut().zip(grads) {
                let g = if decay { g + wd * *p } else { g };
                *p -= lr * g;
            }
            return;
        }
        let mu = T::of(self.momentum);
        let damp = T::of(1.0 - self.dampening);
        let nesterov = self.nesterov;
        let buf = &mut self.state.bufs[0].1;
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf.iter_mut()) {
            let g = if decay { g + wd * *p } else { g };
            *b = flush(if t == 1 { g } else { mu * *b + damp * g });
            let d = if nesterov { g + mu * *b } else { *b };
            *p -= lr * d;
        }
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        "sgd"
    }

    fn state(&self) -> (u64, Vec<(&'static str, &[T])>) {
        self.state.state()
    }

    fn load_state(&mut self, step: u64, state: &[(&str, &[T])]) -> Result<(), StateError> {
        let names = self.names();
        self.state.load(step, state, names)
    }
}
