//! Activation functions: `a = f(z)` and the backward step `g ← g ⊙ f′(z)`.
//!
//! Element-wise functions define `f` and `f′` side by side ([`Elementwise`]); softmax, which
//! mixes a sample's values, implements [`Activation`] directly.

use crate::Scalar;

/// An activation applied to a batch of `n` samples of `rows` values each.
pub trait Activation<T: Scalar> {
    /// `a = f(z)`.
    fn forward(&self, z: &[T], a: &mut [T], rows: usize, n: usize);
    /// `g ← g ⊙ f′(z)` (for softmax, the Jacobian-vector product), given `z` and `a = f(z)`.
    fn backward(&self, z: &[T], a: &[T], g: &mut [T], rows: usize, n: usize);
    /// `x ← f(x)` for one sample (single-sample inference).
    fn apply(&self, x: &mut [T], rows: usize);
}

/// A function applied to each value on its own.
pub trait Elementwise<T: Scalar> {
    /// `f(z)`.
    fn f(&self, z: T) -> T;
    /// `f′(z)`, given also `a = f(z)` (often the cheaper of the two to use).
    fn df(&self, z: T, a: T) -> T;
}

/// Every [`Elementwise`] function is an [`Activation`] applied value by value.
macro_rules! elementwise_activations {
    ($($name:ident),*) => {$(
        impl<T: Scalar> Activation<T> for $name {
            #[inline]
            fn forward(&self, z: &[T], a: &mut [T], rows: usize, n: usize) {
                let len = rows * n;
                for (a, &z) in a[..len].iter_mut().zip(&z[..len]) {
                    *a = self.f(z);
                }
            }

            #[inline]
            fn backward(&self, z: &[T], a: &[T], g: &mut [T], rows: usize, n: usize) {
                let len = rows * n;
                for ((g, &z), &a) in g[..len].iter_mut().zip(&z[..len]).zip(&a[..len]) {
                    *g *= self.df(z, a);
                }
            }

            #[inline]
            fn apply(&self, x: &mut [T], rows: usize) {
                for v in &mut x[..rows] {
                    *v = self.f(*v);
                }
            }
        }
    )*};
}

elementwise_activations!(
    Linear,
    Relu,
    LeakyRelu,
    Elu,
    Sigmoid,
    Tanh,
    Softplus,
    Silu,
    HardSigmoid
);

/// `f(z) = z`.
#[derive(Clone, Copy, Debug)]
pub struct Linear;

impl<T: Scalar> Elementwise<T> for Linear {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        z
    }
    #[inline(always)]
    fn df(&self, _z: T, _a: T) -> T {
        T::one()
    }
}

/// `f(z) = max(z, 0)`; `f′(z) = [z > 0]`.
#[derive(Clone, Copy, Debug)]
pub struct Relu;

impl<T: Scalar> Elementwise<T> for Relu {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        if z > T::zero() {
            z
        } else {
            T::zero()
        }
    }
    #[inline(always)]
    fn df(&self, z: T, _a: T) -> T {
        if z > T::zero() {
            T::one()
        } else {
            T::zero()
        }
    }
}

/// `f(z) = z` for `z > 0`, else `α·z`; `f′ = 1` or `α`.
#[derive(Clone, Copy, Debug)]
pub struct LeakyRelu {
    /// The slope `α` for `z ≤ 0` (`model!`'s default 0.3, as Keras' `LeakyReLU`; PyTorch's
    /// `negative_slope`, default 0.01 there).
    pub alpha: f64,
}

impl<T: Scalar> Elementwise<T> for LeakyRelu {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        if z > T::zero() {
            z
        } else {
            T::of(self.alpha) * z
        }
    }
    #[inline(always)]
    fn df(&self, z: T, _a: T) -> T {
        if z > T::zero() {
            T::one()
        } else {
            T::of(self.alpha)
        }
    }
}

/// `f(z) = z` for `z > 0`, else `α·(eᶻ − 1)`; `f′ = 1` or `a + α`.
#[derive(Clone, Copy, Debug)]
pub struct Elu {
    /// The scale `α` of the negative branch, which tends to `−α` (`model!`'s default 1.0, as in
    /// Keras and PyTorch).
    pub alpha: f64,
}

