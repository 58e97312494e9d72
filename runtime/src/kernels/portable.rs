//! Portable (safe, target-independent) kernels, generic over `f32` and `f64`.
//!
//! Two flavours per product:
//! * `small_*`: plain loops without tiling, `#[inline(always)]` so that call sites with
//!   compile-time `m` and `k` get fully specialised code. Used for tiny products.
//! * `nn`/`nt`/`tn`: register-tiled loops that LLVM auto-vectorises for the baseline target.
//!   The only kernels on non-x86 targets and for `f64`.
//!
//! Every function expects lengths already checked by the public entry points (they still index
//! safely, so a violated precondition panics rather than misbehaves).

macro_rules! portable_impl {
    ($t:ident) => {
        pub(crate) mod $t {
            /// Rows per register tile.
            const MR: usize = 8;
            /// Columns per register tile.
            const NR: usize = 4;

            /// Zeroes `C` unless accumulating; returns `true` when there is no product left to add
            /// (an empty `C`, or `k == 0`).
            #[inline(always)]
            fn prologue(m: usize, n: usize, k: usize, c: &mut [$t], acc: bool) -> bool {
                if !acc {
                    c[..m * n].fill(0.0);
                }
                m == 0 || n == 0 || k == 0
            }

            /// Untiled `C[m×n] (+)= A[m×k] · B(k×n)` where `B(p, j) = b[p*b_ps + j*b_js]`,
            /// written as column axpys (vectorisable along `i`).
            #[inline(always)]
            fn small_strided(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                b_ps: usize,
                b_js: usize,
                c: &mut [$t],
                acc: bool,
            ) {
                if prologue(m, n, k, c, acc) {
                    return;
                }
                for (j, cj) in c[..m * n].chunks_exact_mut(m).enumerate() {
                    for (p, ap) in a[..m * k].chunks_exact(m).enumerate() {
                        let bv = b[p * b_ps + j * b_js];
                        for (ci, ai) in cj.iter_mut().zip(ap) {
                            *ci += ai * bv;
                        }
                    }
                }
            }

            /// Untiled `C[m×n] (+)= A[m×k] · B[k×n]`.
            #[inline(always)]
            pub(crate) fn small_nn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                small_strided(m, n, k, a, b, 1, k, c, acc)
            }

            /// Untiled `C[m×n] (+)= A[m×k] · B[n×k]ᵀ`.
            #[inline(always)]
            pub(crate) fn small_nt(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                small_strided(m, n, k, a, b, n, 1, c, acc)
            }

            /// Untiled `C[m×n] (+)= A[k×m]ᵀ · B[k×n]` as plain dot products.
            #[inline(always)]
            pub(crate) fn small_tn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                if prologue(m, n, k, c, acc) {
                    return;
                }
                for (j, cj) in c[..m * n].chunks_exact_mut(m).enumerate() {
                    let bj = &b[j * k..][..k];
                    for (ci, ai) in cj.iter_mut().zip(a[..m * k].chunks_exact(k)) {
                        let mut s: $t = 0.0;
                        for (x, y) in ai.iter().zip(bj) {
                            s += x * y;
                        }
                        *ci += s;
                    }
                }
            }

            /// Register tile: `C(0..mr, 0..NRT) += Σ_p A(0..mr, p) · B(p, 0..NRT)` with
            /// `A(i, p) = a[i + p*m]`, `B(p, j) = b[p*b_ps + j*b_js]`, `C(i, j) = c[i + j*m]`.
            #[inline(always)]
            fn tile<const NRT: usize>(
                mr: usize,
                m: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                b_ps: usize,
                b_js: usize,
                c: &mut [$t],
            ) {
                let mut s = [[0.0 as $t; MR]; NRT];
                let mut step = |av: &[$t; MR], p: usize| {
                    for (j, sj) in s.iter_mut().enumerate() {
                        let bv = b[p * b_ps + j * b_js];
                        for (x, y) in sj.iter_mut().zip(av) {
                            *x += y * bv;
                        }
                    }
                };
                if mr == MR {
                    for p in 0..k {
                        let av: &[$t; MR] = a[p * m..][..MR].try_into().unwrap();
                        step(av, p);
                    }
                } else {
                    for p in 0..k {
                        let mut av = [0.0 as $t; MR];
                        av[..mr].copy_from_slice(&a[p * m..][..mr]);
                        step(&av, p);
                    }
                }
                for (j, sj) in s.iter().enumerate() {
                    for (x, y) in c[j * m..][..mr].iter_mut().zip(sj) {
                        *x += y;
                    }
                }
            }

            /// Register-tiled `C (+)= A · B(k×n)` with `B(p, j) = b[p*b_ps + j*b_js]`.
            fn strided(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                b_ps: usize,
                b_js: usize,
                c: &mut [$t],
                acc: bool,
            ) {
                if prologue(m, n, k, c, acc) {
                    return;
                }
                for j0 in (0..n).step_by(NR) {
                    let bj = &b[j0 * b_js..];
                    for i0 in (0..m).step_by(MR) {
                        let mr = MR.min(m - i0);
                        let (ai, cij) = (&a[i0..], &mut c[i0 + j0 * m..]);
                        match n - j0 {
                            1 => tile::<1>(mr, m, k, ai, bj, b_ps, b_js, cij),
                            2 => tile::<2>(mr, m, k, ai, bj, b_ps, b_js, cij),
                            3 => tile::<3>(mr, m, k, ai, bj, b_ps, b_js, cij),
                            _ => tile::<NR>(mr, m, k, ai, bj, b_ps, b_js, cij),
                        }
                    }
                }
            }

            /// Tiled `C[m×n] (+)= A[m×k] · B[k×n]`.
            pub(crate) fn nn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                strided(m, n, k, a, b, 1, k, c, acc)
            }

            /// Tiled `C[m×n] (+)= A[m×k] · B[n×k]ᵀ`.
            pub(crate) fn nt(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                strided(m, n, k, a, b, n, 1, c, acc)
            }

            /// Tiled `C[m×n] (+)= A[k×m]ᵀ · B[k×n]`: 4×4 blocks of dot products over the
            /// contiguous columns of `A` and `B` (16 independent accumulators).
            pub(crate) fn tn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                const T: usize = 4;
                if prologue(m, n, k, c, acc) {
                    return;
                }
                fn col(x: &[$t], i: usize, k: usize) -> &[$t] {
                    &x[i * k..][..k]
                }
                let (mb, nb) = (m - m % T, n - n % T);
                for j0 in (0..nb).step_by(T) {
                    let bs = [
                        col(b, j0, k),
                        col(b, j0 + 1, k),
                        col(b, j0 + 2, k),
                        col(b, j0 + 3, k),
                    ];
                    for i0 in (0..mb).step_by(T) {
                        let as_ = [
                            col(a, i0, k),
                            col(a, i0 + 1, k),
                            col(a, i0 + 2, k),
                            col(a, i0 + 3, k),
                        ];
                        let mut s = [[0.0 as $t; T]; T];
                        for p in 0..k {
                            let av = [as_[0][p], as_[1][p], as_[2][p], as_[3][p]];
                            for (sj, bj) in s.iter_mut().zip(&bs) {
                                let bv = bj[p];
                                for (x, y) in sj.iter_mut().zip(&av) {
                                    *x += y * bv;
                                }
                            }
                        }
                        for (jj, sj) in s.iter().enumerate() {
                            let cj = &mut c[i0 + (j0 + jj) * m..][..T];
                            for (x, y) in cj.iter_mut().zip(sj) {
                                *x += y;
                            }
                        }
                    }
                }
                // Remaining rows (all columns) and remaining columns (block rows only).
                let dot = |i: usize, j: usize| -> $t {
                    col(a, i, k)
                        .iter()
                        .zip(col(b, j, k))
                        .map(|(x, y)| x * y)
                        .sum()
                };
                for j in 0..n {
                    let rows = if j < nb { mb..m } else { 0..m };
                    for i in rows {
                        c[i + j * m] += dot(i, j);
                    }
                }
            }
        }
    };
}

portable_impl!(f32);
portable_impl!(f64);
