//! RMSprop, optionally centered and with momentum.

use super::{flush, Buffers, Optimizer, StateError};
use crate::scalar::Scalar;

/// RMSprop, PyTorch's `torch.optim.RMSprop`:
///
/// `g ← g + λp; v ← αv + (1−α)g²; ṽ = v` (centered: `ḡ ← αḡ + (1−α)g; ṽ = v − ḡ²`);
/// with momentum `μ > 0`: `b ← μb + g/(√ṽ + ε); p ← p − lr·b`, else `p ← p − lr·g/(√ṽ + ε)`.
///
/// Defaults (PyTorch): `lr = 1e-2`, `α = 0.99`, `ε = 1e-8`, `λ = 0`, `μ = 0`, not centered.
/// Keras puts `ε` inside the square root, `lr·g/√(v + ε)`; this follows PyTorch.
#[derive(Clone, Debug)]
pub struct RmsProp<T = f32> {
    /// Learning rate.
    pub lr: f64,
    /// Smoothing constant `α` of the squared-gradient average.
    pub alpha: f64,
    /// `ε`, added to `√ṽ`.
    pub eps: f64,
    /// L2 penalty `λ`.
    pub weight_decay: f64,
    /// Momentum factor `μ`.
    pub momentum: f64,
    /// Normalise by the estimated variance `v − ḡ²` instead of `v`.
    pub centered: bool,
    state: Buffers<T>,
}

impl<T: Scalar> Default for RmsProp<T> {
    fn default() -> Self {
        RmsProp::new(1e-2)
    }
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with learning rate `lr` and the other hyper-parameters at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            state: Buffers::default(),
        }
    }

    /// Sets `α`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets `ε`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the L2 penalty `λ`.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the momentum factor `μ`.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Turns the centered variant on or off.
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    fn names(&self) -> &'static [&'static str] {
        match (self.momentum > 0.0, self.centered) {
            (false, false) => &["square_avg"],
            (true, false) => &["square_avg", "momentum_buffer"],
            (false, true) => &["square_avg", "grad_avg"],
            (true, true) => &["square_avg", "momentum_buffer", "grad_avg"],
        }
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    fn init(&mut self, params: usize) {
        self.state.init(params, self.names(), T::zero());
    }

    fn step(&mut self, params: &mut [T], grads: &[T]) {
        let names = self.names();
        self.state
            .begin_step(params.len(), grads.len(), names, T::zero());
        let lr = T::of(self.lr);
        let alpha = T::of(self.alpha);
        let c = T::of(1.0 - self.alpha);
        let eps = T::of(self.eps);
        let wd = T::of(self.weight_decay);
        let mu = T::of(self.momentum);
        let (decay, use_mom, centered) =
            (self.weight_decay != 0.0, self.momentum > 0.0, self.centered);
        let mut bufs = self.state.bufs.iter_mut().map(|(_, b)| b.as_mut_slice());
        let v = bufs.next().unwrap();
        let mut mom = if use_mom { bufs.next() } else { None };
        let mut gavg = if centered { bufs.next() } else { None };
        for i in 0..params.len() {
            let g = if decay {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            v[i] = flush(alpha * v[i] + c * flush(g) * flush(g));
            let var = match gavg.as_deref_mut() {
                Some(ga) => {
                    ga[i] = flush(alpha * ga[i] + c * g);
                    v[i] - ga[i] * ga[i]
                }
                None => v[i],
            };
            let denom = var.sqrt() + eps;
            match mom.as_deref_mut() {
                Some(b) => {
                    b[i] = flush(mu * b[i] + g / denom);
                    params[i] -= lr * b[i];
                }
                None => params[i] -= lr * g / denom,
            }
        }
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn state(&self) -> (u64, Vec<(&'static str, &[T])>) {
        self.state.state()
    }

    fn load_state(&mut self, step: u64, state: &[(&str, &[T])]) -> Result<(), StateError> {
        let names = self.names();
        self.state.load(step, state, names)
    }
}