impl<T: Scalar> Elementwise<T> for Elu {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        if z > T::zero() {
            z
        } else {
            T::of(self.alpha) * z.exp_m1()
        }
    }
    #[inline(always)]
    fn df(&self, z: T, a: T) -> T {
        if z > T::zero() {
            T::one()
        } else {
            a + T::of(self.alpha)
        }
    }
}

/// `σ(z) = 1 / (1 + e⁻ᶻ)`, evaluated without overflow; `f′ = a·(1 − a)`.
#[derive(Clone, Copy, Debug)]
pub struct Sigmoid;

/// The logistic function, stable for large `|z|`.
#[inline(always)]
pub fn sigmoid<T: Scalar>(z: T) -> T {
    z.sigmoid()
}

impl<T: Scalar> Elementwise<T> for Sigmoid {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        sigmoid(z)
    }
    #[inline(always)]
    fn df(&self, _z: T, a: T) -> T {
        a * (T::one() - a)
    }
}

/// `f(z) = tanh z`; `f′ = 1 − a²`.
#[derive(Clone, Copy, Debug)]
pub struct Tanh;

impl<T: Scalar> Elementwise<T> for Tanh {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        z.tanh_fast()
    }
    #[inline(always)]
    fn df(&self, _z: T, a: T) -> T {
        T::one() - a * a
    }
}

/// `f(z) = ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|)`; `f′ = σ(z)`.
#[derive(Clone, Copy, Debug)]
pub struct Softplus;

impl<T: Scalar> Elementwise<T> for Softplus {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        z.max(T::zero()) + (-z.abs()).exp().ln_1p()
    }
    #[inline(always)]
    fn df(&self, z: T, _a: T) -> T {
        sigmoid(z)
    }
}

/// SiLU (swish): `f(z) = z·σ(z)`; `f′ = σ(z)·(1 + z·(1 − σ(z)))`.
#[derive(Clone, Copy, Debug)]
pub struct Silu;

impl<T: Scalar> Elementwise<T> for Silu {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        z * sigmoid(z)
    }
    #[inline(always)]
    fn df(&self, z: T, _a: T) -> T {
        let s = sigmoid(z);
        s * (T::one() + z * (T::one() - s))
    }
}

/// Hard sigmoid (Keras 3, PyTorch's `Hardsigmoid`): `f(z) = clamp(z/6 + 1/2, 0, 1)`;
/// `f′ = 1/6` for `−3 < z < 3`, else 0.
#[derive(Clone, Copy, Debug)]
pub struct HardSigmoid;

impl<T: Scalar> Elementwise<T> for HardSigmoid {
    #[inline(always)]
    fn f(&self, z: T) -> T {
        let six = T::of(6.0);
        (z / six + T::of(0.5)).max(T::zero()).min(T::one())
    }
    #[inline(always)]
    fn df(&self, z: T, _a: T) -> T {
        let three = T::of(3.0);
        if z > -three && z < three {
            T::one() / T::of(6.0)
        } else {
            T::zero()
        }
    }
}

/// Softmax over each sample: `aᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z)`.
/// Backward: `g ← a ⊙ (g − ⟨g, a⟩)`.
#[derive(Clone, Copy, Debug)]
pub struct Softmax;

/// Softmax of one sample, in place.
#[inline]
fn softmax_in_place<T: Scalar>(x: &mut [T]) {
    let max = x.iter().skip(1).fold(x[0], |m, &v| m.max(v));
    let mut sum = T::zero();
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = T::one() / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

impl<T: Scalar> Activation<T> for Softmax {
    fn forward(&self, z: &[T], a: &mut [T], rows: usize, n: usize) {
        a[..rows * n].copy_from_slice(&z[..rows * n]);
        for a in a[..rows * n].chunks_exact_mut(rows) {
            softmax_in_place(a);
        }
    }

    fn backward(&self, _z: &[T], a: &[T], g: &mut [T], rows: usize, n: usize) {
        for (a, g) in a[..rows * n]
            .chunks_exact(rows)
            .zip(g[..rows * n].chunks_exact_mut(rows))
        {
            let dot = a
                .iter()
                .zip(g.iter())
                .fold(T::zero(), |s, (&a, &g)| s + a * g);
            for (g, &a) in g.iter_mut().zip(a) {
                *g = a * (*g - dot);
            }
        }
    }

    fn apply(&self, x: &mut [T], rows: usize) {
        softmax_in_place(&mut x[..rows]);
    }
}
