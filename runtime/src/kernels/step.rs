//! The gate product of one streaming step of a recurrent cell, input and recurrent sides fused:
//! `z = b + W·x + R·h` for `rows` gate rows, where `W` (`rows × F`) and `R` (`rows × U`) are
//! column-major with their own column strides (the cell's `kernel` and `recurrent_kernel`, or
//! a block of their rows).
//!
//! Together the two matrices are the `[W | R]` a step multiplies by `[x; h]`, and kiln's
//! parameter layout already stores them the way the product wants them: column `c` of `W` (the
//! weights of input `c` into every gate row) is contiguous, so each input is broadcast once and
//! multiplied into a whole column of gate rows. There is therefore no packed copy to keep in
//! step with the parameters: the kernel reads them where they are, after any load or training
//! step, through [`step`](crate::layers::lstm::step) and `step_with` alike.
//!
//! * x86-64 with AVX2 + FMA (or AVX-512, which implies them; Zen 4 runs 512-bit FMAs as two
//!   256-bit halves, so 256-bit vectors lose nothing there): hand-written, because Rust never
//!   contracts `a·b + c` into an FMA and LLVM does not keep a column-by-column accumulation in
//!   registers across the columns. Gate rows go in blocks of up to 12 vectors of 8 lanes whose
//!   accumulators stay in `ymm` registers while every column of `W` and then of `R` is added
//!   (`vbroadcastss` of `xᶜ` or `hᶜ`, one `vfmadd` per vector); small blocks (≤ 4 vectors) keep
//!   two accumulator sets (even and odd columns) so that the FMA latency chain is halved. The
//!   last vector of the last block is read with lane masks and written with exact-width stores.
//! * Everywhere else, and for `f64`: the same blocking in plain loops (`a·b + c`, rounded
//!   twice).
//!
//! Determinism: the two paths add the same terms in the same order except that the SIMD path
//! fuses each multiply-add (one rounding) and, for blocks of at most four vectors, sums even
//! and odd columns apart; they differ in the last bits (well within 1e-6 for the gate sizes of
//! a cell), not bitwise. Each path on its own is deterministic.

use crate::Scalar;

/// One side of the product: the first `x.len()` columns of the column-major matrix `a`, whose
/// column `c` starts at `a[c·stride]`, times the vector `x`.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a, T> {
    /// The matrix (`kernel`, `recurrent_kernel` or the start of a block of their rows).
    pub a: &'a [T],
    /// Distance between the starts of consecutive columns (the full matrix's row count).
    pub stride: usize,
    /// The vector multiplied (`x` or `h`); one column of `a` per value.
    pub x: &'a [T],
}

impl<T> Side<'_, T> {
    /// Whether `a` holds `rows` rows of every column.
    fn fits(&self, rows: usize) -> bool {
        match self.x.len() {
            0 => true,
            cols => (cols - 1)
                .checked_mul(self.stride)
                .and_then(|n| n.checked_add(rows))
                .is_some_and(|n| n <= self.a.len()),
        }
    }
}

/// `z[..rows] = b + W·x + R·h` (`b` zero when `None`): the gate pre-activations of one
/// recurrent step, with `input = (W, x)` and `recurrent = (R, h)`. Allocation-free.
///
/// # Panics
/// When a matrix, the bias or `z` holds fewer than `rows` rows.
#[inline(always)]
pub fn gates<T: Scalar>(
    rows: usize,
    input: Side<'_, T>,
    recurrent: Side<'_, T>,
    bias: Option<&[T]>,
    z: &mut [T],
) {
    assert!(
        input.fits(rows) && recurrent.fits(rows) && bias.is_none_or(|b| b.len() >= rows),
        "step::gates: an operand holds fewer than {rows} rows"
    );
    let z = &mut z[..rows];
    #[cfg(target_arch = "x86_64")]
    if let Some(done) = f32_simd(rows, input, recurrent, bias, z) {
        return done;
    }
    portable(rows, input, recurrent, bias, z);
}

