//! The f32 SIMD mat-vec (`n == 1`), instantiated per instruction set next to `simd_kernels!`
//! and using the same constants and operation macros (see `simd.rs`).
//!
//! Row blocks of `MV_NV` vectors with `k` unrolled by `MV_U` (8 independent accumulator
//! chains), blocks shifted to vector-aligned addresses, software prefetch when `A` streams
//! from L2.

macro_rules! simd_matvec {
    ($feat:literal) => {
        /// One row block of the mat-vec: `NVB` vectors starting at `a`/`c`, of which vector 0
        /// skips its first `lo` lanes and vector `NVB-1` keeps only its first `hi` lanes. `k` is
        /// unrolled by `MV_U`, so there are `NVB·MV_U` independent accumulator chains.
        ///
        /// # Safety
        /// CPU supports the features; the rows selected above exist in every column `p < kc`
        /// of `A` and in `c`; `x[p*x_ps]` exists for `p < kc`.
        #[target_feature(enable = $feat)]
        unsafe fn mv_block<const NVB: usize, const PREFETCH: bool>(
            lo: usize,
            hi: usize,
            kc: usize,
            a: *const f32,
            a_ps: usize,
            x: *const f32,
            x_ps: usize,
            c: *mut f32,
            acc: bool,
        ) {
            /// Prefetch distance in columns.
            const PF: usize = 16;
            /// f32 per cache line.
            const LINE: usize = 16;
            let first = if NVB == 1 { mask!(hi) } else { mask!(V) };
            let m_first = and_not_mask!(mask!(lo), first);
            let m_last = mask!(hi);
            // SAFETY (whole function): interior vectors are fully in bounds, the edge vectors
            // are masked to the rows that exist; pointers step with `wrapping_add` because the
            // block may start before row 0 (masked lanes) or step past the last column.
            unsafe {
                let load = |p: *const f32, v: usize| {
                    let q = p.wrapping_add(v * V);
                    if v == 0 {
                        ldm!(q, m_first)
                    } else if v == NVB - 1 {
                        ldm!(q, m_last)
                    } else {
                        ld!(q)
                    }
                };
                let mut s = [[zero!(); NVB]; MV_U];
                let (mut ap, mut xp) = (a, x);
                let mut p = 0;
                while p + MV_U <= kc {
                    // Pull columns PF ahead from L2 into L1 (the hardware prefetchers alone
                    // leave the loop waiting on L1 misses: 2.1 → 1.5 µs for 64×784).
                    for u in 0..MV_U * (PREFETCH as usize) {
                        let pf = ap.wrapping_add((PF + u) * a_ps);
                        for l in (0..NVB * V).step_by(LINE) {
                            _mm_prefetch::<_MM_HINT_T0>(pf.wrapping_add(l) as *const i8);
                        }
                    }
                    for (u, su) in s.iter_mut().enumerate() {
                        let xu = splat!(*xp.add(u * x_ps));
                        let au = ap.wrapping_add(u * a_ps);
                        for (v, sv) in su.iter_mut().enumerate() {
                            *sv = fma!(load(au, v), xu, *sv);
                        }
                    }
                    ap = ap.wrapping_add(MV_U * a_ps);
                    xp = xp.wrapping_add(MV_U * x_ps);
                    p += MV_U;
                }
                while p < kc {
                    let x0 = splat!(*xp);
                    for (v, sv) in s[0].iter_mut().enumerate() {
                        *sv = fma!(load(ap, v), x0, *sv);
                    }
                    ap = ap.wrapping_add(a_ps);
                    xp = xp.wrapping_add(x_ps);
                    p += 1;
                }
                for v in 0..NVB {
                    let mut r = s[0][v];
                    for su in &s[1..] {
                        r = add!(r, su[v]);
                    }
                    let cp = c.wrapping_add(v * V);
                    let mk = if v == 0 {
                        m_first
                    } else if v == NVB - 1 {
                        m_last
                    } else {
                        mask!(V)
                    };
                    if acc {
                        r = add!(r, ldm!(cp, mk));
                    }
                    stm!(cp, mk, r);
                }
            }
        }

        /// Mat-vec: `c[0..m] (+)= Σ_{p<kc} A(0..m, p) · x[p*x_ps]`, `A(i, p) = a[i + p*a_ps]`.
        ///
        /// # Safety
        /// CPU supports the features; all addressed elements are in bounds.
        #[target_feature(enable = $feat)]
        unsafe fn matvec(
            m: usize,
            kc: usize,
            a: *const f32,
            a_ps: usize,
            x: *const f32,
            x_ps: usize,
            c: *mut f32,
            acc: bool,
        ) {
            // When every column has the same alignment, start the row blocks `lo` rows before
            // row 0 so that vector loads never split cache lines (64×784 AVX-512: ~1.9 → ~1.4
            // µs for a misaligned A); the `lo` leading lanes are masked off.
            let vb = V * core::mem::size_of::<f32>();
            let lo = if a_ps % V == 0 && m >= MV_NV * V {
                (a as usize % vb) / core::mem::size_of::<f32>()
            } else {
                0
            };
            let (a, c, rows) = (a.wrapping_sub(lo), c.wrapping_sub(lo), m + lo);
            // Software prefetch only pays when A streams from L2 (it costs load-port slots).
            let pf = m * kc > 8 * 1024;
            let mut i0 = 0;
            // SAFETY (whole loop): each call covers shifted rows `i0..i0+NVB·V` with the lanes
            // outside `lo..rows` masked, i.e. exactly existing rows of A and c.
            unsafe {
                while i0 < rows {
                    let (ap, cp) = (a.wrapping_add(i0), c.wrapping_add(i0));
                    let lo_b = if i0 == 0 { lo } else { 0 };
                    let rem = rows - i0;
                    if rem > MV_NV * V && rem <= (MV_NV + 1) * V {
                        // A ragged last block becomes one wider block, not a latency-bound tail.
                        let hi = rem - MV_NV * V;
                        if pf {
                            mv_block::<{ MV_NV + 1 }, true>(
                                lo_b, hi, kc, ap, a_ps, x, x_ps, cp, acc,
                            );
                        } else {
                            mv_block::<{ MV_NV + 1 }, false>(
                                lo_b, hi, kc, ap, a_ps, x, x_ps, cp, acc,
                            );
                        }
                        break;
                    } else if rem >= MV_NV * V {
                        if pf {
                            mv_block::<MV_NV, true>(lo_b, V, kc, ap, a_ps, x, x_ps, cp, acc);
                        } else {
                            mv_block::<MV_NV, false>(lo_b, V, kc, ap, a_ps, x, x_ps, cp, acc);
                        }
                        i0 += MV_NV * V;
                    } else {
                        // Fewer than MV_NV vectors left: one vector at a time, k unrolled by 4.
                        mv_tail(lo_b, rem.min(V), kc, ap, a_ps, x, x_ps, cp, acc);
                        i0 += V;
                    }
                }
            }
        }

        /// One vector of mat-vec rows (lanes `lo..hi`), `k` unrolled by 4 (4 chains).
        ///
        /// # Safety
        /// As for [`mv_block`] with `NVB = 1`.
        #[target_feature(enable = $feat)]
        unsafe fn mv_tail(
            lo: usize,
            hi: usize,
            kc: usize,
            a: *const f32,
            a_ps: usize,
            x: *const f32,
            x_ps: usize,
            c: *mut f32,
            acc: bool,
        ) {
            let mk = and_not_mask!(mask!(lo), mask!(hi));
            // SAFETY (whole function): only the masked lanes (existing rows) are accessed.
            unsafe {
                let mut s = [zero!(); 4];
                let (mut ap, mut xp) = (a, x);
                let mut p = 0;
                while p + 4 <= kc {
                    for (u, su) in s.iter_mut().enumerate() {
                        let xu = splat!(*xp.add(u * x_ps));
                        *su = fma!(ldm!(ap.wrapping_add(u * a_ps), mk), xu, *su);
                    }
                    ap = ap.wrapping_add(4 * a_ps);
                    xp = xp.wrapping_add(4 * x_ps);
                    p += 4;
                }
                while p < kc {
                    s[0] = fma!(ldm!(ap, mk), splat!(*xp), s[0]);
                    ap = ap.wrapping_add(a_ps);
                    xp = xp.wrapping_add(x_ps);
                    p += 1;
                }
                let mut r = add!(add!(s[0], s[1]), add!(s[2], s[3]));
                if acc {
                    r = add!(r, ldm!(c, mk));
                }
                stm!(c, mk, r);
            }
        }
    };
}
