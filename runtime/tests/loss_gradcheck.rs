//! Every loss and every path (plain, fused sigmoid/softmax, from_logits) against central finite
//! differences in f64, plus numerical stability at extreme inputs and target validation.

use kiln::losses::{
    BinaryCrossentropy, CategoricalCrossentropy, FitsOutput, Huber, Loss, MeanAbsoluteError,
    MeanSquaredError, SparseCategoricalCrossentropy, TargetError,
};
use kiln::output::{AnyOutput, OneValue, Sequence, Vector};
use kiln::{GradAt, OutputActivation as Act, Rng};

const H: f64 = 1e-5;
const REL_TOL: f64 = 1e-6;

fn sigmoid(z: &[f64]) -> Vec<f64> {
    z.iter().map(|z| 1.0 / (1.0 + (-z).exp())).collect()
}

fn softmax(z: &[f64], c: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for col in z.chunks(c) {
        let m = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = col.iter().map(|v| (v - m).exp()).sum();
        out.extend(col.iter().map(|v| (v - m).exp() / s));
    }
    out
}

/// How the variable `x` that the gradient is taken against feeds the loss.
#[derive(Clone, Copy, Debug)]
enum Path {
    /// `x` is the output (act Linear / Other, or from_logits).
    Output(Act),
    /// `x` is the logits; the output is `act(x)` (fused paths).
    Logits(Act),
}

fn inputs(path: Path, x: &[f64], outputs: usize) -> (Act, Vec<f64>, Vec<f64>) {
    match path {
        // Logits are deliberately garbage on output paths: they must not be read.
        Path::Output(act) => (act, vec![f64::NAN; x.len()], x.to_vec()),
        Path::Logits(Act::Sigmoid) => (Act::Sigmoid, x.to_vec(), sigmoid(x)),
        Path::Logits(Act::Softmax) => (Act::Softmax, x.to_vec(), softmax(x, outputs)),
        Path::Logits(a) => panic!("no fused path for {a:?}"),
    }
}

/// Max relative error of the analytic gradient against central differences.
fn gradcheck<L: Loss<f64>>(
    label: &str,
    loss: &L,
    path: Path,
    x: &[f64],
    target: &[L::Target],
    outputs: usize,
    n: usize,
) -> f64 {
    let (act, logits, output) = inputs(path, x, outputs);
    let mut grad = vec![0.0; x.len()];
    let (l, at) = loss.loss_and_grad(act, &logits, &output, target, outputs, n, &mut grad);
    let want_at = match path {
        Path::Output(_) => GradAt::Output,
        Path::Logits(_) => GradAt::Logits,
    };
    assert_eq!(at, want_at, "{label}");
    assert!(l.is_finite());
    let eval = |x: &[f64]| {
        let (act, logits, output) = inputs(path, x, outputs);
        loss.loss(act, &logits, &output, target, outputs, n)
    };
    let mut worst = 0.0f64;
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        xp[i] = x[i] + H;
        let up = eval(&xp);
        xp[i] = x[i] - H;
        let down = eval(&xp);
        xp[i] = x[i];
        let fd = (up - down) / (2.0 * H);
        let rel = (grad[i] - fd).abs() / grad[i].abs().max(fd.abs()).max(1e-6);
        worst = worst.max(rel);
    }
    println!("{label:55} max rel err {worst:.2e}");
    assert!(worst < REL_TOL, "{label}: relative error {worst:e}");
    worst
}

fn uniform(rng: &mut Rng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len).map(|_| lo + (hi - lo) * rng.uniform()).collect()
}

#[test]
fn regression_losses() {
    let (outputs, n) = (3, 4);
    let mut rng = Rng::new(1);
    let y = uniform(&mut rng, outputs * n, -2.0, 2.0);
    // Keep |d| away from 0 (MAE) and from ±δ (Huber).
    let x: Vec<f64> = y
        .iter()
        .map(|&y| loop {
            let x = y + rng.uniform() * 6.0 - 3.0;
            let d = (x - y).abs();
            if d > 1e-3 && (d - 1.0).abs() > 1e-3 && (d - 0.5).abs() > 1e-3 {
                break x;
            }
        })
        .collect();
    for act in [Act::Linear, Act::Other, Act::Softmax] {
        let p = Path::Output(act);
        gradcheck(
            &format!("mse {act:?}"),
            &MeanSquaredError,
            p,
            &x,
            &y,
            outputs,
            n,
        );
        gradcheck(
            &format!("mae {act:?}"),
            &MeanAbsoluteError,
            p,
            &x,
            &y,
            outputs,
            n,
        );
        gradcheck(
            &format!("huber δ=1 {act:?}"),
            &Huber::default(),
            p,
            &x,
            &y,
            outputs,
            n,
        );
        gradcheck(
            &format!("huber δ=0.5 {act:?}"),
            &Huber { delta: 0.5 },
            p,
            &x,
            &y,
            outputs,
            n,
        );
    }
}

