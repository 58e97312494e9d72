//! Per-epoch learning-rate schedules (closed forms of PyTorch's `lr_scheduler`s).

/// A learning rate as a function of the epoch (0-based, the first epoch is 0, like PyTorch's
/// `last_epoch` after construction).
///
/// Any `Fn(f64, usize) -> f64` closure is a schedule too: `|base, epoch| ...`.
pub trait Schedule {
    /// The learning rate for `epoch`, given the optimizer's initial rate `base_lr`.
    fn lr(&self, base_lr: f64, epoch: usize) -> f64;
}

impl<F: Fn(f64, usize) -> f64> Schedule for F {
    fn lr(&self, base_lr: f64, epoch: usize) -> f64 {
        self(base_lr, epoch)
    }
}

/// A constant learning rate: `lr(e) = base`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Constant;

impl Schedule for Constant {
    fn lr(&self, base_lr: f64, _epoch: usize) -> f64 {
        base_lr
    }
}

/// PyTorch's `StepLR`: `lr(e) = base·γ^⌊e/step_size⌋`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// Epochs between decays (≥ 1; 0 is treated as 1).
    pub step_size: usize,
    /// Multiplicative factor `γ` (PyTorch default 0.1).
    pub gamma: f64,
}

impl Default for StepDecay {
    /// `step_size` 1 (PyTorch has no default), `γ = 0.1`.
    fn default() -> Self {
        StepDecay {
            step_size: 1,
            gamma: 0.1,
        }
    }
}

impl Schedule for StepDecay {
    fn lr(&self, base_lr: f64, epoch: usize) -> f64 {
        let k = epoch / self.step_size.max(1);
        base_lr * self.gamma.powi(k.min(i32::MAX as usize) as i32)
    }
}

/// PyTorch's `ExponentialLR`: `lr(e) = base·γ^e`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// Multiplicative factor `γ` per epoch.
    pub gamma: f64,
}

impl Schedule for ExponentialDecay {
    fn lr(&self, base_lr: f64, epoch: usize) -> f64 {
        base_lr * self.gamma.powi(epoch.min(i32::MAX as usize) as i32)
    }
}

/// PyTorch's `CosineAnnealingLR` (closed form, without restarts):
/// `lr(e) = η_min + (base − η_min)·(1 + cos(π·e/T_max))/2`.
///
/// Past `T_max` the closed form keeps following the cosine (rising again), as PyTorch's does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealing {
    /// Half-period `T_max` in epochs (0 is treated as a constant `base` rate).
    pub t_max: usize,
    /// Minimum learning rate `η_min` (PyTorch default 0).
    pub eta_min: f64,
}

impl Schedule for CosineAnnealing {
    fn lr(&self, base_lr: f64, epoch: usize) -> f64 {
        if self.t_max == 0 {
            return base_lr;
        }
        let x = core::f64::consts::PI * epoch as f64 / self.t_max as f64;
        self.eta_min + (base_lr - self.eta_min) * (1.0 + x.cos()) / 2.0
    }
}
