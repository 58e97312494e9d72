//! Every `opt_*` reference case (PyTorch update rules, 3 steps on weight [2,3] + bias [3] as one
//! flat parameter slice), plus Adagrad and the hyper-parameters the cases do not exercise
//! (coupled weight decay, AMSGrad, dampening, centered/momentum RMSprop) against plain f64
//! recurrences written straight from the PyTorch docs, and checkpoint state round trips.

mod common;

use common::reference::{cases_of_kind, load_case, Case};
use common::{f64s, max_abs_diff, to};
use kiln::optim::{Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd, StateError};
use kiln::Scalar;

const TOL: f64 = 1e-6;

fn optimizer_for<T: Scalar>(case: &Case) -> Box<dyn Optimizer<T>> {
    let lr = case.num("lr");
    let kind = case.meta["optimizer"].as_str().unwrap();
    match kind {
        "sgd" => Box::new(Sgd::new(lr)),
        "sgd_momentum" => Box::new(Sgd::new(lr).momentum(case.num("momentum"))),
        "sgd_nesterov" => Box::new(Sgd::new(lr).momentum(case.num("momentum")).nesterov(true)),
        "adam" => Box::new(
            Adam::new(lr)
                .betas(case.num("beta1"), case.num("beta2"))
                .eps(case.num("eps")),
        ),
        "adamw" => Box::new(
            AdamW::new(lr)
                .betas(case.num("beta1"), case.num("beta2"))
                .eps(case.num("eps"))
                .weight_decay(case.num("weight_decay")),
        ),
        "rmsprop" => {
            assert_eq!(case.meta["hyper"]["centered"], false);
            Box::new(
                RmsProp::new(lr)
                    .alpha(case.num("alpha"))
                    .eps(case.num("eps"))
                    .momentum(case.num("momentum")),
            )
        }
        other => panic!("optimizer case `{other}` is not covered by this test"),
    }
}

fn flat(case: &Case, prefix: &str) -> Vec<f32> {
    let mut v = case.get(&format!("{prefix}weight")).to_vec();
    v.extend_from_slice(case.get(&format!("{prefix}bias")));
    v
}

fn check_case<T: Scalar>(name: &str) -> f64 {
    let case = load_case(name);
    let mut opt = optimizer_for::<T>(&case);
    let mut params: Vec<T> = to(&flat(&case, ""));
    assert_eq!(params.len(), 9);
    opt.init(params.len());
    let mut worst = 0.0f64;
    for k in 1..=3 {
        let grads: Vec<T> = to(&flat(&case, &format!("step{k}.grad.")));
        opt.step(&mut params, &grads);
        let want = f64s(&flat(&case, &format!("step{k}.")));
        let err = max_abs_diff(&f64s(&params), &want);
        println!("{name:18} {} step {k}: max |Δp| {err:.2e}", T::NAME);
        assert!(err <= TOL, "{name} step {k}: error {err:e}");
        worst = worst.max(err);
    }
    assert_eq!(opt.state().0, 3);
    worst
}

fn all_cases<T: Scalar>() {
    let cases = cases_of_kind("optimizer");
    assert_eq!(
        cases.len(),
        6,
        "expected the 6 public optimizer cases, got {cases:?}"
    );
    let worst = cases.iter().map(|c| check_case::<T>(c)).fold(0.0, f64::max);
    println!(
        "{}: {} optimizer cases, max error {worst:.2e}",
        T::NAME,
        cases.len()
    );
}

#[test]
fn optimizer_reference_f32() {
    all_cases::<f32>();
}

#[test]
fn optimizer_reference_f64() {
    all_cases::<f64>();
}

// ---------------------------------------------------------------------------------------------
// Hand-written f64 recurrences (the torch.optim pseudo-code, literally)
// ---------------------------------------------------------------------------------------------

/// Deterministic parameters and a gradient sequence (5 steps).
fn problem(len: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut rng = kiln::Rng::new(7);
    let p = (0..len).map(|_| rng.uniform() * 2.0 - 1.0).collect();
    let gs = (0..5)
        .map(|_| (0..len).map(|_| rng.uniform() * 4.0 - 2.0).collect())
        .collect();
    (p, gs)
}

/// The same optimizer expression built twice, so each copy infers its own element type.
macro_rules! both {
    ($e:expr) => {
        ($e, $e)
    };
}