#[test]
fn binary_crossentropy_paths() {
    let (outputs, n) = (3, 4); // multi-label
    let mut rng = Rng::new(2);
    let hard: Vec<f64> = (0..outputs * n)
        .map(|_| (rng.uniform() < 0.5) as u8 as f64)
        .collect();
    let soft = uniform(&mut rng, outputs * n, 0.0, 1.0);
    let probs = uniform(&mut rng, outputs * n, 0.05, 0.95);
    let logits = uniform(&mut rng, outputs * n, -4.0, 4.0);
    for (tn, y) in [("hard", &hard), ("soft", &soft)] {
        let plain = BinaryCrossentropy { from_logits: false };
        let fl = BinaryCrossentropy { from_logits: true };
        gradcheck(
            &format!("bce probabilities, {tn} targets"),
            &plain,
            Path::Output(Act::Linear),
            &probs,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("bce fused sigmoid, {tn} targets"),
            &plain,
            Path::Logits(Act::Sigmoid),
            &logits,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("bce from_logits, {tn} targets"),
            &fl,
            Path::Output(Act::Linear),
            &logits,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("bce from_logits + act Sigmoid, {tn} targets"),
            &fl,
            Path::Output(Act::Sigmoid),
            &logits,
            y,
            outputs,
            n,
        );
    }
}

#[test]
fn categorical_crossentropy_paths() {
    let (outputs, n) = (4, 5);
    let mut rng = Rng::new(3);
    let labels: Vec<u32> = (0..n).map(|_| rng.below(outputs as u64) as u32).collect();
    let onehot: Vec<f64> = labels
        .iter()
        .flat_map(|&k| (0..outputs).map(move |c| (c == k as usize) as u8 as f64))
        .collect();
    // Soft targets that do not sum to 1 exercise the Σy factor of the fused gradient.
    let soft = uniform(&mut rng, outputs * n, 0.0, 1.0);
    let probs = uniform(&mut rng, outputs * n, 0.05, 0.95);
    let logits = uniform(&mut rng, outputs * n, -4.0, 4.0);
    let plain = CategoricalCrossentropy { from_logits: false };
    let fl = CategoricalCrossentropy { from_logits: true };
    for (tn, y) in [("one-hot", &onehot), ("soft", &soft)] {
        gradcheck(
            &format!("cce probabilities, {tn}"),
            &plain,
            Path::Output(Act::Other),
            &probs,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("cce fused softmax, {tn}"),
            &plain,
            Path::Logits(Act::Softmax),
            &logits,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("cce from_logits, {tn}"),
            &fl,
            Path::Output(Act::Linear),
            &logits,
            y,
            outputs,
            n,
        );
        gradcheck(
            &format!("cce from_logits + act Softmax, {tn}"),
            &fl,
            Path::Output(Act::Softmax),
            &logits,
            y,
            outputs,
            n,
        );
    }
    let plain = SparseCategoricalCrossentropy { from_logits: false };
    let fl = SparseCategoricalCrossentropy { from_logits: true };
    gradcheck(
        "sparse cce probabilities",
        &plain,
        Path::Output(Act::Other),
        &probs,
        &labels,
        outputs,
        n,
    );
    gradcheck(
        "sparse cce fused softmax",
        &plain,
        Path::Logits(Act::Softmax),
        &logits,
        &labels,
        outputs,
        n,
    );
    gradcheck(
        "sparse cce from_logits",
        &fl,
        Path::Output(Act::Linear),
        &logits,
        &labels,
        outputs,
        n,
    );
    gradcheck(
        "sparse cce from_logits + act Softmax",
        &fl,
        Path::Output(Act::Softmax),
        &logits,
        &labels,
        outputs,
        n,
    );
}

