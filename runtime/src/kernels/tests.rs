//! Kernel tests: every implementation (public entry, portable tiled, portable untiled, AVX2,
//! AVX-512 when the CPU has them) against a naive f64 reference and against nalgebra.

use super::portable;

/// Which product.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `A[m×k] · B[k×n]`
    Nn,
    /// `A[m×k] · B[n×k]ᵀ`
    Nt,
    /// `A[k×m]ᵀ · B[k×n]`
    Tn,
}
const KINDS: [Kind; 3] = [Kind::Nn, Kind::Nt, Kind::Tn];

/// Naive reference in f64: returns `(C, Σ|a·b| + |c0|)` per element (the error scale).
fn reference(
    kind: Kind,
    (m, n, k): (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    c0: &[f64],
    acc: bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut c = vec![0.0; m * n];
    let mut scale = vec![0.0; m * n];
    for j in 0..n {
        for i in 0..m {
            let (mut s, mut t) = if acc {
                (c0[i + j * m], c0[i + j * m].abs())
            } else {
                (0.0, 0.0)
            };
            for p in 0..k {
                let (x, y) = match kind {
                    Kind::Nn => (a[i + p * m], b[p + j * k]),
                    Kind::Nt => (a[i + p * m], b[j + p * n]),
                    Kind::Tn => (a[p + i * k], b[p + j * k]),
                };
                s += x * y;
                t += (x * y).abs();
            }
            c[i + j * m] = s;
            scale[i + j * m] = t;
        }
    }
    (c, scale)
}

/// Deterministic values in [-1, 1).
fn data(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

macro_rules! harness {
    ($t:ident, $tol:expr, $simd:path) => {
        mod $t {
            use super::{data, portable, reference, Kind};

            pub(super) type Gemm = fn(usize, usize, usize, &[$t], &[$t], &mut [$t], bool);

            /// Checks `f` on one size against the reference; slices carry `extra` spare elements
            /// and C's spare tail must stay untouched.
            pub(super) fn check(
                name: &str,
                kind: Kind,
                f: Gemm,
                dims: (usize, usize, usize),
                acc: bool,
            ) {
                let (m, n, k) = dims;
                let extra = 3;
                let seed = (m * 1_000_003 + n * 1009 + k) as u64;
                let a = data(m * k + extra, seed);
                let b = data(k * n + extra, seed + 1);
                let c0 = data(m * n + extra, seed + 2);
                let (want, scale) = reference(kind, dims, &a, &b, &c0, acc);
                let cast = |v: &[f64]| v.iter().map(|&x| x as $t).collect::<Vec<$t>>();
                let (a, b, mut c) = (cast(&a), cast(&b), cast(&c0));
                f(m, n, k, &a, &b, &mut c, acc);
                for idx in 0..m * n {
                    let err = (c[idx] as f64 - want[idx]).abs();
                    assert!(
                        err <= $tol * (scale[idx] + 1e-30),
                        "{name} {kind:?} {dims:?} acc={acc}: C[{idx}] = {} want {} (err {err:e})",
                        c[idx],
                        want[idx],
                    );
                }
                for idx in m * n..c.len() {
                    assert_eq!(
                        c[idx], c0[idx] as $t,
                        "{name} {kind:?} {dims:?}: wrote past C"
                    );
                }
            }

            /// All implementations of one product available on this machine.
            pub(super) fn impls(kind: Kind) -> Vec<(&'static str, Gemm)> {
                let mut v: Vec<(&'static str, Gemm)> = match kind {
                    Kind::Nn => vec![
                        ("public", crate::kernels::$t::gemm_nn),
                        ("portable", portable::$t::nn),
                        ("small", |m, n, k, a, b, c, acc| {
                            portable::$t::small_nn(m, n, k, a, b, c, acc)
                        }),
                    ],
                    Kind::Nt => vec![
                        ("public", crate::kernels::$t::gemm_nt),
                        ("portable", portable::$t::nt),
                        ("small", |m, n, k, a, b, c, acc| {
                            portable::$t::small_nt(m, n, k, a, b, c, acc)
                        }),
                    ],
                    Kind::Tn => vec![
                        ("public", crate::kernels::$t::gemm_tn),
                        ("portable", portable::$t::tn),
                        ("small", |m, n, k, a, b, c, acc| {
                            portable::$t::small_tn(m, n, k, a, b, c, acc)
                        }),
                    ],
                };
                $simd(kind, &mut v);
                v
            }
        }
    };
}

harness!(f32, 2e-6, super::simd_impls);
harness!(f64, 1e-14, super::no_simd);

/// f64 has no SIMD kernels.
fn no_simd(_: Kind, _: &mut [(&'static str, f64::Gemm)]) {}

/// Adds the SIMD f32 kernels the CPU supports.
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables, clippy::ptr_arg))]
fn simd_impls(kind: Kind, v: &mut Vec<(&'static str, f32::Gemm)>) {
    #[cfg(target_arch = "x86_64")]
    simd_list::add(kind, v);
}

#[cfg(target_arch = "x86_64")]
mod simd_list {
    use super::{f32::Gemm, Kind};
    use crate::kernels::{avx2, avx512};

    macro_rules! push {
        ($v:ident, $isa:ident, $name:literal, $kind:ident) => {{
            // SAFETY (each closure): only listed after the CPU features were detected.
            let f: Gemm = match $kind {
                Kind::Nn => |m, n, k, a, b, c, acc| unsafe { $isa::nn(m, n, k, a, b, c, acc) },
                Kind::Nt => |m, n, k, a, b, c, acc| unsafe { $isa::nt(m, n, k, a, b, c, acc) },
                Kind::Tn => |m, n, k, a, b, c, acc| unsafe { $isa::tn(m, n, k, a, b, c, acc) },
            };
            $v.push(($name, f));
        }};
    }

    pub(super) fn add(kind: Kind, v: &mut Vec<(&'static str, Gemm)>) {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            push!(v, avx2, "avx2", kind);
        } else {
            eprintln!("note: AVX2+FMA not available, AVX2 kernels untested");
        }
        if is_x86_feature_detected!("avx512f") {
            push!(v, avx512, "avx512", kind);
        } else {
            eprintln!("note: AVX-512F not available, AVX-512 kernels untested");
        }
    }
}

/// Sizes exercised by every implementation: each dim swept over 1..=37 with the others fixed,
/// a pseudo-random sample of triples, empty products, and the real workload sizes.
fn sizes() -> Vec<(usize, usize, usize)> {
    let mut s = vec![];
    for d in 1..=37 {
        s.extend([(d, 13, 7), (5, d, 19), (33, 9, d), (d, 1, 11), (17, d, 1)]);
    }
    let r = data(3 * 120, 42);
    for t in r.chunks_exact(3) {
        let d = |x: f64| 1 + ((x + 1.0) * 18.5) as usize % 37;
        s.push((d(t[0]), d(t[1]), d(t[2])));
    }
    s.extend([(0, 5, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0), (1, 1, 1)]);
    s
}

/// The shapes the networks use (nn/nt/tn share this list; all are valid for every kind).
const REAL: [(usize, usize, usize); 12] = [
    (64, 32, 784),
    (64, 784, 32),
    (784, 32, 64),
    (64, 32, 64),
    (10, 32, 64),
    (64, 32, 10),
    (64, 1, 784),
    (10, 1, 8),
    (5, 1, 10),
    (1, 1, 5),
    (10, 1024, 8),
    (33, 70, 600),
];

macro_rules! sweep {
    ($name:ident, $t:ident, $sizes:expr) => {
        #[test]
        fn $name() {
            for kind in KINDS {
                for (name, f) in $t::impls(kind) {
                    for dims in $sizes {
                        for acc in [false, true] {
                            $t::check(name, kind, f, dims, acc);
                        }
                    }
                }
            }
        }
    };
}

sweep!(f32_odd_sizes, f32, sizes());
sweep!(f64_odd_sizes, f64, sizes());
sweep!(f32_real_sizes, f32, REAL);
sweep!(f64_real_sizes, f64, REAL);

/// Few rows, many columns (W1b's layers are 10×1024×8, 5×1024×10, 1×1024×5): the `m ≤ V`
/// column-walking kernel, its `n % NR` tail and the exact-width edge stores, for every `m`
/// around both vector widths and every small `k`.
fn narrow_sizes() -> Vec<(usize, usize, usize)> {
    let mut s = vec![];
    for m in 1..=17 {
        for k in 1..=12 {
            for n in [2, 23, 24, 25, 37, 100] {
                s.push((m, n, k));
            }
        }
        for (n, k) in [(1024, 8), (1100, 5), (1099, 12), (1031, 1)] {
            s.push((m, n, k));
        }
    }
    s
}

sweep!(f32_narrow_sizes, f32, narrow_sizes());

#[test]
fn large_k_blocks_and_conv_sizes() {
    // k-blocking (A block limit) and tn strip packing over several KC blocks.
    for dims in [(32, 900, 27), (64, 169, 288), (128, 32, 2304), (40, 7, 600)] {
        for kind in KINDS {
            for (name, f) in f32::impls(kind) {
                if name != "small" {
                    f32::check(name, kind, f, dims, true);
                }
            }
        }
    }
}

#[test]
fn matches_nalgebra() {
    use nalgebra::DMatrix;
    for (m, n, k) in [(64, 32, 784), (10, 1, 8), (37, 29, 41), (784, 32, 64)] {
        let a = data(m * k, 7).iter().map(|&x| x as f32).collect::<Vec<_>>();
        let b = data(k * n, 8).iter().map(|&x| x as f32).collect::<Vec<_>>();
        let mut c = vec![0.0f32; m * n];
        let close = |c: &[f32], want: &DMatrix<f32>| {
            let err = want
                .iter()
                .zip(c)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(err < 1e-4 * (k as f32).sqrt(), "{m}×{n}×{k}: err {err}");
        };
        super::f32::gemm_nn(m, n, k, &a, &b, &mut c, false);
        let want = DMatrix::from_column_slice(m, k, &a) * DMatrix::from_column_slice(k, n, &b);
        close(&c, &want);
        super::f32::gemm_nt(m, n, k, &a, &b, &mut c, false);
        let want =
            DMatrix::from_column_slice(m, k, &a) * DMatrix::from_column_slice(n, k, &b).transpose();
        close(&c, &want);
        super::f32::gemm_tn(m, n, k, &a, &b, &mut c, false);
        let want =
            DMatrix::from_column_slice(k, m, &a).transpose() * DMatrix::from_column_slice(k, n, &b);
        close(&c, &want);
    }
}

#[test]
#[should_panic(expected = "B has")]
fn short_slice_panics() {
    let mut c = [0.0f32; 4];
    super::f32::gemm_nn(2, 2, 3, &[0.0; 6], &[0.0; 5], &mut c, false);
}

#[test]
fn isa_is_detected() {
    let isa = super::isa();
    assert_eq!(isa, super::isa());
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        assert_eq!(isa, super::Isa::Avx512);
    }
}

#[test]
fn matvec_any_alignment() {
    // The mat-vec shifts its row blocks to vector-aligned addresses when `m` is a multiple of
    // the vector width: exercise every misalignment of A (and of c) for each implementation.
    for (m, k) in [(64, 9), (80, 33), (128, 3), (144, 17), (96, 1)] {
        let a0 = data(m * k + 16, 3);
        let b0 = data(k + 16, 4);
        let c0 = data(m + 16, 5);
        for off in 0..16 {
            let (a, b, c_init) = (&a0[off..off + m * k], &b0[..k], &c0[off..off + m]);
            for acc in [false, true] {
                let (want, scale) = reference(Kind::Nn, (m, 1, k), a, b, c_init, acc);
                for (name, f) in f32::impls(Kind::Nn) {
                    let af: Vec<f32> = a0.iter().map(|&x| x as f32).collect();
                    let bf: Vec<f32> = b.iter().map(|&x| x as f32).collect();
                    let mut cf: Vec<f32> = c0.iter().map(|&x| x as f32).collect();
                    f(m, 1, k, &af[off..], &bf, &mut cf[off..], acc);
                    for i in 0..m {
                        let err = (cf[off + i] as f64 - want[i]).abs();
                        assert!(err <= 2e-6 * scale[i], "{name} {m}×{k} off {off} row {i}");
                    }
                    for i in (0..off).chain(off + m..cf.len()) {
                        assert_eq!(
                            cf[i], c0[i] as f32,
                            "{name} {m}×{k} off {off}: wrote C[{i}]"
                        );
                    }
                }
            }
        }
    }
}
