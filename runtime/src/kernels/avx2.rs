//! AVX2+FMA f32 kernels: 16×6 register tiles (12 `ymm` accumulators), `vmaskmov` edges.

use core::arch::x86_64::*;
use core::mem::MaybeUninit;

/// Lanes per vector.
const V: usize = 8;
/// Mat-vec row block, in vectors.
const MV_NV: usize = 8;
/// Mat-vec k-unroll (independent accumulator sets).
const MV_U: usize = 1;
/// Columns per register tile.
const NR: usize = 6;

/// `match nr { w => f::<w>(args) }` for every tile width `w` in `1..=NR`.
macro_rules! tile_widths {
    ($nr:expr, $f:ident($($arg:expr),*)) => {
        match $nr {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            _ => unreachable!(),
        }
    };
}
macro_rules! zero {
    () => {
        _mm256_setzero_ps()
    };
}
macro_rules! ld {
    ($p:expr) => {
        _mm256_loadu_ps($p)
    };
}
macro_rules! st {
    ($p:expr, $v:expr) => {
        _mm256_storeu_ps($p, $v)
    };
}
macro_rules! splat {
    ($x:expr) => {
        _mm256_set1_ps($x)
    };
}
macro_rules! fma {
    ($a:expr, $b:expr, $c:expr) => {
        _mm256_fmadd_ps($a, $b, $c)
    };
}
macro_rules! add {
    ($a:expr, $b:expr) => {
        _mm256_add_ps($a, $b)
    };
}
/// Lane `l` is selected (all ones) when `l < r`.
macro_rules! mask {
    ($r:expr) => {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32($r as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    };
}
/// Lanes selected by `y` but not by `x`.
macro_rules! and_not_mask {
    ($x:expr, $y:expr) => {
        _mm256_andnot_si256($x, $y)
    };
}
macro_rules! ldm {
    ($p:expr, $m:expr) => {
        _mm256_maskload_ps($p, $m)
    };
}
macro_rules! stm {
    ($p:expr, $m:expr, $v:expr) => {
        _mm256_maskstore_ps($p, $m, $v)
    };
}

/// Stores the first `r` lanes (`1 ≤ r ≤ V`) of `v` at `p` with plain stores (see `simd.rs`).
macro_rules! stp {
    ($p:expr, $r:expr, $v:expr) => {{
        let (p, r, v): (*mut f32, usize, __m256) = ($p, $r, $v);
        if r == V {
            _mm256_storeu_ps(p, v);
        } else {
            stp_ymm!(p, 0, r, v);
        }
    }};
}
simd_kernels!("avx2,fma");
simd_matvec!("avx2,fma");
simd_step!("avx2,fma");
