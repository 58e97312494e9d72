//! Optimizers, learning-rate schedules and gradient clipping.
//!
//! All parameters of a model live in **one flat contiguous slice** `&mut [T]` and the gradients
//! in one `&[T]` of the same length, so an optimizer's state is one flat buffer per moment.
//!
//! The update rules are PyTorch's documented ones (the pseudo-code of the `torch.optim` docs),
//! with PyTorch's default hyper-parameters. Arithmetic on parameters and state is done in `T`;
//! scalar factors that depend only on the step count (bias corrections, decayed learning rates)
//! are computed in `f64` and then cast to `T`.
//!
//! After [`Optimizer::init`], [`Optimizer::step`] allocates nothing. If `step` is called without
//! `init`, it initialises the state itself on the first call (allocating once).

#![warn(missing_docs)]

use crate::scalar::Scalar;

mod adagrad;
mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use clip::clip_grad_norm;
pub use rmsprop::RmsProp;
pub use schedule::{Constant, CosineAnnealing, ExponentialDecay, Schedule, StepDecay};
pub use sgd::Sgd;

/// `x`, or 0 when `|x| < √(smallest normal)` (about 1e-19 in f32), so that neither the value
/// nor its square is subnormal: subnormal arithmetic takes microcode assists 100× slower.
#[inline(always)]
pub(crate) fn flush<T: Scalar>(x: T) -> T {
    if x.abs() < T::TINY {
        T::zero()
    } else {
        x
    }
}

/// A state that cannot be loaded into an optimizer, found by [`Optimizer::load_state`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StateError {
    /// A buffer the optimizer needs (with its current hyper-parameters) is absent.
    #[error("optimizer state buffer `{0}` is missing")]
    Missing(&'static str),
    /// A buffer the optimizer does not use was given.
    #[error("optimizer state buffer `{0}` is not used by this optimizer")]
    Unknown(String),
    /// A buffer has the wrong length.
    #[error("optimizer state buffer `{name}` has {found} values, expected {expected}")]
    WrongLength {
        /// The buffer's name.
        name: &'static str,
        /// The number of parameters.
        expected: usize,
        /// The buffer's length.
        found: usize,
    },
    /// A buffer of squares (a second moment or a sum of squared gradients) holds a negative
    /// value, whose square root the next step would take (NaN).
    #[error("optimizer state buffer `{name}` holds {value} at element {index}, but it is a sum of squares and cannot be negative")]
    Negative {
        /// The buffer's name: `exp_avg_sq`, `max_exp_avg_sq`, `square_avg` or `sum`.
        name: &'static str,
        /// The element's index (the parameter's index in the model's layout).
        index: usize,
        /// The value.
        value: f64,
    },
}

/// The buffers that hold (averages or sums of) squares, which must not be negative.
const SQUARES: &[&str] = &["exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum"];

/// A gradient-descent optimizer over one flat parameter slice.
pub trait Optimizer<T: Scalar> {
    /// Allocates state for `params` parameters; called once before the first step. Idempotent
    /// when the size matches (the state and step count are kept); a different size starts
    /// afresh (zeroed state, step count 0).
    fn init(&mut self, params: usize);

    /// One update in place (PyTorch's documented rule); allocates nothing after
    /// [`init`](Optimizer::init).
    ///
    /// # Panics
    /// If `params` and `grads` differ in length, or differ from the size given to `init`.
    fn step(&mut self, params: &mut [T], grads: &[T]);

    /// The current learning rate.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (schedules call this once per epoch).
    fn set_learning_rate(&mut self, lr: f64);

    /// Keras-style name (`"adam"`).
    fn name(&self) -> &'static str;

