//! Learning-rate schedules (closed forms vs PyTorch's values and its recursive CosineAnnealingLR)
//! and gradient clipping (torch `clip_grad_norm_`).

use kiln::optim::{
    clip_grad_norm, Constant, CosineAnnealing, ExponentialDecay, Schedule, StepDecay,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn step_decay() {
    let s = StepDecay {
        step_size: 2,
        gamma: 0.5,
    };
    let got: Vec<f64> = (0..7).map(|e| s.lr(0.1, e)).collect();
    let want = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125];
    assert!(got.iter().zip(want).all(|(a, b)| close(*a, b)), "{got:?}");
    // torch StepLR(step_size=30, gamma=0.1), base 0.05: 0.05 for 0..30, 0.005 for 30..60, ...
    let s = StepDecay {
        step_size: 30,
        gamma: 0.1,
    };
    assert!(
        close(s.lr(0.05, 29), 0.05)
            && close(s.lr(0.05, 30), 0.005)
            && close(s.lr(0.05, 89), 0.0005)
            && close(s.lr(0.05, 90), 0.00005)
    );
    assert_eq!(
        StepDecay::default(),
        StepDecay {
            step_size: 1,
            gamma: 0.1
        }
    );
}

#[test]
fn exponential_decay_and_constant() {
    let s = ExponentialDecay { gamma: 0.9 };
    for e in 0..10 {
        assert!(close(s.lr(0.2, e), 0.2 * 0.9f64.powi(e as i32)));
    }
    // Recursive form lr_e = γ·lr_{e−1}.
    let mut lr = 0.2;
    for e in 1..50 {
        lr *= 0.9;
        assert!(close(s.lr(0.2, e), lr));
    }
    assert_eq!(Constant.lr(0.3, 1234), 0.3);
    // Closures are schedules too.
    let warmup = |base: f64, e: usize| base * ((e + 1) as f64 / 5.0).min(1.0);
    assert!(close(warmup.lr(1.0, 0), 0.2) && close(warmup.lr(1.0, 9), 1.0));
}

/// torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (the recursive, chainable form).
fn torch_cosine(base: f64, eta_min: f64, t_max: usize, epochs: usize) -> Vec<f64> {
    let pi = std::f64::consts::PI;
    let t = t_max as f64;
    let mut lrs = vec![base];
    for e in 1..epochs {
        let lr = *lrs.last().unwrap();
        let next = if (e as i64 - 1 - t_max as i64).rem_euclid(2 * t_max as i64) == 0 {
            lr + (base - eta_min) * (1.0 - (pi / t).cos()) / 2.0
        } else {
            (1.0 + (pi * e as f64 / t).cos()) / (1.0 + (pi * (e as f64 - 1.0) / t).cos())
                * (lr - eta_min)
                + eta_min
        };
        lrs.push(next);
    }
    lrs
}

#[test]
fn cosine_annealing_matches_torch_recursion() {
    let s = CosineAnnealing {
        t_max: 7,
        eta_min: 0.001,
    };
    let torch = torch_cosine(0.1, 0.001, 7, 30);
    for (e, want) in torch.iter().enumerate() {
        let got = s.lr(0.1, e);
        assert!((got - want).abs() < 1e-12, "epoch {e}: {got} vs {want}");
    }
    let s = CosineAnnealing {
        t_max: 10,
        eta_min: 0.0,
    };
    assert!(close(s.lr(0.1, 0), 0.1));
    assert!(close(s.lr(0.1, 5), 0.05));
    assert!(s.lr(0.1, 10).abs() < 1e-15);
    assert_eq!(
        CosineAnnealing {
            t_max: 0,
            eta_min: 0.0
        }
        .lr(0.1, 3),
        0.1
    );
}

#[test]
fn clip_grad_norm_scales_like_torch() {
    let mut g = [3.0f32, 4.0, 0.0];
    let norm = clip_grad_norm(&mut g, 1.0);
    assert_eq!(norm, 5.0);
    let c = 1.0 / (5.0 + 1e-6);
    assert_eq!(g, [(3.0 * c) as f32, (4.0 * c) as f32, 0.0]);
    // Below the threshold: untouched.
    let mut g = [3.0f64, 4.0];
    assert_eq!(clip_grad_norm(&mut g, 10.0), 5.0);
    assert_eq!(g, [3.0, 4.0]);
    // The norm is accumulated in f64: large f32 values do not overflow.
    let mut g = [3e20f32, 4e20];
    let norm = clip_grad_norm(&mut g, 5.0);
    assert!((norm as f64 - 5e20).abs() / 5e20 < 1e-6);
    assert!((g[0] as f64 - 3.0).abs() < 1e-5 && (g[1] as f64 - 4.0).abs() < 1e-5);
    // Many small values, clipped norm ≈ max_norm.
    let mut g: Vec<f64> = (0..1000).map(|i| ((i % 7) as f64 - 3.0) * 0.1).collect();
    let before = clip_grad_norm(&mut g, 0.5);
    let after = g.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(before > 0.5 && (after - 0.5 * before / (before + 1e-6)).abs() < 1e-12);
    let mut empty: [f32; 0] = [];
    assert_eq!(clip_grad_norm(&mut empty, 1.0), 0.0);
}