/// The fused gradient w.r.t. the logits equals the plain gradient w.r.t. the output pulled back
/// through the activation's Jacobian.
#[test]
fn fused_equals_chain_rule() {
    let (c, n) = (4, 3);
    let mut rng = Rng::new(4);
    let z = uniform(&mut rng, c * n, -3.0, 3.0);
    let p = softmax(&z, c);
    let y = uniform(&mut rng, c * n, 0.0, 1.0);
    let cce = CategoricalCrossentropy::default();
    let (mut gz, mut gp) = (vec![0.0; c * n], vec![0.0; c * n]);
    cce.loss_and_grad(Act::Softmax, &z, &p, &y, c, n, &mut gz);
    cce.loss_and_grad(Act::Other, &z, &p, &y, c, n, &mut gp);
    for j in 0..n {
        let (pj, gj) = (&p[j * c..][..c], &gp[j * c..][..c]);
        let dot: f64 = pj.iter().zip(gj).map(|(a, b)| a * b).sum();
        for k in 0..c {
            let chain = pj[k] * (gj[k] - dot);
            assert!(
                (chain - gz[j * c + k]).abs() < 1e-12,
                "{chain} vs {}",
                gz[j * c + k]
            );
        }
    }
    let s = sigmoid(&z);
    let y01: Vec<f64> = y.iter().map(|&v| v.round()).collect();
    let bce = BinaryCrossentropy::default();
    cce.loss_and_grad(Act::Other, &z, &p, &y, c, n, &mut gp); // reset
    bce.loss_and_grad(Act::Sigmoid, &z, &s, &y01, c, n, &mut gz);
    bce.loss_and_grad(Act::Linear, &z, &s, &y01, c, n, &mut gp);
    for i in 0..c * n {
        let chain = gp[i] * s[i] * (1.0 - s[i]);
        assert!((chain - gz[i]).abs() < 1e-12);
    }
}

fn finite(l: f64, g: &[f64]) -> bool {
    l.is_finite() && g.iter().all(|g| g.is_finite())
}

#[test]
fn extreme_inputs_stay_finite() {
    // Fused / from-logits paths with huge logits: exact, no overflow.
    let z = [1000.0, 0.0, -1000.0, 800.0, -800.0, 5.0];
    let mut g = [0.0; 6];
    let bce = BinaryCrossentropy { from_logits: true };
    let y = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0];
    let (l, _) = bce.loss_and_grad(Act::Linear, &z, &z, &y, 1, 6, &mut g);
    assert!(finite(l, &g));
    // ln(1+e^-|z|) terms: 1000 + ln2 + 1000 + 0 + 0 + ln(1+e^-5), over 6.
    let want = (1000.0 + 2f64.ln() + 1000.0 + (1.0 + (-5f64).exp()).ln()) / 6.0;
    assert!((l - want).abs() < 1e-12, "{l} vs {want}");
    assert_eq!(g[0], 1.0 / 6.0);
    assert_eq!(g[2], -1.0 / 6.0);
    let cce = CategoricalCrossentropy { from_logits: true };
    let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    let (l, _) = cce.loss_and_grad(Act::Linear, &z, &z, &y, 3, 2, &mut g);
    assert!(finite(l, &g));
    assert!((l - (2000.0 + 0.0) / 2.0).abs() < 1e-9, "{l}");
    let sp = SparseCategoricalCrossentropy { from_logits: false };
    let (l, at) = sp.loss_and_grad(Act::Softmax, &z, &[0.0; 6], &[2, 0], 3, 2, &mut g);
    assert_eq!(at, GradAt::Logits);
    assert!(finite(l, &g));
    // f32 too.
    let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    let mut g32 = [0f32; 6];
    let (l32, _) = sp.loss_and_grad(Act::Softmax, &z32, &[0.0; 6], &[2, 0], 3, 2, &mut g32);
    assert!(l32.is_finite() && g32.iter().all(|g| g.is_finite()));
    // Probabilities of exactly 0 and 1: clamped to [1e-7, 1 − 1e-7], never ln(0).
    let p = [0.0, 1.0, 0.0, 1.0];
    let y = [1.0, 0.0, 0.0, 1.0];
    let mut g = [0.0; 4];
    let (l, _) = BinaryCrossentropy::default().loss_and_grad(Act::Other, &p, &p, &y, 1, 4, &mut g);
    assert!(finite(l, &g));
    let want = -(1e-7f64).ln() * 2.0 / 4.0 - (1.0 - 1e-7f64).ln() * 2.0 / 4.0;
    assert!((l - want).abs() < 1e-9, "{l} vs {want}");
    assert!(
        g[0] < 0.0 && g[1] > 0.0,
        "saturated outputs are pushed the right way"
    );
    let (l, _) =
        CategoricalCrossentropy::default().loss_and_grad(Act::Other, &p, &p, &y, 2, 2, &mut g);
    assert!(finite(l, &g));
    let (l, _) = SparseCategoricalCrossentropy::default().loss_and_grad(
        Act::Other,
        &p,
        &p,
        &[0, 1],
        2,
        2,
        &mut g,
    );
    assert!(finite(l, &g));
}

