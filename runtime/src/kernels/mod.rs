//! Allocation-free matrix products on column-major, contiguous storage.
//!
//! All matrices are column-major with leading dimension = number of rows; slices may be longer
//! than needed (only the first `rows·cols` elements are used). With `accumulate == false` the
//! product overwrites `C`, otherwise it is added to `C`. Any dimension may be 0 (an empty sum
//! leaves `C` zeroed, or unchanged when accumulating).
//!
//! * [`f32::gemm_nn`] etc. dispatch at run time to AVX-512F, AVX2+FMA or portable code
//!   (`is_x86_feature_detected!`, decided once and cached in an atomic; see [`isa`]; without
//!   the `std` feature, the features the build enables: `-C target-feature=+avx2,+fma`). Tiny
//!   products (`m·n·k ≤ 256`) skip dispatch and run plain `#[inline(always)]` loops, which
//!   LLVM fully specialises when the call site has constant dims (a generated network does).
//! * [`f64::gemm_nn`] etc. use the portable register-tiled kernels (used for gradient checks).
//!
//! SIMD design (`simd.rs`, instantiated by `avx512.rs` and `avx2.rs`):
//! * `nn`/`nt`: no packing. A `2V × NR` register tile (AVX-512 32×12, AVX2 16×6) walks `k`,
//!   loading the contiguous `A` column strip and broadcasting `B` entries, whose strides differ
//!   between `nn` and `nt`; edges use lane masks. `k` is split only when `A` exceeds 256 KiB.
//! * `n == 1` (mat-vec): 8 independent accumulator chains, software prefetch when `A` streams
//!   from L2.
//! * `tn`: `Aᵀ` strips (`2V × 256`) are packed with 8×8 register transposes into an
//!   uninitialised stack buffer (≤ 32 KiB), then the same tile kernel runs.
//!
//! No kernel ever allocates (see `tests/kernels_alloc.rs`).

// BLAS-style kernels take dims, strides and operands as separate arguments.
#![allow(clippy::too_many_arguments)]

#[cfg(target_arch = "x86_64")]
#[macro_use]
mod simd;
#[cfg(target_arch = "x86_64")]
#[macro_use]
mod matvec;
#[macro_use]
pub mod step;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;
#[cfg(test)]
mod tests;

use core::sync::atomic::{AtomicU8, Ordering};

/// Products with at most this many multiply-adds use the inlinable untiled loops.
const SMALL: usize = 256;

/// Checks that the operand slices hold `A` (`m·k`), `B` (`k·n`) and `C` (`m·n`) elements.
///
/// # Panics
/// When a slice is too short or a size overflows `usize`.
#[inline]
#[track_caller]
pub(crate) fn check(m: usize, n: usize, k: usize, a: usize, b: usize, c: usize) {
    let prod = |x: usize, y: usize| x.checked_mul(y).expect("gemm: size overflow");
    assert!(a >= prod(m, k), "gemm: A has {a} elements, needs {m}×{k}");
    assert!(b >= prod(k, n), "gemm: B has {b} elements, needs {k}×{n}");
    assert!(c >= prod(m, n), "gemm: C has {c} elements, needs {m}×{n}");
}

/// The f32 kernel family in use on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Safe auto-vectorised loops (any target).
    Portable,
    /// AVX2 + FMA, 256-bit vectors (x86-64).
    Avx2,
    /// AVX-512F, 512-bit vectors (x86-64).
    Avx512,
}

/// 0 = not yet detected, otherwise `Isa as u8 + 1`.
static ISA: AtomicU8 = AtomicU8::new(0);

/// The kernel family selected for this CPU (detected on first use, then cached; without `std`,
/// chosen from the target features the build enables).
#[inline]
pub fn isa() -> Isa {
    match ISA.load(Ordering::Relaxed) {
        1 => Isa::Portable,
        2 => Isa::Avx2,
        3 => Isa::Avx512,
        _ => detect(),
    }
}

/// Forces the f32 kernel family (benchmarks and tests; not for production code).
///
/// # Panics
/// When the CPU lacks the features `isa` needs.
#[doc(hidden)]
pub fn set_isa(isa: Isa) {
    assert!(
        supported(isa),
        "kernels::set_isa: {isa:?} is not supported by this CPU"
    );
    ISA.store(isa as u8 + 1, Ordering::Relaxed);
}

