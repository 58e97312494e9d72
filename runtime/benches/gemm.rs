//! f32 GEMM throughput on the workload shapes, per kernel family, against `matrixmultiply`.
//!
//! Throughput is reported in "elements" = FLOPs (2·m·n·k), so criterion's `Gelem/s` is GFLOP/s.
//! Run pinned: `taskset -c 1 cargo bench -p kiln --bench gemm`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kiln::kernels::{self, Isa};

type Gemm = fn(usize, usize, usize, &[f32], &[f32], &mut [f32], bool);

/// `(label, product, m, n, k)`.
const CASES: [(&str, &str, usize, usize, usize); 12] = [
    ("fwd", "nn", 64, 32, 784),
    ("dW", "nt", 64, 784, 32),
    ("dX", "tn", 784, 32, 64),
    ("fwd", "nn", 64, 32, 64),
    ("dW", "nt", 64, 64, 32),
    ("dX", "tn", 64, 32, 64),
    ("fwd", "nn", 10, 32, 64),
    ("matvec", "nn", 64, 1, 784),
    ("tiny", "nn", 10, 1, 8),
    ("W1b", "nn", 10, 1024, 8),
    ("conv1", "nn", 32, 900, 27),
    ("conv2", "nn", 64, 169, 288),
];

fn families() -> Vec<Isa> {
    let detected = kernels::isa();
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut v = vec![Isa::Portable];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            v.push(Isa::Avx2);
        }
        if is_x86_feature_detected!("avx512f") {
            v.push(Isa::Avx512);
        }
    }
    kernels::set_isa(detected);
    v
}

/// `C (=) op(A)·op(B)` with matrixmultiply, using explicit strides for the transposes.
fn mm(kind: &str, m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    // Column-major: element (i, j) at i*rs + j*cs.
    let (rsa, csa) = if kind == "tn" { (k, 1) } else { (1, m) };
    let (rsb, csb) = if kind == "nt" { (n, 1) } else { (1, k) };
    // SAFETY: the strides describe in-bounds m×k, k×n and m×n views of the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            0.0,
            c.as_mut_ptr(),
            1,
            m as isize,
        )
    }
}

fn bench(cr: &mut Criterion) {
    let fams = families();
    let detected = kernels::isa();
    for (label, kind, m, n, k) in CASES {
        let name = format!("{label}_{kind}_{m}x{n}x{k}");
        let mut g = cr.benchmark_group(&name);
        g.throughput(Throughput::Elements((2 * m * n * k) as u64));
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_millis(1500));
        g.sample_size(30);
        let a: Vec<f32> = (0..m * k).map(|i| (i % 13) as f32 * 0.1 - 0.6).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32 * 0.2 - 0.6).collect();
        let mut c = vec![0.0f32; m * n];
        let f: Gemm = match kind {
            "nn" => kernels::f32::gemm_nn,
            "nt" => kernels::f32::gemm_nt,
            _ => kernels::f32::gemm_tn,
        };
        for &fam in &fams {
            kernels::set_isa(fam);
            g.bench_function(BenchmarkId::new("kiln", format!("{fam:?}")), |bch| {
                bch.iter(|| {
                    f(
                        black_box(m),
                        black_box(n),
                        black_box(k),
                        black_box(&a),
                        black_box(&b),
                        black_box(&mut c),
                        false,
                    )
                })
            });
        }
        kernels::set_isa(detected);
        g.bench_function(BenchmarkId::new("matrixmultiply", "sgemm"), |bch| {
            bch.iter(|| {
                mm(
                    kind,
                    black_box(m),
                    black_box(n),
                    black_box(k),
                    &a,
                    &b,
                    &mut c,
                )
            })
        });
        g.finish();
    }
}

/// The W1 layer products with compile-time dims, as a generated network calls them (the small
/// path inlines and specialises); whole 8→10→5→1 forward of one sample, products only.
fn bench_w1_const(cr: &mut Criterion) {
    let w1 = [0.1f32; 80];
    let w2 = [0.2f32; 50];
    let w3 = [0.3f32; 5];
    let x = [0.5f32; 8];
    let (mut h1, mut h2, mut y) = ([0.0f32; 10], [0.0f32; 5], [0.0f32; 1]);
    let mut g = cr.benchmark_group("w1_const_dims");
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(1500));
    g.throughput(Throughput::Elements(270));
    g.bench_function("10x8 5x10 1x5 matvecs", |bch| {
        bch.iter(|| {
            kernels::f32::gemm_nn(10, 1, 8, black_box(&w1), black_box(&x), &mut h1, false);
            kernels::f32::gemm_nn(5, 1, 10, black_box(&w2), &h1, &mut h2, false);
            kernels::f32::gemm_nn(1, 1, 5, black_box(&w3), &h2, &mut y, false);
            black_box(&y);
        })
    });
    g.finish();
}

/// The W2i products (784→64→64→10, one sample) with compile-time dims, per kernel family.
fn bench_w2i(cr: &mut Criterion) {
    let w1: Vec<f32> = (0..64 * 784)
        .map(|i| (i % 11) as f32 * 0.01 - 0.05)
        .collect();
    let w2: Vec<f32> = (0..64 * 64).map(|i| (i % 7) as f32 * 0.02 - 0.06).collect();
    let w3: Vec<f32> = (0..10 * 64).map(|i| (i % 5) as f32 * 0.03 - 0.06).collect();
    let x: Vec<f32> = (0..784).map(|i| (i % 3) as f32 * 0.5).collect();
    let (mut h1, mut h2, mut y) = ([0.0f32; 64], [0.0f32; 64], [0.0f32; 10]);
    let mut g = cr.benchmark_group("w2i_const_dims");
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(1500));
    g.throughput(Throughput::Elements(109_824));
    let detected = kernels::isa();
    for fam in families() {
        kernels::set_isa(fam);
        g.bench_function(format!("{fam:?}"), |bch| {
            bch.iter(|| {
                kernels::f32::gemm_nn(64, 1, 784, black_box(&w1), black_box(&x), &mut h1, false);
                kernels::f32::gemm_nn(64, 1, 64, black_box(&w2), &h1, &mut h2, false);
                kernels::f32::gemm_nn(10, 1, 64, black_box(&w3), &h2, &mut y, false);
                black_box(&y);
            })
        });
    }
    kernels::set_isa(detected);
    g.finish();
}

criterion_group!(benches, bench, bench_w1_const, bench_w2i);
criterion_main!(benches);
