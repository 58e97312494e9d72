//! Categorical and sparse categorical cross-entropy.

use super::*;

fits_class_scores!(CategoricalCrossentropy);
fits_class_scores!(SparseCategoricalCrossentropy);

/// Categorical cross-entropy with dense (one-hot or probability) targets: summed over the
/// classes of a sample, averaged over the `B = n` samples: `L = −(1/B)·Σ_j Σ_c y_jc ln p_jc`.
///
/// * On probabilities (`from_logits: false`, output activation not `Softmax`): `p` is clamped to
///   `[ε, 1−ε]` (`ε = 1e-7`) and `∂L/∂p = −y/p/B` (PyTorch's convention, evaluated at the
///   clamped `p`). **Keras additionally renormalises** each column to sum 1 before the clamp,
///   which adds `+Σ_c y_c/(B·Σ_c p_c)` to every entry of the gradient; for a softmax output
///   (column sum 1) the two agree, and the gradient with respect to the logits is the same.
/// * Fused (`from_logits: false`, output activation `Softmax`): stable log-softmax of the
///   logits, `ℓ = Σ_c y_c (lse(z) − z_c)`, `∂L/∂z = (softmax(z)·Σ_c y_c − y)/B`
///   (`= (softmax − y)/B` for targets summing to 1), [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
///
/// Targets must be finite and in `[0, 1]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CategoricalCrossentropy {
    /// Whether the model output is logits rather than probabilities.
    pub from_logits: bool,
}

impl CategoricalCrossentropy {
    #[allow(clippy::too_many_arguments)]
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[T],
        outputs: usize,
        n: usize,
        mut grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let len = check_dense(output, target, outputs, n, grad.as_deref());
        let fused = !self.from_logits && act == OutputActivation::Softmax;
        let at = if fused {
            GradAt::Logits
        } else {
            GradAt::Output
        };
        if n == 0 || outputs == 0 {
            return (T::zero(), at);
        }
        let inv = 1.0 / n as f64;
        let mut acc = 0.0;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            for j in 0..n {
                let r = j * outputs..(j + 1) * outputs;
                let y = &target[r.clone()];
                let g = grad.as_deref_mut().map(|g| &mut g[r.clone()]);
                acc += softmax_ce_column(&z[r], |c| y[c].to_f64(), inv, g);
            }
        } else {
            match grad {
                Some(g) => {
                    for ((gi, &p), &y) in
                        g[..len].iter_mut().zip(&output[..len]).zip(&target[..len])
                    {
                        let (p, y) = (clamp_prob(p.to_f64()), y.to_f64());
                        acc -= y * p.ln();
                        *gi = T::of(-y / p * inv);
                    }
                }
                None => {
                    for (&p, &y) in output[..len].iter().zip(&target[..len]) {
                        acc -= y.to_f64() * clamp_prob(p.to_f64()).ln();
                    }
                }
            }
        }
        (T::of(acc * inv), at)
    }
}

impl<T: Scalar> Loss<T> for CategoricalCrossentropy {
    type Target = T;
    fn name(&self) -> &'static str {
        "categorical_crossentropy"
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
        self.eval(act, logits, output, target, outputs, n, Some(grad))
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
        self.eval(act, logits, output, target, outputs, n, None).0
    }
}

/// Categorical cross-entropy with integer class labels `k_j < outputs`:
/// `L = −(1/B)·Σ_j ln p_{j,k_j}`.
///
/// * On probabilities (`from_logits: false`, output activation not `Softmax`): `p` clamped to
///   `[ε, 1−ε]`; `∂L/∂p_jc = −[c = k_j]/p_jc/B` (no renormalisation, see
///   [`CategoricalCrossentropy`]).
/// * Fused (`from_logits: false`, output activation `Softmax`): `ℓ = lse(z) − z_k`,
///   `∂L/∂z = (softmax(z) − onehot(k))/B`, [`GradAt::Logits`].
/// * `from_logits: true`: the model output is `z`, same formula, [`GradAt::Output`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SparseCategoricalCrossentropy {
    /// Whether the model output is logits rather than probabilities.
    pub from_logits: bool,
}

impl SparseCategoricalCrossentropy {
    #[allow(clippy::too_many_arguments)]
    fn eval<T: Scalar>(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
        mut grad: Option<&mut [T]>,
    ) -> (T, GradAt) {
        let len = outputs * n;
        check_lengths("output", output.len(), len);
        check_lengths("target", target.len(), n);
        if let Some(g) = grad.as_deref() {
            check_lengths("grad", g.len(), len);
        }
        let fused = !self.from_logits && act == OutputActivation::Softmax;
        let at = if fused {
            GradAt::Logits
        } else {
            GradAt::Output
        };
        if n == 0 || outputs == 0 {
            return (T::zero(), at);
        }
        let inv = 1.0 / n as f64;
        let mut acc = 0.0;
        if self.from_logits || fused {
            let z = if fused {
                check_lengths("logits", logits.len(), len);
                logits
            } else {
                output
            };
            for (j, &k) in target[..n].iter().enumerate() {
                let k = k as usize;
                assert!(
                    k < outputs,
                    "sample {j}: class label {k} ≥ {outputs} outputs"
                );
                let r = j * outputs..(j + 1) * outputs;
                let g = grad.as_deref_mut().map(|g| &mut g[r.clone()]);
                acc += softmax_ce_column(&z[r], |c| if c == k { 1.0 } else { 0.0 }, inv, g);
            }
        } else {
            for (j, &k) in target[..n].iter().enumerate() {
                let k = k as usize;
                assert!(
                    k < outputs,
                    "sample {j}: class label {k} ≥ {outputs} outputs"
                );
                let p = clamp_prob(output[j * outputs + k].to_f64());
                acc -= p.ln();
                if let Some(g) = grad.as_deref_mut() {
                    let col = &mut g[j * outputs..(j + 1) * outputs];
                    col.fill(T::zero());
                    col[k] = T::of(-inv / p);
                }
            }
        }
        (T::of(acc * inv), at)
    }
}

impl<T: Scalar> Loss<T> for SparseCategoricalCrossentropy {
    type Target = u32;
    fn name(&self) -> &'static str {
        "sparse_categorical_crossentropy"
    }

    fn targets_per_sample(&self, _outputs: usize) -> usize {
        1
    }

    fn check_targets(&self, outputs: usize, targets: &[u32]) -> Result<(), TargetError> {
        match targets.iter().position(|&k| k as usize >= outputs) {
            Some(sample) => Err(TargetError::LabelOutOfRange {
                sample,
                label: targets[sample],
                classes: outputs,
            }),
            None => Ok(()),
        }
    }

    fn loss_and_grad(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
        grad: &mut [T],
    ) -> (T, GradAt) {
        self.eval(act, logits, output, target, outputs, n, Some(grad))
    }

    fn loss(
        &self,
        act: OutputActivation,
        logits: &[T],
        output: &[T],
        target: &[u32],
        outputs: usize,
        n: usize,
    ) -> T {
        self.eval(act, logits, output, target, outputs, n, None).0
    }
}
