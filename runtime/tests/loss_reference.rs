//! Every `loss_*` reference case (PyTorch, computed in f64): loss and gradient within 1e-6, on
//! every path that applies (plain, fused sigmoid/softmax, from_logits), in f32 and f64.

mod common;

use common::reference::{cases_of_kind, load_case, Case};
use common::{f64s, max_abs_diff, to};
use kiln::losses::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use kiln::{GradAt, OutputActivation as Act, Scalar};

const TOL: f64 = 1e-6;
const SENTINEL: f64 = 1234.5;

/// Runs `loss` on workspaces longer than needed (padding NaN / sentinel), checks that
/// `loss()` agrees bit for bit and that nothing past `outputs*n` was written.
#[allow(clippy::too_many_arguments)]
fn run<T: Scalar, L: Loss<T>>(
    loss: &L,
    act: Act,
    logits: &[T],
    output: &[T],
    target: &[L::Target],
    pad_target: L::Target,
    outputs: usize,
    n: usize,
) -> (f64, Vec<f64>, GradAt) {
    let pad = |v: &[T]| {
        let mut w = v.to_vec();
        w.extend(std::iter::repeat_n(T::of(f64::NAN), 5));
        w
    };
    let (logits, output) = (pad(logits), pad(output));
    let mut target = target.to_vec();
    target.extend(std::iter::repeat_n(pad_target, 5));
    let mut grad = vec![T::of(SENTINEL); outputs * n + 7];
    let (l, at) = loss.loss_and_grad(act, &logits, &output, &target, outputs, n, &mut grad);
    let l2 = loss.loss(act, &logits, &output, &target, outputs, n);
    assert_eq!(
        l.to_f64().to_bits(),
        l2.to_f64().to_bits(),
        "loss() != loss_and_grad()"
    );
    assert!(
        grad[outputs * n..].iter().all(|g| g.to_f64() == SENTINEL),
        "gradient written past outputs*n"
    );
    (l.to_f64(), f64s(&grad[..outputs * n]), at)
}

struct Check<'a> {
    case: &'a Case,
    ty: &'static str,
    worst: f64,
    paths: usize,
}

impl Check<'_> {
    #[track_caller]
    fn expect(&mut self, path: &str, got: (f64, Vec<f64>, GradAt), grad_name: &str, at: GradAt) {
        let (l, g, got_at) = got;
        let le = (l - self.case.get("loss")[0] as f64).abs();
        let ge = max_abs_diff(&g, &f64s(self.case.get(grad_name)));
        println!(
            "{:45} {:38} {}  loss err {:.2e}  {} err {:.2e}",
            self.case.name, path, self.ty, le, grad_name, ge
        );
        assert_eq!(got_at, at, "{}: {path}: wrong GradAt", self.case.name);
        assert!(le <= TOL, "{}: {path}: loss error {le:e}", self.case.name);
        assert!(
            ge <= TOL,
            "{}: {path}: {grad_name} error {ge:e}",
            self.case.name
        );
        self.worst = self.worst.max(le).max(ge);
        self.paths += 1;
    }
}

fn softmax_cols(z: &[f64], c: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for col in z.chunks(c) {
        let m = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = col.iter().map(|v| (v - m).exp()).sum();
        out.extend(col.iter().map(|v| (v - m).exp() / s));
    }
    out
}