/// Whether this CPU runs `isa`'s kernels: detected at run time with `std`; without it, what the
/// build enables (`-C target-feature=+avx2,+fma` or `-C target-cpu=...`).
fn supported(isa: Isa) -> bool {
    match isa {
        Isa::Portable => true,
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        Isa::Avx512 => is_x86_feature_detected!("avx512f"),
        #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
        Isa::Avx2 => cfg!(all(target_feature = "avx2", target_feature = "fma")),
        #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
        Isa::Avx512 => cfg!(target_feature = "avx512f"),
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2 | Isa::Avx512 => false,
    }
}

#[cold]
fn detect() -> Isa {
    let isa = [Isa::Avx512, Isa::Avx2]
        .into_iter()
        .find(|&isa| supported(isa))
        .unwrap_or(Isa::Portable);
    ISA.store(isa as u8 + 1, Ordering::Relaxed);
    isa
}

macro_rules! dispatch {
    ($name:ident) => {
        /// Runtime-dispatched f32 product (see the public wrapper of the same name).
        #[inline(never)]
        fn $name(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], acc: bool) {
            match isa() {
                // SAFETY: `isa()` only reports features the CPU has.
                #[cfg(target_arch = "x86_64")]
                super::Isa::Avx512 => unsafe { super::avx512::$name(m, n, k, a, b, c, acc) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                super::Isa::Avx2 => unsafe { super::avx2::$name(m, n, k, a, b, c, acc) },
                _ => super::portable::f32::$name(m, n, k, a, b, c, acc),
            }
        }
    };
}

/// Single-precision products (SIMD, runtime-dispatched).
pub mod f32 {
    use super::{check, isa, SMALL};

    dispatch!(nn);
    dispatch!(nt);
    dispatch!(tn);

    /// `C[m×n] = A[m×k] · B[k×n]`, or `C += A·B` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `m·k`, `k·n` or `m·n`.
    #[inline]
    pub fn gemm_nn(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            super::portable::f32::small_nn(m, n, k, a, b, c, accumulate)
        } else {
            nn(m, n, k, a, b, c, accumulate)
        }
    }

    /// `C[m×n] = A[m×k] · B[n×k]ᵀ`, or `C += A·Bᵀ` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `m·k`, `n·k` or `m·n`.
    #[inline]
    pub fn gemm_nt(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            super::portable::f32::small_nt(m, n, k, a, b, c, accumulate)
        } else {
            nt(m, n, k, a, b, c, accumulate)
        }
    }

    /// `C[m×n] = A[k×m]ᵀ · B[k×n]`, or `C += Aᵀ·B` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `k·m`, `k·n` or `m·n`.
    #[inline]
    pub fn gemm_tn(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            super::portable::f32::small_tn(m, n, k, a, b, c, accumulate)
        } else {
            tn(m, n, k, a, b, c, accumulate)
        }
    }
}

/// Double-precision products (portable register-tiled kernels).
pub mod f64 {
    use super::{check, SMALL};
    use crate::kernels::portable::f64 as p;

    /// `C[m×n] = A[m×k] · B[k×n]`, or `C += A·B` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `m·k`, `k·n` or `m·n`.
    #[inline]
    pub fn gemm_nn(
        m: usize,
        n: usize,
        k: usize,
        a: &[f64],
        b: &[f64],
        c: &mut [f64],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            p::small_nn(m, n, k, a, b, c, accumulate)
        } else {
            p::nn(m, n, k, a, b, c, accumulate)
        }
    }

    /// `C[m×n] = A[m×k] · B[n×k]ᵀ`, or `C += A·Bᵀ` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `m·k`, `n·k` or `m·n`.
    #[inline]
    pub fn gemm_nt(
        m: usize,
        n: usize,
        k: usize,
        a: &[f64],
        b: &[f64],
        c: &mut [f64],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            p::small_nt(m, n, k, a, b, c, accumulate)
        } else {
            p::nt(m, n, k, a, b, c, accumulate)
        }
    }

    /// `C[m×n] = A[k×m]ᵀ · B[k×n]`, or `C += Aᵀ·B` when `accumulate`.
    ///
    /// # Panics
    /// When `a`, `b` or `c` is shorter than `k·m`, `k·n` or `m·n`.
    #[inline]
    pub fn gemm_tn(
        m: usize,
        n: usize,
        k: usize,
        a: &[f64],
        b: &[f64],
        c: &mut [f64],
        accumulate: bool,
    ) {
        check(m, n, k, a.len(), b.len(), c.len());
        if m * n * k <= SMALL {
            p::small_tn(m, n, k, a, b, c, accumulate)
        } else {
            p::tn(m, n, k, a, b, c, accumulate)
        }
    }
}
