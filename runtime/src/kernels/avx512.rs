//! AVX-512F f32 kernels: 32×12 register tiles (24 `zmm` accumulators), native lane masks.

use core::arch::x86_64::*;
use core::mem::MaybeUninit;

/// Lanes per vector.
const V: usize = 16;
/// Mat-vec row block, in vectors.
const MV_NV: usize = 4;
/// Mat-vec k-unroll (independent accumulator sets).
const MV_U: usize = 2;
/// Columns per register tile.
const NR: usize = 12;

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
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            9 => $f::<9>($($arg),*),
            10 => $f::<10>($($arg),*),
            11 => $f::<11>($($arg),*),
            12 => $f::<12>($($arg),*),
            _ => unreachable!(),
        }
    };
}
macro_rules! zero {
    () => {
        _mm512_setzero_ps()
    };
}
macro_rules! ld {
    ($p:expr) => {
        _mm512_loadu_ps($p)
    };
}
macro_rules! st {
    ($p:expr, $v:expr) => {
        _mm512_storeu_ps($p, $v)
    };
}
macro_rules! splat {
    ($x:expr) => {
        _mm512_set1_ps($x)
    };
}
macro_rules! fma {
    ($a:expr, $b:expr, $c:expr) => {
        _mm512_fmadd_ps($a, $b, $c)
    };
}
macro_rules! add {
    ($a:expr, $b:expr) => {
        _mm512_add_ps($a, $b)
    };
}
macro_rules! mask {
    ($r:expr) => {
        (((1u32 << $r) - 1) as __mmask16)
    };
}
/// Lanes selected by `y` but not by `x`.
macro_rules! and_not_mask {
    ($x:expr, $y:expr) => {
        (!$x & $y)
    };
}
macro_rules! ldm {
    ($p:expr, $m:expr) => {
        _mm512_maskz_loadu_ps($m, $p)
    };
}
macro_rules! stm {
    ($p:expr, $m:expr, $v:expr) => {
        _mm512_mask_storeu_ps($p, $m, $v)
    };
}

/// Stores the first `r` lanes (`1 ≤ r ≤ V`) of `v` at `p` with plain stores (see `simd.rs`).
macro_rules! stp {
    ($p:expr, $r:expr, $v:expr) => {{
        let (p, r, v): (*mut f32, usize, __m512) = ($p, $r, $v);
        if r == V {
            _mm512_storeu_ps(p, v);
        } else {
            let mut y = _mm512_castps512_ps256(v);
            let mut o = 0;
            if r & 8 != 0 {
                _mm256_storeu_ps(p, y);
                y = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
                o = 8;
            }
            stp_ymm!(p, o, r, y);
        }
    }};
}
simd_kernels!("avx512f,avx2,fma");
simd_matvec!("avx512f,avx2,fma");