fn check_case<T: Scalar>(name: &str) -> (f64, usize) {
    let case = load_case(name);
    let shape = case.shape("input").to_vec();
    let (n, outputs) = (shape[0], shape[1]);
    let input: Vec<T> = to(case.get("input"));
    let nan = T::of(f64::NAN);
    let mut c = Check {
        case: &case,
        ty: T::NAME,
        worst: 0.0,
        paths: 0,
    };
    // Unused logits on the plain paths: NaN, so reading them would show.
    let no_logits = vec![nan; input.len()];
    match name {
        "loss_mse" | "loss_mae" | "loss_huber" => {
            let target: Vec<T> = to(case.get("target"));
            let got = match name {
                "loss_mse" => run(
                    &MeanSquaredError,
                    Act::Linear,
                    &input,
                    &input,
                    &target,
                    nan,
                    outputs,
                    n,
                ),
                "loss_mae" => run(
                    &MeanAbsoluteError,
                    Act::Linear,
                    &input,
                    &input,
                    &target,
                    nan,
                    outputs,
                    n,
                ),
                _ => {
                    let h = Huber {
                        delta: case.num("delta"),
                    };
                    run(&h, Act::Linear, &input, &input, &target, nan, outputs, n)
                }
            };
            c.expect("plain", got, "grad.input", GradAt::Output);
        }
        "loss_binary_crossentropy" => {
            let target: Vec<T> = to(case.get("target"));
            let bce = BinaryCrossentropy { from_logits: false };
            for act in [Act::Linear, Act::Other] {
                let got = run(&bce, act, &no_logits, &input, &target, nan, outputs, n);
                c.expect(
                    &format!("probabilities, act {act:?}"),
                    got,
                    "grad.input",
                    GradAt::Output,
                );
            }
        }
        "loss_binary_crossentropy_logits" => {
            let target: Vec<T> = to(case.get("target"));
            let z = &input;
            let p: Vec<T> = z
                .iter()
                .map(|&z| T::of(1.0 / (1.0 + (-z.to_f64()).exp())))
                .collect();
            let bce = BinaryCrossentropy { from_logits: true };
            let got = run(&bce, Act::Linear, z, z, &target, nan, outputs, n);
            c.expect("from_logits, act Linear", got, "grad.input", GradAt::Output);
            // User mistake: from_logits with a sigmoid model; the output is taken as the logits.
            let got = run(&bce, Act::Sigmoid, &no_logits, z, &target, nan, outputs, n);
            c.expect(
                "from_logits, act Sigmoid (output=logits)",
                got,
                "grad.input",
                GradAt::Output,
            );
            let fused = BinaryCrossentropy { from_logits: false };
            let got = run(&fused, Act::Sigmoid, z, &p, &target, nan, outputs, n);
            c.expect(
                "fused sigmoid (grad wrt logits)",
                got,
                "grad.input",
                GradAt::Logits,
            );
        }
        "loss_categorical_crossentropy" => {
            let target: Vec<T> = to(case.get("target"));
            let logits: Vec<T> = to(case.get("logits"));
            let cce = CategoricalCrossentropy { from_logits: false };
            for act in [Act::Linear, Act::Other, Act::Sigmoid] {
                let got = run(&cce, act, &no_logits, &input, &target, nan, outputs, n);
                c.expect(
                    &format!("probabilities, act {act:?}"),
                    got,
                    "grad.input",
                    GradAt::Output,
                );
            }
            let got = run(
                &cce,
                Act::Softmax,
                &logits,
                &input,
                &target,
                nan,
                outputs,
                n,
            );
            c.expect(
                "fused softmax (grad wrt logits)",
                got,
                "grad.logits",
                GradAt::Logits,
            );
            let cce_l = CategoricalCrossentropy { from_logits: true };
            let got = run(
                &cce_l,
                Act::Linear,
                &no_logits,
                &logits,
                &target,
                nan,
                outputs,
                n,
            );
            c.expect(
                "from_logits, act Linear",
                got,
                "grad.logits",
                GradAt::Output,
            );
            // Same through the sparse loss with the argmax of the one-hot targets.
            let labels: Vec<u32> = case
                .get("target")
                .chunks(outputs)
                .map(|col| col.iter().position(|&y| y == 1.0).unwrap() as u32)
                .collect();
            let sp = SparseCategoricalCrossentropy { from_logits: false };
            let got = run(
                &sp,
                Act::Other,
                &no_logits,
                &input,
                &labels,
                u32::MAX,
                outputs,
                n,
            );
            c.expect(
                "sparse labels, probabilities",
                got,
                "grad.input",
                GradAt::Output,
            );
            let got = run(
                &sp,
                Act::Softmax,
                &logits,
                &input,
                &labels,
                u32::MAX,
                outputs,
                n,
            );
            c.expect(
                "sparse labels, fused softmax",
                got,
                "grad.logits",
                GradAt::Logits,
            );
        }
        "loss_sparse_categorical_crossentropy_logits" | "loss_sparse_categorical_crossentropy" => {
            let labels: Vec<u32> = case.get("target_index").iter().map(|&k| k as u32).collect();
            let onehot: Vec<T> = to(case.get("target"));
            if name.ends_with("_logits") {
                let z = &input;
                let p: Vec<T> = softmax_cols(&f64s(z), outputs)
                    .into_iter()
                    .map(T::of)
                    .collect();
                let sp = SparseCategoricalCrossentropy { from_logits: true };
                let got = run(
                    &sp,
                    Act::Linear,
                    &no_logits,
                    z,
                    &labels,
                    u32::MAX,
                    outputs,
                    n,
                );
                c.expect("from_logits, act Linear", got, "grad.input", GradAt::Output);
                let got = run(
                    &sp,
                    Act::Softmax,
                    &no_logits,
                    z,
                    &labels,
                    u32::MAX,
                    outputs,
                    n,
                );
                c.expect(
                    "from_logits, act Softmax (output=logits)",
                    got,
                    "grad.input",
                    GradAt::Output,
                );
                let fused = SparseCategoricalCrossentropy { from_logits: false };
                let got = run(&fused, Act::Softmax, z, &p, &labels, u32::MAX, outputs, n);
                c.expect(
                    "fused softmax (grad wrt logits)",
                    got,
                    "grad.input",
                    GradAt::Logits,
                );
                let cce = CategoricalCrossentropy { from_logits: true };
                let got = run(&cce, Act::Linear, &no_logits, z, &onehot, nan, outputs, n);
                c.expect(
                    "dense one-hot, from_logits",
                    got,
                    "grad.input",
                    GradAt::Output,
                );
                let cce = CategoricalCrossentropy { from_logits: false };
                let got = run(&cce, Act::Softmax, z, &p, &onehot, nan, outputs, n);
                c.expect(
                    "dense one-hot, fused softmax",
                    got,
                    "grad.input",
                    GradAt::Logits,
                );
            } else {
                let sp = SparseCategoricalCrossentropy { from_logits: false };
                for act in [Act::Linear, Act::Other] {
                    let got = run(&sp, act, &no_logits, &input, &labels, u32::MAX, outputs, n);
                    c.expect(
                        &format!("probabilities, act {act:?}"),
                        got,
                        "grad.input",
                        GradAt::Output,
                    );
                }
                let cce = CategoricalCrossentropy { from_logits: false };
                let got = run(
                    &cce,
                    Act::Other,
                    &no_logits,
                    &input,
                    &onehot,
                    nan,
                    outputs,
                    n,
                );
                c.expect(
                    "dense one-hot, probabilities",
                    got,
                    "grad.input",
                    GradAt::Output,
                );
            }
        }
        other => panic!("loss case `{other}` is not covered by this test"),
    }
    (c.worst, c.paths)
}

fn all_cases<T: Scalar>() {
    let cases = cases_of_kind("loss");
    assert_eq!(
        cases.len(),
        8,
        "expected the 8 public loss cases, got {cases:?}"
    );
    let mut worst = 0.0f64;
    let mut paths = 0;
    for name in &cases {
        let (w, p) = check_case::<T>(name);
        worst = worst.max(w);
        paths += p;
    }
    println!(
        "{}: {paths} loss paths over {} cases, max error {worst:.2e}",
        T::NAME,
        cases.len()
    );
}

#[test]
fn loss_reference_f32() {
    all_cases::<f32>();
}

#[test]
fn loss_reference_f64() {
    all_cases::<f64>();
}
