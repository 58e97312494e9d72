//! Binary cross-entropy, on probabilities or logits.

use super::*;

fits_independent_outputs!(BinaryCrossentropy);

/// Binary cross-entropy, element-wise and averaged over all `N = outputs·n` elements
/// (multi-label models may have several outputs):
/// `L = −(1/N)·Σ [y ln p + (1−y) ln(1−p)]`.
///
/// * On probabilities (`from_logits: false`, model not ending in a sigmoid): `p` is clamped to
///   `[ε, 1−ε]`, `ε = 1e-7` like Keras, and `∂L/∂p = (p − y)/(p(1−p))/N` evaluated at the
///   clamped `p` (so a saturated output still gets a bounded, correctly signed push; TF would
///   return 0 there). PyTorch's `BCELoss` instead clamps `ln` at −100; the two agree inside
///   `[ε, 1−ε]`.
/// * Fused (`from_logits: false`, output activation `Sigmoid`): from the logits `z`,
///   `ℓ = max(z,0) − z·y + ln(1 + e^{−|z|})`, `∂L/∂z = (σ(z) − y)/N`, [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BinaryCrossentropy {
    /// Whether the model output is a logit rather than a probability.
    pub from_logits: bool,
}

impl BinaryCrossentropy {
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        len: usize,
        grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let fused = !self.from_logits && act == OutputActivation::Sigmoid;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            let at = if fused {
                GradAt::Logits
            } else {
                GradAt::Output
            };
            if len == 0 {
                return (T::zero(), at);
            }
            let inv = 1.0 / len as f64;
            let mut acc = 0.0;
            match grad {
                Some(g) => {
                    for ((gi, &z), &y) in g[..len].iter_mut().zip(&z[..len]).zip(&target[..len]) {
                        let (z, y) = (z.to_f64(), y.to_f64());
                        acc += bce_with_logits(z, y);
                        *gi = T::of((sigmoid(z) - y) * inv);
                    }
                }
                None => {
                    for (&z, &y) in z[..len].iter().zip(&target[..len]) {
                        acc += bce_with_logits(z.to_f64(), y.to_f64());
                    }
                }
            }
            (T::of(acc * inv), at)
        } else {
            (bce_probs(output, target, len, grad), GradAt::Output)
        }
    }
}

/// BCE on probabilities; writes `∂L/∂p` into `grad` when given.
fn bce_probs<T: Scalar>(output: &[T], target: &[T], len: usize, grad: Option<&mut [T]>) -> T {
    if len == 0 {
        return T::zero();
    }
    let inv = 1.0 / len as f64;
    let mut acc = 0.0;
    let term = |p: f64, y: f64| -(y * p.ln() + (1.0 - y) * (1.0 - p).ln());
    match grad {
        Some(g) => {
            for ((gi, &p), &y) in g[..len].iter_mut().zip(&output[..len]).zip(&target[..len]) {
                let (p, y) = (clamp_prob(p.to_f64()), y.to_f64());
                acc += term(p, y);
                *gi = T::of((p - y) / (p * (1.0 - p)) * inv);
            }
        }
        None => {
            for (&p, &y) in output[..len].iter().zip(&target[..len]) {
                acc += term(clamp_prob(p.to_f64()), y.to_f64());
            }
        }
    }
    T::of(acc * inv)
}

impl<T: Scalar> Loss<T> for BinaryCrossentropy {
    type Target = T;

    fn name(&self) -> &'static str {
        "binary_crossentropy"
    }

    fn targets_per_sample(&self, outputs: usize) -> usize {
        outputs
    }

    fn check_targets(&self, outputs: usize, targets: &[T]) -> Result<(), TargetError> {
        check_dense_targets(outputs, targets, true)
    }

    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt) {
        let len = check_dense(output, target, outputs, n, Some(grad));
        self.eval(act, logits, output, target, len, Some(grad))
    }

    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
    ) -> T {
        let len = check_dense(output, target, outputs, n, None);
        self.eval(act, logits, output, target, len, None).0
    }
}
