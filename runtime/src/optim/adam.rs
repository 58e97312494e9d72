//! Adam (coupled L2 weight decay) and AdamW (decoupled weight decay).

use super::{flush, Buffers, Optimizer, StateError};
use crate::scalar::Scalar;

/// The state buffers of [`Adam`] and [`AdamW`] (PyTorch `state_dict` names).
fn names(amsgrad: bool) -> &'static [&'static str] {
    if amsgrad {
        &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    } else {
        &["exp_avg", "exp_avg_sq"]
    }
}

/// One Adam step after any weight decay has been applied. `l2` is the coupled L2 factor
/// (Adam) or 0 (AdamW).
#[allow(clippy::too_many_arguments)]
fn adam_step<T: Scalar>(
    state: &mut Buffers<T>,
    params: &mut [T],
    grads: &[T],
    lr: f64,
    (beta1, beta2): (f64, f64),
    eps: f64,
    l2: f64,
    decoupled: f64,
    amsgrad: bool,
) {
    let t = state.begin_step(params.len(), grads.len(), names(amsgrad), T::zero());
    // Scalars depending on t only: in f64, then cast (PyTorch's single-tensor form:
    // p ← p − (lr/bc₁)·m / (√v/√bc₂ + ε)).
    let bc1 = 1.0 - beta1.powf(t as f64);
    let bc2_sqrt = (1.0 - beta2.powf(t as f64)).sqrt();
    let step_size = T::of(lr / bc1);
    let inv_bc2_sqrt = T::of(1.0 / bc2_sqrt);
    let (b1, b2) = (T::of(beta1), T::of(beta2));
    let (c1, c2) = (T::of(1.0 - beta1), T::of(1.0 - beta2));
    let eps = T::of(eps);
    let wd = T::of(l2);
    let shrink = T::of(1.0 - lr * decoupled);
    let (decay, shrinking) = (l2 != 0.0, decoupled != 0.0);
    let (m, rest) = state.bufs.split_at_mut(1);
    let m = &mut m[0].1;
    let (v, vmax) = rest.split_at_mut(1);
    let v = &mut v[0].1;
    if amsgrad {
        let vmax = &mut vmax[0].1;
        for i in 0..params.len() {
            if shrinking {
                params[i] *= shrink;
            }
            let g = if decay {
                grads[i] + wd * params[i]
            } else {
                grads[i]
            };
            m[i] = flush(b1 * m[i] + c1 * g);
            v[i] = flush(b2 * v[i] + c2 * flush(g) * flush(g));
            vmax[i] = vmax[i].max(v[i]);
            params[i] -= step_size * m[i] / (vmax[i].sqrt() * inv_bc2_sqrt + eps);
        }
    } else {
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            if shrinking {
                *p *= shrink;
            }
            let g = if decay { g + wd * *p } else { g };
            *m = flush(b1 * *m + c1 * g);
            *v = flush(b2 * *v + c2 * flush(g) * flush(g));
            *p -= step_size * *m / (v.sqrt() * inv_bc2_sqrt + eps);
        }
    }
}

macro_rules! adam_common {
    () => {
        /// Sets `(β₁, β₂)`.
        pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
            self.betas = (beta1, beta2);
            self
        }

        /// Sets `ε`.
        pub fn eps(mut self, eps: f64) -> Self {
            self.eps = eps;
            self
        }

        /// Sets the weight decay `λ`.
        pub fn weight_decay(mut self, weight_decay: f64) -> Self {
            self.weight_decay = weight_decay;
            self
        }

        /// Turns the AMSGrad variant on or off (`v̂` from the running maximum of `v`).
        pub fn amsgrad(mut self, amsgrad: bool) -> Self {
            self.amsgrad = amsgrad;
            self
        }
    };
}

macro_rules! adam_optimizer_impl {
    ($name:literal, $l2:ident, $decoupled:ident) => {
        fn init(&mut self, params: usize) {
            self.state.init(params, names(self.amsgrad), T::zero());
        }

        fn step(&mut self, params: &mut [T], grads: &[T]) {
            let (l2, decoupled) = ($l2(self.weight_decay), $decoupled(self.weight_decay));
            adam_step(
                &mut self.state,
                params,
                grads,
                self.lr,
                self.betas,
                self.eps,
                l2,
                decoupled,
                self.amsgrad,
            );
        }

        fn learning_rate(&self) -> f64 {
            self.lr
        }

        fn set_learning_rate(&mut self, lr: f64) {
            self.lr = lr;
        }

        fn name(&self) -> &'static str {
            $name
        }

        fn state(&self) -> (u64, Vec<(&'static str, &[T])>) {
            self.state.state()
        }

        fn load_state(&mut self, step: u64, state: &[(&str, &[T])]) -> Result<(), StateError> {
            self.state.load(step, state, names(self.amsgrad))
        }
    };
}

fn keep(x: f64) -> f64 {
    x
}

fn zero(_: f64) -> f64 {
    0.0
}

/// Adam, PyTorch's `torch.optim.Adam` (L2 weight decay coupled into the gradient):
///
/// `g ← g + λp; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;`
/// `p ← p − lr·m̂/(√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)` (AMSGrad: `v̂` from
/// `max(v_max, v)`). Bias corrections are computed in `f64` and cast to `T`.
///
/// Defaults: `lr = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`, no AMSGrad.
#[derive(Clone, Debug)]
pub struct Adam<T = f32> {
    /// Learning rate.
    pub lr: f64,
    /// `(β₁, β₂)`, the decay rates of the first and second moments.
    pub betas: (f64, f64),
    /// `ε`, added to `√v̂`.
    pub eps: f64,
    /// Coupled L2 penalty `λ`.
    pub weight_decay: f64,
    /// AMSGrad variant.
    pub amsgrad: bool,
    state: Buffers<T>,
}

impl<T: Scalar> Default for Adam<T> {
    fn default() -> Self {
        Adam::new(1e-3)
    }
}

impl<T: Scalar> Adam<T> {
    /// Adam with learning rate `lr` and the other hyper-parameters at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            state: Buffers::default(),
        }
    }

    adam_common!();
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    adam_optimizer_impl!("adam", keep, zero);
}

/// AdamW, PyTorch's `torch.optim.AdamW` (decoupled weight decay):
///
/// `p ← p·(1 − lr·λ)`, then the [`Adam`] step without L2 term:
/// `m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·m̂/(√v̂ + ε)`.
///
/// Defaults: `lr = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0.01`, no AMSGrad.
#[derive(Clone, Debug)]
pub struct AdamW<T = f32> {
    /// Learning rate.
    pub lr: f64,
    /// `(β₁, β₂)`, the decay rates of the first and second moments.
    pub betas: (f64, f64),
    /// `ε`, added to `√v̂`.
    pub eps: f64,
    /// Decoupled weight decay `λ` (default 0.01).
    pub weight_decay: f64,
    /// AMSGrad variant.
    pub amsgrad: bool,
    state: Buffers<T>,
}

impl<T: Scalar> Default for AdamW<T> {
    fn default() -> Self {
        AdamW::new(1e-3)
    }
}

impl<T: Scalar> AdamW<T> {
    /// AdamW with learning rate `lr` and the other hyper-parameters at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        AdamW {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.01,
            amsgrad: false,
            state: Buffers::default(),
        }
    }

    adam_common!();
}

impl<T: Scalar> Optimizer<T> for AdamW<T> {
    adam_optimizer_impl!("adamw", zero, keep);
}