/// The SIMD kernel when `T` is `f32` and the CPU has AVX2 + FMA; `None` otherwise.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn f32_simd<T: Scalar>(
    rows: usize,
    input: Side<'_, T>,
    recurrent: Side<'_, T>,
    bias: Option<&[T]>,
    z: &mut [T],
) -> Option<()> {
    use core::any::TypeId;
    use core::mem::size_of_val;
    let terms = rows * (input.x.len() + recurrent.x.len());
    if terms <= SMALL
        || TypeId::of::<T>() != TypeId::of::<f32>()
        || super::isa() == super::Isa::Portable
    {
        return None;
    }
    let ptr = |s: &[T]| s.as_ptr().cast::<f32>();
    let ops = [input, recurrent].map(|s| super::avx2::StepSide {
        a: ptr(s.a),
        stride: s.stride,
        x: ptr(s.x),
        cols: s.x.len(),
    });
    let b = bias.map_or(core::ptr::null(), ptr);
    debug_assert_eq!(size_of_val(z), rows * 4);
    // SAFETY: `T` is `f32` (same type id), so the pointers address `f32`s; `gates` checked that
    // every matrix holds `rows` rows of each of its `cols` columns, the bias `rows` values and
    // `z` `rows`; `isa()` reports AVX2 + FMA (or AVX-512, which implies them) only when the CPU
    // has them.
    unsafe { super::avx2::step_gates(rows, ops, b, z.as_mut_ptr().cast::<f32>()) };
    Some(())
}

/// Products of at most this many multiply-adds take the portable loops, inlined at the call
/// site with its constant sizes (inside `layers::wide` they are AVX2 code too): for them the
/// call into the kernel and its block set-up cost more than the FMAs save (LSTM 8: 207 against
/// 167 ns per step).
const SMALL: usize = 512;

/// Rows per block of the portable loops (one 256-bit vector of `f32`).
const LANES: usize = 8;

/// The plain-loop version of [`gates`]: full blocks of [`LANES`] rows whose sums stay in a
/// fixed-size array (vector code) over every column of `W` and then of `R`, then the last
/// `rows % LANES` rows one at a time.
#[inline(always)]
fn portable<T: Scalar>(
    rows: usize,
    input: Side<'_, T>,
    recurrent: Side<'_, T>,
    bias: Option<&[T]>,
    z: &mut [T],
) {
    let start = |r: usize| bias.map_or(T::zero(), |b| b[r]);
    for r0 in (0..rows / LANES * LANES).step_by(LANES) {
        let mut acc: [T; LANES] = core::array::from_fn(|l| start(r0 + l));
        for side in [input, recurrent] {
            for (c, &xc) in side.x.iter().enumerate() {
                let column = &side.a[c * side.stride + r0..c * side.stride + r0 + LANES];
                for l in 0..LANES {
                    acc[l] += column[l] * xc;
                }
            }
        }
        z[r0..r0 + LANES].copy_from_slice(&acc);
    }
    for (r, zr) in z.iter_mut().enumerate().skip(rows / LANES * LANES) {
        let mut acc = start(r);
        for side in [input, recurrent] {
            for (c, &xc) in side.x.iter().enumerate() {
                acc += side.a[c * side.stride + r] * xc;
            }
        }
        *zr = acc;
    }
}