/// Runs the optimizer pair over `problem` in f32 and f64 and compares with the f64
/// `reference(p, g, t)`: f64 to 1e-12, f32 (which rounds every operation) to 1e-5.
fn against_recurrence(
    name: &str,
    (mut o32, mut o64): (impl Optimizer<f32>, impl Optimizer<f64>),
    mut reference: impl FnMut(&mut [f64], &[f64], u64),
) {
    let (p0, gs) = problem(11);
    let mut want = p0.clone();
    let mut p64 = p0.clone();
    let mut p32: Vec<f32> = p0.iter().map(|&x| x as f32).collect();
    o32.init(p0.len());
    o64.init(p0.len());
    let mut e64 = 0.0f64;
    for (t, g) in gs.iter().enumerate() {
        let g32: Vec<f32> = g.iter().map(|&x| x as f32).collect();
        reference(&mut want, g, t as u64 + 1);
        o64.step(&mut p64, g);
        o32.step(&mut p32, &g32);
        e64 = e64.max(max_abs_diff(&p64, &want));
    }
    let e32 = max_abs_diff(&f64s(&p32), &want);
    println!("{name:40} f64 err {e64:.2e}, f32 err {e32:.2e} (5 steps)");
    assert!(e64 <= 1e-12, "{name} f64: {e64:e}");
    assert!(e32 <= 1e-5, "{name} f32: {e32:e}");
}

#[test]
fn adagrad_matches_recurrence() {
    let (lr, lr_decay, wd, s0, eps) = (0.05, 0.1, 0.01, 0.1, 1e-10);
    let pair = both!(Adagrad::new(lr)
        .lr_decay(lr_decay)
        .weight_decay(wd)
        .initial_accumulator_value(s0)
        .eps(eps));
    let mut sum = [s0; 11];
    against_recurrence("adagrad", pair, |p, g, t| {
        let clr = lr / (1.0 + (t - 1) as f64 * lr_decay);
        for i in 0..p.len() {
            let g = g[i] + wd * p[i];
            sum[i] += g * g;
            p[i] -= clr * g / (sum[i].sqrt() + eps);
        }
    });
    // Defaults are PyTorch's.
    let d = Adagrad::<f32>::default();
    assert_eq!(
        (
            d.lr,
            d.lr_decay,
            d.weight_decay,
            d.initial_accumulator_value,
            d.eps
        ),
        (1e-2, 0.0, 0.0, 0.0, 1e-10)
    );
}

#[test]
fn adagrad_defaults_match_recurrence() {
    let mut sum = [0.0; 11];
    against_recurrence("adagrad default", both!(Adagrad::default()), |p, g, _| {
        for i in 0..p.len() {
            sum[i] += g[i] * g[i];
            p[i] -= 1e-2 * g[i] / (sum[i].sqrt() + 1e-10);
        }
    });
}