    /// The number of steps taken and the named state buffers, for checkpoints (PyTorch's
    /// `state_dict` names, e.g. `[("exp_avg", m), ("exp_avg_sq", v)]`). Only the buffers the
    /// current hyper-parameters use are listed.
    fn state(&self) -> (u64, Vec<(&'static str, &[T])>);

    /// Restores what [`state`](Optimizer::state) returned. Every buffer the optimizer uses must
    /// be present, all with the same length, and no other; the optimizer is (re)initialised to
    /// that length. On error the optimizer is left unchanged.
    fn load_state(&mut self, step: u64, state: &[(&str, &[T])]) -> Result<(), StateError>;
}

/// The state shared by every optimizer: its size, step count and named flat buffers.
#[derive(Clone, Debug, Default)]
struct Buffers<T> {
    /// Parameter count given to `init`, `None` before.
    size: Option<usize>,
    /// Steps taken.
    t: u64,
    /// Buffers, each `size` long, in a fixed order.
    bufs: Vec<(&'static str, Vec<T>)>,
}

impl<T: Scalar> Buffers<T> {
    /// (Re)allocates `names` with `params` values each, filled with `fill`, unless already that
    /// size with the same names.
    fn init(&mut self, params: usize, names: &[&'static str], fill: T) {
        let same = self.size == Some(params)
            && self.bufs.len() == names.len()
            && self.bufs.iter().zip(names).all(|((a, _), b)| a == b);
        if same {
            return;
        }
        // A size change (or new hyper-parameters) starts afresh; a first init keeps a step count
        // restored by `load` for a stateless optimizer.
        if self.size.is_some() {
            self.t = 0;
        }
        self.size = Some(params);
        self.bufs = names.iter().map(|&n| (n, vec![fill; params])).collect();
    }

    /// Checks the slices before a step, initialising lazily; returns the new step count.
    #[track_caller]
    fn begin_step(&mut self, params: usize, grads: usize, names: &[&'static str], fill: T) -> u64 {
        assert_eq!(
            params, grads,
            "optimizer: {params} parameters but {grads} gradients"
        );
        if self.size.is_none() {
            self.init(params, names, fill);
        }
        assert_eq!(
            self.size,
            Some(params),
            "optimizer: initialised for {:?} parameters, stepped with {params}",
            self.size
        );
        assert_eq!(
            self.bufs.len(),
            names.len(),
            "optimizer: hyper-parameters changed after init; call init again"
        );
        self.t += 1;
        self.t
    }

    fn state(&self) -> (u64, Vec<(&'static str, &[T])>) {
        (
            self.t,
            self.bufs.iter().map(|(n, b)| (*n, b.as_slice())).collect(),
        )
    }

    fn load(
        &mut self,
        step: u64,
        state: &[(&str, &[T])],
        names: &[&'static str],
    ) -> Result<(), StateError> {
        if let Some((unknown, _)) = state.iter().find(|(n, _)| !names.contains(n)) {
            return Err(StateError::Unknown(unknown.to_string()));
        }
        let mut len = None;
        for &name in names {
            let Some((_, b)) = state.iter().find(|(n, _)| *n == name) else {
                return Err(StateError::Missing(name));
            };
            let expected = *len.get_or_insert(b.len());
            if b.len() != expected {
                return Err(StateError::WrongLength {
                    name,
                    expected,
                    found: b.len(),
                });
            }
        }
        for &name in names.iter().filter(|n| SQUARES.contains(n)) {
            let Some((_, b)) = state.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            if let Some((index, v)) = b.iter().enumerate().find(|(_, v)| **v < T::zero()) {
                return Err(StateError::Negative {
                    name,
                    index,
                    value: v.to_f64(),
                });
            }
        }
        // Without buffers (plain SGD) the size stays whatever `init` gave, if anything.
        self.size = len.or(self.size);
        self.t = step;
        self.bufs = names
            .iter()
            .map(|&name| {
                let b = state.iter().find(|(n, _)| *n == name).unwrap().1;
                (name, b.to_vec())
            })
            .collect();
        Ok(())
    }
}

#[cfg(test)]
mod subnormal_tests {
    use super::*;

    /// With gradients that vanish, moments decay geometrically; they must reach 0 rather than
    /// linger as subnormals, whose arithmetic is two orders of magnitude slower on x86.
    #[test]
    fn decaying_state_never_becomes_subnormal() {
        let mut optimizers: Vec<Box<dyn Optimizer<f32>>> = vec![
            Box::new(Adam::default()),
            Box::new(Adam::default().amsgrad(true)),
            Box::new(Sgd::new(0.1).momentum(0.9)),
            Box::new(RmsProp::default().momentum(0.9).centered(true)),
            Box::new(Adagrad::default()),
        ];
        for opt in &mut optimizers {
            opt.init(4);
            let mut params = [1.0f32; 4];
            opt.step(&mut params, &[1.0, -1.0, 1e-20, 1e-30]);
            for _ in 0..3000 {
                opt.step(&mut params, &[0.0; 4]);
            }
            let (_, state) = opt.state();
            for (name, buf) in state {
                assert!(
                    buf.iter().all(|v| !v.is_subnormal()),
                    "{}: {name} = {buf:?}",
                    opt.name()
                );
            }
            assert!(params.iter().all(|p| p.is_normal()));
        }
    }
}