/// The AVX2 + FMA body of [`gates`], expanded inside `kernels::avx2` (its `V`, `zero!`, `ld!`,
/// `ldm!`, `mask!`, `splat!`, `fma!`, `add!`, `st!` and `stp!`).
#[cfg(target_arch = "x86_64")]
macro_rules! simd_step {
    ($feat:literal) => {
        /// One side of [`step_gates`]: `cols` columns of the matrix at `a`, column `c` at
        /// `a + c·stride`, times `x[0..cols]`.
        #[derive(Clone, Copy)]
        pub(crate) struct StepSide {
            pub(crate) a: *const f32,
            pub(crate) stride: usize,
            pub(crate) x: *const f32,
            pub(crate) cols: usize,
        }

        /// Largest row block, in vectors (12 accumulators, a broadcast and a mask of 16 `ymm`).
        const STEP_NV: usize = 12;
        /// Prefetch distance in columns.
        const STEP_PF: usize = 8;

        /// `z[0..rows] = b + Σ_sides A·x` (`b` zero when null), rows in register blocks.
        ///
        /// # Safety
        /// CPU supports the features; each side's matrix holds `rows` rows of each of its
        /// columns, `x` its `cols` values; `b` (unless null) and `z` hold `rows` values.
        #[target_feature(enable = $feat)]
        #[inline]
        pub(crate) unsafe fn step_gates(
            rows: usize,
            sides: [StepSide; 2],
            b: *const f32,
            z: *mut f32,
        ) {
            let mut r0 = 0;
            while r0 < rows {
                let vectors = (rows - r0).div_ceil(V);
                // Blocks of 8 vectors until at most STEP_NV are left, which make one block.
                let nv = if vectors > STEP_NV { 8 } else { vectors };
                let tail = (rows - r0 - (nv - 1) * V).min(V);
                let at = sides.map(|s| StepSide {
                    a: s.a.wrapping_add(r0),
                    ..s
                });
                let (bb, zb) = (
                    if b.is_null() { b } else { b.wrapping_add(r0) },
                    z.wrapping_add(r0),
                );
                // SAFETY: the block covers rows r0..r0 + (nv − 1)·V + tail ≤ rows.
                unsafe {
                    step_widths!(nv, tail < V, tail, at, bb, zb);
                }
                r0 += (nv - 1) * V + tail;
            }
        }

        /// One block of `NV` vectors of rows (the last one holding `tail` rows when `MASKED`),
        /// with `CH` accumulator sets taking turns over the columns.
        ///
        /// # Safety
        /// As for [`step_gates`], for the block's rows.
        #[target_feature(enable = $feat)]
        #[inline]
        unsafe fn step_block<const NV: usize, const CH: usize, const MASKED: bool>(
            tail: usize,
            sides: [StepSide; 2],
            b: *const f32,
            z: *mut f32,
        ) {
            let m = mask!(tail);
            // SAFETY (whole function): vectors before the last are whole rows of the block;
            // the last is masked to its `tail` rows when MASKED.
            unsafe {
                let load = |p: *const f32, v: usize| {
                    if MASKED && v == NV - 1 {
                        ldm!(p.add(v * V), m)
                    } else {
                        ld!(p.add(v * V))
                    }
                };
                let mut acc = [[zero!(); NV]; CH];
                if !b.is_null() {
                    for v in 0..NV {
                        acc[0][v] = load(b, v);
                    }
                }
                for s in sides {
                    // A matrix past L1's 32 KiB (LSTM 64: 66 KiB) streams from L2 every step:
                    // pull the block's lines of the column STEP_PF ahead (the hardware
                    // prefetchers alone left the FMAs waiting on loads; W5d 2.73 → 2.50 µs here).
                    let prefetch = s.cols * s.stride > 8 * 1024;
                    let mut c = 0;
                    while c + CH <= s.cols {
                        if prefetch {
                            let ahead = s.a.wrapping_add((c + STEP_PF) * s.stride);
                            for l in (0..NV * V).step_by(16) {
                                _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(l).cast::<i8>());
                            }
                        }
                        for (k, acc) in acc.iter_mut().enumerate() {
                            let xc = splat!(*s.x.add(c + k));
                            let col = s.a.add((c + k) * s.stride);
                            for v in 0..NV {
                                acc[v] = fma!(load(col, v), xc, acc[v]);
                            }
                        }
                        c += CH;
                    }
                    for c in c..s.cols {
                        let xc = splat!(*s.x.add(c));
                        let col = s.a.add(c * s.stride);
                        for v in 0..NV {
                            acc[0][v] = fma!(load(col, v), xc, acc[0][v]);
                        }
                    }
                }
                for v in 0..NV {
                    let mut sum = acc[0][v];
                    for other in &acc[1..] {
                        sum = add!(sum, other[v]);
                    }
                    if MASKED && v == NV - 1 {
                        stp!(z.add(v * V), tail, sum);
                    } else {
                        st!(z.add(v * V), sum);
                    }
                }
            }
        }
    };
}