fn adam_reference(
    lr: f64,
    (b1, b2): (f64, f64),
    eps: f64,
    wd: f64,
    decoupled: bool,
    amsgrad: bool,
) -> impl FnMut(&mut [f64], &[f64], u64) {
    let (mut m, mut v, mut vmax) = (vec![0.0; 11], vec![0.0; 11], vec![0.0f64; 11]);
    move |p, g, t| {
        for i in 0..p.len() {
            let mut g = g[i];
            if decoupled {
                p[i] *= 1.0 - lr * wd;
            } else {
                g += wd * p[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let mhat = m[i] / (1.0 - b1.powi(t as i32));
            let vv = if amsgrad {
                vmax[i] = vmax[i].max(v[i]);
                vmax[i]
            } else {
                v[i]
            };
            let vhat = vv / (1.0 - b2.powi(t as i32));
            p[i] -= lr * mhat / (vhat.sqrt() + eps);
        }
    }
}

#[test]
fn adam_weight_decay_and_amsgrad_match_recurrence() {
    for amsgrad in [false, true] {
        against_recurrence(
            &format!("adam wd amsgrad={amsgrad}"),
            both!(Adam::new(0.01)
                .betas(0.8, 0.9)
                .eps(1e-6)
                .weight_decay(0.1)
                .amsgrad(amsgrad)),
            adam_reference(0.01, (0.8, 0.9), 1e-6, 0.1, false, amsgrad),
        );
        against_recurrence(
            &format!("adamw amsgrad={amsgrad}"),
            both!(AdamW::new(0.01)
                .betas(0.8, 0.9)
                .eps(1e-6)
                .weight_decay(0.1)
                .amsgrad(amsgrad)),
            adam_reference(0.01, (0.8, 0.9), 1e-6, 0.1, true, amsgrad),
        );
    }
    let a = Adam::<f32>::default();
    assert_eq!(
        (a.lr, a.betas, a.eps, a.weight_decay, a.amsgrad),
        (1e-3, (0.9, 0.999), 1e-8, 0.0, false)
    );
    let w = AdamW::<f32>::default();
    assert_eq!(
        (w.lr, w.betas, w.eps, w.weight_decay, w.amsgrad),
        (1e-3, (0.9, 0.999), 1e-8, 0.01, false)
    );
}

#[test]
fn sgd_dampening_weight_decay_match_recurrence() {
    for nesterov in [false, true] {
        let (lr, mu, tau, wd) = (0.05, 0.8, 0.3, 0.02);
        let pair = both!(Sgd::new(lr)
            .momentum(mu)
            .dampening(tau)
            .weight_decay(wd)
            .nesterov(nesterov));
        let mut b = [0.0; 11];
        against_recurrence(&format!("sgd nesterov={nesterov}"), pair, |p, g, t| {
            for i in 0..p.len() {
                let g = g[i] + wd * p[i];
                b[i] = if t == 1 {
                    g
                } else {
                    mu * b[i] + (1.0 - tau) * g
                };
                let d = if nesterov { g + mu * b[i] } else { b[i] };
                p[i] -= lr * d;
            }
        });
    }
    against_recurrence(
        "sgd wd",
        both!(Sgd::new(0.1).weight_decay(0.5)),
        |p, g, _| {
            for i in 0..p.len() {
                p[i] -= 0.1 * (g[i] + 0.5 * p[i]);
            }
        },
    );
    assert_eq!(<Sgd<f32> as Default>::default().lr, 1e-3);
}

#[test]
fn rmsprop_variants_match_recurrence() {
    for (momentum, centered) in [(0.0, false), (0.0, true), (0.7, false), (0.7, true)] {
        let (lr, alpha, eps, wd) = (0.01, 0.9, 1e-6, 0.05);
        let pair = both!(RmsProp::new(lr)
            .alpha(alpha)
            .eps(eps)
            .weight_decay(wd)
            .momentum(momentum)
            .centered(centered));
        let (mut v, mut b, mut ga) = (vec![0.0; 11], vec![0.0; 11], vec![0.0; 11]);
        let name = format!("rmsprop momentum={momentum} centered={centered}");
        against_recurrence(&name, pair, |p, g, _| {
            for i in 0..p.len() {
                let g = g[i] + wd * p[i];
                v[i] = alpha * v[i] + (1.0 - alpha) * g * g;
                let mut vt = v[i];
                if centered {
                    ga[i] = alpha * ga[i] + (1.0 - alpha) * g;
                    vt -= ga[i] * ga[i];
                }
                if momentum > 0.0 {
                    b[i] = momentum * b[i] + g / (vt.sqrt() + eps);
                    p[i] -= lr * b[i];
                } else {
                    p[i] -= lr * g / (vt.sqrt() + eps);
                }
            }
        });
    }
    let r = RmsProp::<f32>::default();
    assert_eq!(
        (r.lr, r.alpha, r.eps, r.weight_decay, r.momentum, r.centered),
        (1e-2, 0.99, 1e-8, 0.0, 0.0, false)
    );
}

// ---------------------------------------------------------------------------------------------
// Names, learning rate, init, checkpoints
// ---------------------------------------------------------------------------------------------

fn all_optimizers() -> Vec<Box<dyn Optimizer<f64>>> {
    vec![
        Box::new(Sgd::new(0.1)),
        Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        Box::new(Adam::new(0.01)),
        Box::new(Adam::new(0.01).amsgrad(true).weight_decay(0.1)),
        Box::new(AdamW::new(0.01)),
        Box::new(RmsProp::new(0.01).momentum(0.5).centered(true)),
        Box::new(RmsProp::new(0.01)),
        Box::new(Adagrad::new(0.1).initial_accumulator_value(0.2)),
    ]
}

#[test]
fn names_and_learning_rate() {
    let names: Vec<_> = all_optimizers().iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        ["sgd", "sgd", "adam", "adam", "adamw", "rmsprop", "rmsprop", "adagrad"]
    );
    for mut o in all_optimizers() {
        o.set_learning_rate(0.123);
        assert_eq!(o.learning_rate(), 0.123);
    }
}

#[test]
fn state_names_follow_pytorch() {
    let mut got = Vec::new();
    for mut o in all_optimizers() {
        o.init(4);
        got.push(
            o.state()
                .1
                .iter()
                .map(|(n, b)| {
                    assert_eq!(b.len(), 4);
                    *n
                })
                .collect::<Vec<_>>(),
        );
    }
    let want: Vec<Vec<&str>> = vec![
        vec![],
        vec!["momentum_buffer"],
        vec!["exp_avg", "exp_avg_sq"],
        vec!["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
        vec!["exp_avg", "exp_avg_sq"],
        vec!["square_avg", "momentum_buffer", "grad_avg"],
        vec!["square_avg"],
        vec!["sum"],
    ];
    assert_eq!(got, want);
}

#[test]
fn checkpoint_round_trip_continues_identically() {
    let (p0, gs) = problem(11);
    for (a, mut b) in all_optimizers().into_iter().zip(all_optimizers()) {
        let mut a = a;
        let mut pa = p0.clone();
        a.init(pa.len());
        a.step(&mut pa, &gs[0]);
        a.step(&mut pa, &gs[1]);
        let (t, bufs) = a.state();
        assert_eq!(t, 2);
        let owned: Vec<(&str, Vec<f64>)> = bufs.iter().map(|(n, b)| (*n, b.to_vec())).collect();
        let borrowed: Vec<(&str, &[f64])> = owned.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        b.load_state(t, &borrowed).unwrap();
        b.init(pa.len()); // idempotent: keeps the loaded state
        let mut pb = pa.clone();
        for g in &gs[2..] {
            a.step(&mut pa, g);
            b.step(&mut pb, g);
        }
        assert_eq!(pa, pb, "{}", a.name());
        assert_eq!(b.state().0, 5);
    }
}

#[test]
fn init_is_idempotent_and_resets_on_resize() {
    let (p0, gs) = problem(11);
    let mut a = Adam::<f64>::new(0.01);
    let mut b = Adam::<f64>::new(0.01);
    let (mut pa, mut pb) = (p0.clone(), p0.clone());
    a.init(11);
    b.init(11);
    a.step(&mut pa, &gs[0]);
    b.step(&mut pb, &gs[0]);
    a.init(11); // same size: state kept
    a.step(&mut pa, &gs[1]);
    b.step(&mut pb, &gs[1]);
    assert_eq!(pa, pb);
    a.init(3); // new size: fresh
    assert_eq!(a.state().0, 0);
    assert!(a
        .state()
        .1
        .iter()
        .all(|(_, b)| b.len() == 3 && b.iter().all(|&x| x == 0.0)));
    // Lazily initialised without init.
    let mut c = Adam::<f64>::new(0.01);
    let mut pc = p0.clone();
    c.step(&mut pc, &gs[0]);
    let mut d = Adam::<f64>::new(0.01);
    let mut pd = p0.clone();
    d.init(11);
    d.step(&mut pd, &gs[0]);
    assert_eq!(pc, pd);
}

#[test]
fn load_state_errors() {
    let mut a = Adam::<f64>::new(0.01);
    let m = [0.0; 4];
    let v3 = [0.0; 3];
    assert_eq!(
        a.load_state(1, &[("exp_avg", &m)]),
        Err(StateError::Missing("exp_avg_sq"))
    );
    assert_eq!(
        a.load_state(1, &[("exp_avg", &m), ("exp_avg_sq", &v3)]),
        Err(StateError::WrongLength {
            name: "exp_avg_sq",
            expected: 4,
            found: 3
        })
    );
    assert_eq!(
        a.load_state(
            1,
            &[("exp_avg", &m), ("exp_avg_sq", &m), ("momentum_buffer", &m)]
        ),
        Err(StateError::Unknown("momentum_buffer".into()))
    );
    assert!(
        a.state().1.is_empty(),
        "a failed load leaves the optimizer untouched"
    );
    a.load_state(7, &[("exp_avg_sq", &m), ("exp_avg", &m)])
        .unwrap();
    assert_eq!(a.state().0, 7);
    // A stateless optimizer keeps the step count through a later init.
    let mut s = Sgd::<f64>::new(0.1);
    s.load_state(9, &[]).unwrap();
    s.init(4);
    assert_eq!(s.state().0, 9);
}

#[test]
#[should_panic(expected = "parameters but")]
fn step_rejects_mismatched_lengths() {
    let mut s = Sgd::<f32>::new(0.1);
    s.step(&mut [0.0; 3], &[0.0; 2]);
}