#[test]
fn empty_batch_is_zero() {
    let mut g = [7.0f32; 4];
    let (l, _) = MeanSquaredError.loss_and_grad(Act::Linear, &[], &[], &[], 3, 0, &mut g);
    assert_eq!(l, 0.0);
    let (l, _) = SparseCategoricalCrossentropy::default().loss_and_grad(
        Act::Softmax,
        &[],
        &[],
        &[],
        3,
        0,
        &mut g,
    );
    assert_eq!(l, 0.0);
    assert_eq!(g, [7.0; 4]);
}

#[test]
fn names_and_shapes() {
    fn info<L: Loss<f32>>(l: &L) -> (&'static str, usize) {
        (l.name(), l.targets_per_sample(5))
    }
    // Which outputs each loss trains is a bound (`FitsOutput`): these compile, and the
    // mismatches are the UI case `tests/ui/types/loss_needs_two_outputs.rs`.
    fn fits_any<L: FitsOutput<OneValue> + FitsOutput<Vector<5>> + FitsOutput<Sequence<3, 5>>>(
        l: &L,
    ) -> &L {
        l
    }
    fn fits_classes<L: FitsOutput<Vector<5>> + FitsOutput<AnyOutput>>(l: &L) -> &L {
        l
    }
    assert_eq!(info(fits_any(&MeanSquaredError)), ("mean_squared_error", 5));
    assert_eq!(
        info(fits_any(&MeanAbsoluteError)),
        ("mean_absolute_error", 5)
    );
    assert_eq!(info(fits_any(&Huber::default())), ("huber_loss", 5));
    assert_eq!(
        info(fits_any(&BinaryCrossentropy::default())),
        ("binary_crossentropy", 5)
    );
    assert_eq!(
        info(fits_classes(&CategoricalCrossentropy::default())),
        ("categorical_crossentropy", 5)
    );
    assert_eq!(
        info(fits_classes(&SparseCategoricalCrossentropy::default())),
        ("sparse_categorical_crossentropy", 1)
    );
    assert_eq!(Huber::default().delta, 1.0);
    assert!(!BinaryCrossentropy::default().from_logits);
}

#[test]
fn target_validation() {
    let sp = SparseCategoricalCrossentropy::default();
    assert_eq!(Loss::<f32>::check_targets(&sp, 3, &[0, 2, 1]), Ok(()));
    let e = Loss::<f32>::check_targets(&sp, 3, &[0, 2, 3, 7]).unwrap_err();
    assert_eq!(
        e,
        TargetError::LabelOutOfRange {
            sample: 2,
            label: 3,
            classes: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "sample 2: class label 3 is out of range for 3 classes"
    );
    assert_eq!(
        Loss::<f32>::check_targets_for(&sp, 3, 4, &[0, 1, 2]),
        Err(TargetError::WrongCount {
            expected: 4,
            found: 3
        })
    );

    let bce = BinaryCrossentropy::default();
    assert_eq!(bce.check_targets(2, &[0.0f32, 1.0, 0.5, 1.0]), Ok(()));
    assert_eq!(
        bce.check_targets(2, &[0.0f32, 1.0, 0.5, 1.5]),
        Err(TargetError::OutOfUnitRange {
            sample: 1,
            index: 1,
            value: 1.5
        })
    );
    assert_eq!(
        bce.check_targets(2, &[0.0f32, -0.5]),
        Err(TargetError::OutOfUnitRange {
            sample: 0,
            index: 1,
            value: -0.5
        })
    );
    assert_eq!(
        bce.check_targets(2, &[0.0f32, 1.0, 0.5]),
        Err(TargetError::Ragged {
            per_sample: 2,
            found: 3
        })
    );
    let e = bce.check_targets(1, &[0.0f32, f32::NAN]).unwrap_err();
    assert!(matches!(e, TargetError::NonFinite { sample: 1, index: 0, value } if value.is_nan()));
    let cce = CategoricalCrossentropy::default();
    assert!(matches!(
        cce.check_targets(2, &[0.0f64, 2.0]),
        Err(TargetError::OutOfUnitRange { .. })
    ));
    assert_eq!(
        MeanSquaredError.check_targets(2, &[0.0f64, 1.0, -5.0, 1e30]),
        Ok(())
    );
    assert_eq!(
        MeanSquaredError.check_targets(2, &[0.0f64, 1.0, f64::INFINITY, 1.0]),
        Err(TargetError::NonFinite {
            sample: 1,
            index: 0,
            value: f64::INFINITY
        })
    );
    assert_eq!(
        Loss::<f64>::check_targets_for(&Huber::default(), 2, 2, &[0.0f64; 4]),
        Ok(())
    );
}