/// `match nv { n => step_block::<n, CH, MASKED>(…) }` over every block size `1..=STEP_NV`, with
/// two accumulator sets (`CH = 2`) up to 4 vectors, where one set would wait on the FMA latency.
#[cfg(target_arch = "x86_64")]
macro_rules! step_widths {
    ($nv:expr, $masked:expr, $($arg:expr),*) => {
        match ($nv, $masked) {
            (1, false) => step_block::<1, 2, false>($($arg),*),
            (1, true) => step_block::<1, 2, true>($($arg),*),
            (2, false) => step_block::<2, 2, false>($($arg),*),
            (2, true) => step_block::<2, 2, true>($($arg),*),
            (3, false) => step_block::<3, 2, false>($($arg),*),
            (3, true) => step_block::<3, 2, true>($($arg),*),
            (4, false) => step_block::<4, 2, false>($($arg),*),
            (4, true) => step_block::<4, 2, true>($($arg),*),
            (5, false) => step_block::<5, 1, false>($($arg),*),
            (5, true) => step_block::<5, 1, true>($($arg),*),
            (6, false) => step_block::<6, 1, false>($($arg),*),
            (6, true) => step_block::<6, 1, true>($($arg),*),
            (7, false) => step_block::<7, 1, false>($($arg),*),
            (7, true) => step_block::<7, 1, true>($($arg),*),
            (8, false) => step_block::<8, 1, false>($($arg),*),
            (8, true) => step_block::<8, 1, true>($($arg),*),
            (9, false) => step_block::<9, 1, false>($($arg),*),
            (9, true) => step_block::<9, 1, true>($($arg),*),
            (10, false) => step_block::<10, 1, false>($($arg),*),
            (10, true) => step_block::<10, 1, true>($($arg),*),
            (11, false) => step_block::<11, 1, false>($($arg),*),
            (11, true) => step_block::<11, 1, true>($($arg),*),
            (12, false) => step_block::<12, 1, false>($($arg),*),
            (12, true) => step_block::<12, 1, true>($($arg),*),
            _ => unreachable!(),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `b + W·x + R·h` in `f64`, row by row, and the sum of its terms' magnitudes.
    fn reference(rows: usize, sides: [Side<'_, f32>; 2], bias: Option<&[f32]>) -> Vec<(f64, f64)> {
        (0..rows)
            .map(|r| {
                let b = bias.map_or(0.0, |b| b[r] as f64);
                sides
                    .iter()
                    .flat_map(|s| s.x.iter().enumerate().map(move |(c, &x)| (s, c, x)))
                    .map(|(s, c, x)| s.a[c * s.stride + r] as f64 * x as f64)
                    .fold((b, b.abs()), |(sum, size), t| (sum + t, size + t.abs()))
            })
            .collect()
    }

    /// Every block shape (partial vectors, two-accumulator blocks, 8-vector blocks and the
    /// last up-to-12 block), with and without bias, row blocks of a larger matrix (GRU's
    /// `h` rows) and empty sides: the dispatched kernel and the portable loops agree with
    /// `f64` within 1e-6 relative to the size of the terms (their magnitudes' sum).
    #[test]
    fn simd_and_portable_agree_with_f64() {
        let mut rng = crate::Rng::new(3);
        let mut uniform =
            |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect() };
        for rows in [1, 3, 4, 7, 8, 9, 16, 28, 32, 36, 80, 96, 104, 160, 256, 320] {
            for (f, u) in [(1, 0), (0, 5), (1, 8), (4, 20), (2, 64), (3, 80)] {
                let stride = rows + 3;
                let (w, x) = (uniform(stride * f), uniform(f));
                let (r, h) = (uniform(stride * u), uniform(u));
                let b = uniform(rows);
                let sides = [
                    Side {
                        a: &w[..],
                        stride,
                        x: &x[..],
                    },
                    Side {
                        a: &r[..],
                        stride,
                        x: &h[..],
                    },
                ];
                for bias in [Some(&b[..]), None] {
                    let want = reference(rows, sides, bias);
                    let (mut fast, mut plain) = (vec![9.0; rows + 1], vec![9.0; rows]);
                    gates(rows, sides[0], sides[1], bias, &mut fast);
                    portable(rows, sides[0], sides[1], bias, &mut plain);
                    assert_eq!(fast[rows], 9.0, "wrote past {rows} rows");
                    for (k, &(want, size)) in want.iter().enumerate() {
                        for got in [fast[k], plain[k]] {
                            let d = (got as f64 - want).abs();
                            let ok = d <= 1e-6 * size.max(1.0);
                            assert!(ok, "{rows}×({f} + {u}) row {k}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }
}
