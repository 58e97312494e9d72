//! The f32 SIMD kernel bodies, written once and instantiated per instruction set.
//!
//! `simd_kernels!("features")` expands inside an ISA module that defines
//! * constants `V` (lanes per vector), `NR` (columns per register tile; the tile has
//!   `MR = 2·V` rows, so it holds `2·NR` accumulators), and `MV_NV`, `MV_U` (mat-vec row block
//!   in vectors and k-unroll; `MV_NV·MV_U` accumulators), and
//! * the operation macros `zero!()`, `ld!(p)`, `st!(p, v)`, `splat!(x)`, `fma!(a, b, c)`
//!   (`a·b + c`), `add!(a, b)`, `mask!(r)` (first `r ≤ V` lanes), `and_not_mask!(x, y)`
//!   (`!x & y`), `ldm!(p, mask)` (masked-off lanes read as 0 and are not accessed),
//!   `stm!(p, mask, v)` and `stp!(p, r, v)` (stores exactly the first `1 ≤ r ≤ V` lanes with
//!   plain, unmasked stores of 32/16/8/4 bytes).
//!
//! Tiles store `C` edges with `stp!`, not `stm!`: the CPU checks a masked store against later
//! loads by its full vector width, so with `ldc = m < V` the masked store of column `j` blocks
//! the load of column `j + 1` until it has committed to L1 (store forwarding from masked stores
//! is impossible). With `accumulate` every column waited for the previous one: a 10×1024×8
//! product took 3–5× longer than without `accumulate` (W1b's dense layers accumulate onto the
//! bias). Exact-width stores do not overlap the next column, so nothing waits.
//!
//! Design: no packing for `nn`/`nt` (the `A` column strip is contiguous, `B` entries are
//! broadcast from memory with arbitrary strides); `tn` packs a `MR×KC` strip of `Aᵀ` into a
//! stack buffer and then runs the same tile kernel. A single column (`n == 1`) uses the
//! mat-vec kernel of `matvec.rs` (`simd_matvec!`, expanded alongside).

/// Stores lanes `0..r % 8` of the `__m256` `y` at `p + o` with 16-, 8- and 4-byte stores.
macro_rules! stp_ymm {
    ($p:expr, $o:expr, $r:expr, $y:expr) => {{
        let (p, mut o, r, y): (*mut f32, usize, usize, __m256) = ($p, $o, $r, $y);
        let mut x = _mm256_castps256_ps128(y);
        if r & 4 != 0 {
            _mm_storeu_ps(p.add(o), x);
            x = _mm256_extractf128_ps::<1>(y);
            o += 4;
        }
        if r & 2 != 0 {
            _mm_store_sd(p.add(o).cast::<f64>(), _mm_castps_pd(x));
            x = _mm_movehl_ps(x, x);
            o += 2;
        }
        if r & 1 != 0 {
            _mm_store_ss(p.add(o), x);
        }
    }};
}

macro_rules! simd_kernels {
    ($feat:literal) => {
        /// Rows per register tile (two vectors).
        const MR: usize = 2 * V;
        /// Depth of a packed `Aᵀ` strip in `tn`.
        const KC_TN: usize = 256;
        /// `nn`/`nt` split `k` so that one `m×kc` block of `A` stays within ~256 KiB (L2).
        const A_BLOCK: usize = 64 * 1024;

        /// Register tile: `C[0..mr, 0..NRT] (+)= Σ_{p<kc} A(0..mr, p) · B(p, 0..NRT)` with
        /// `A(i, p) = a[i + p*a_ps]`, `B(p, j) = b[p*b_ps + j*b_js]`, `C(i, j) = c[i + j*ldc]`.
        ///
        /// # Safety
        /// CPU supports the features; every element addressed above for `i < mr ≤ MR`,
        /// `j < NRT`, `p < kc` is in bounds; `1 ≤ mr`.
        #[target_feature(enable = $feat)]
        unsafe fn tile<const NRT: usize>(
            mr: usize,
            kc: usize,
            a: *const f32,
            a_ps: usize,
            b: *const f32,
            b_ps: usize,
            b_js: usize,
            c: *mut f32,
            ldc: usize,
            acc: bool,
        ) {
            let mut s0 = [zero!(); NRT];
            let mut s1 = [zero!(); NRT];
            // B columns are addressed from one base pointer per group of BG columns: with a
            // single base LLVM chains `ptr += b_js` through all NRT columns every step of `p`,
            // a serial dependency as long as the FMA work itself.
            const BG: usize = 4;
            let mut bq = [b; NR.div_ceil(BG)];
            for (g, q) in bq.iter_mut().enumerate() {
                *q = b.wrapping_add(g * BG * b_js);
            }
            let mut ap = a;
            // SAFETY (whole function): loads/stores only touch A/B/C elements listed in the
            // contract; masked accesses skip rows `≥ mr`; pointer steps use `wrapping_add`
            // so stepping past the last column is not itself UB.
            unsafe {
                if mr == MR {
                    for _ in 0..kc {
                        let a0 = ld!(ap);
                        let a1 = ld!(ap.add(V));
                        for j in 0..NRT {
                            let bj = splat!(*bq[j / BG].add((j % BG) * b_js));
                            s0[j] = fma!(a0, bj, s0[j]);
                            s1[j] = fma!(a1, bj, s1[j]);
                        }
                        ap = ap.wrapping_add(a_ps);
                        for q in &mut bq {
                            *q = q.wrapping_add(b_ps);
                        }
                    }
                    for j in 0..NRT {
                        let cp = c.add(j * ldc);
                        if acc {
                            s0[j] = add!(s0[j], ld!(cp));
                            s1[j] = add!(s1[j], ld!(cp.add(V)));
                        }
                        st!(cp, s0[j]);
                        st!(cp.add(V), s1[j]);
                    }
                } else if mr <= V {
                    // One (masked) vector of rows: half the FMAs of the two-vector loop.
                    let m0 = mask!(mr);
                    for _ in 0..kc {
                        let a0 = ldm!(ap, m0);
                        for j in 0..NRT {
                            let bj = splat!(*bq[j / BG].add((j % BG) * b_js));
                            s0[j] = fma!(a0, bj, s0[j]);
                        }
                        ap = ap.wrapping_add(a_ps);
                        for q in &mut bq {
                            *q = q.wrapping_add(b_ps);
                        }
                    }
                    for j in 0..NRT {
                        let cp = c.add(j * ldc);
                        if acc {
                            s0[j] = add!(s0[j], ldm!(cp, m0));
                        }
                        stp!(cp, mr, s0[j]);
                    }
                } else {
                    // V < mr < MR: the first vector is full, the second masked.
                    let m1 = mask!(mr - V);
                    for _ in 0..kc {
                        let a0 = ld!(ap);
                        let a1 = ldm!(ap.wrapping_add(V), m1);
                        for j in 0..NRT {
                            let bj = splat!(*bq[j / BG].add((j % BG) * b_js));
                            s0[j] = fma!(a0, bj, s0[j]);
                            s1[j] = fma!(a1, bj, s1[j]);
                        }
                        ap = ap.wrapping_add(a_ps);
                        for q in &mut bq {
                            *q = q.wrapping_add(b_ps);
                        }
                    }
                    for j in 0..NRT {
                        let cp = c.add(j * ldc);
                        let cp1 = cp.wrapping_add(V);
                        if acc {
                            s0[j] = add!(s0[j], ld!(cp));
                            s1[j] = add!(s1[j], ldm!(cp1, m1));
                        }
                        st!(cp, s0[j]);
                        stp!(cp1, mr - V, s1[j]);
                    }
                }
            }
        }

        /// Runs the tile kernel with `nr ≤ NR` columns (monomorphised per width).
        ///
        /// # Safety
        /// As for [`tile`] with `NRT = nr`.
        #[target_feature(enable = $feat)]
        unsafe fn tile_n(
            nr: usize,
            mr: usize,
            kc: usize,
            a: *const f32,
            a_ps: usize,
            b: *const f32,
            b_ps: usize,
            b_js: usize,
            c: *mut f32,
            ldc: usize,
            acc: bool,
        ) {
            // SAFETY: forwarded contract, `NRT == nr ≤ NR`.
            unsafe { tile_widths!(nr, tile(mr, kc, a, a_ps, b, b_ps, b_js, c, ldc, acc)) }
        }

        /// `C[m×n] (+)= A(m×kc) · B(kc×n)` for `m ≤ V` rows (`ldc = m`, `A(i, p) = a[i + p*m]`,
        /// `B(p, j) = b[p*b_ps + j*b_js]`): one masked vector of rows walks all columns, `NR` at
        /// a time, in one loop (no per-tile call, set-up or spills); `C` is loaded into the
        /// accumulators before the `p` loop, so its latency overlaps the FMAs. The last
        /// `n % NR` columns go to [`tile_n`].
        ///
        /// # Safety
        /// CPU supports the features; `a`, `b`, `c` cover every addressed element;
        /// `1 ≤ m ≤ V`, `n, kc ≥ 1`.
        #[target_feature(enable = $feat)]
        unsafe fn narrow(
            m: usize,
            n: usize,
            kc: usize,
            a: *const f32,
            b: *const f32,
            b_ps: usize,
            b_js: usize,
            c: *mut f32,
            acc: bool,
        ) {
            const BG: usize = 4;
            let m0 = mask!(m);
            let full = n - n % NR;
            // SAFETY: column `j < full ≤ n` of B and C and rows `< m` of A are in bounds; masked
            // loads skip rows `≥ m` and `stp!` writes exactly rows `< m`; pointer steps use
            // `wrapping_add` so stepping past the last column is not itself UB.
            unsafe {
                for j0 in (0..full).step_by(NR) {
                    let cp = c.add(j0 * m);
                    let mut s = [zero!(); NR];
                    if acc {
                        for (j, sj) in s.iter_mut().enumerate() {
                            *sj = ldm!(cp.add(j * m), m0);
                        }
                    }
                    let b0 = b.add(j0 * b_js);
                    let mut bq = [b0; NR.div_ceil(BG)];
                    for (g, q) in bq.iter_mut().enumerate() {
                        *q = b0.wrapping_add(g * BG * b_js);
                    }
                    let mut ap = a;
                    for _ in 0..kc {
                        let a0 = ldm!(ap, m0);
                        for (j, sj) in s.iter_mut().enumerate() {
                            *sj = fma!(a0, splat!(*bq[j / BG].add((j % BG) * b_js)), *sj);
                        }
                        ap = ap.wrapping_add(m);
                        for q in &mut bq {
                            *q = q.wrapping_add(b_ps);
                        }
                    }
                    for (j, &sj) in s.iter().enumerate() {
                        stp!(cp.add(j * m), m, sj);
                    }
                }
                if full < n {
                    let b0 = b.add(full * b_js);
                    tile_n(
                        n - full,
                        m,
                        kc,
                        a,
                        m,
                        b0,
                        b_ps,
                        b_js,
                        c.add(full * m),
                        m,
                        acc,
                    );
                }
            }
        }

        /// `C[m×n] (+)= A(m×k) · B(k×n)`, `A(i, p) = a[i + p*m]`, `B(p, j) = b[p*b_ps + j*b_js]`.
        ///
        /// # Safety
        /// CPU supports the features; `a`, `b`, `c` cover every addressed element; `m, n, k ≥ 1`.
        #[target_feature(enable = $feat)]
        unsafe fn strided(
            m: usize,
            n: usize,
            k: usize,
            a: *const f32,
            b: *const f32,
            b_ps: usize,
            b_js: usize,
            c: *mut f32,
            acc: bool,
        ) {
            // Integer divisions cost ~10 ns: only split `k` when the A block is too large.
            let kc_max = if m * k <= A_BLOCK {
                k
            } else {
                k.div_ceil(k.div_ceil((A_BLOCK / m).max(128)))
            };
            let mut pc = 0;
            while pc < k {
                let kc = kc_max.min(k - pc);
                let accum = acc || pc > 0;
                // SAFETY: offsets stay within the operands described by the contract.
                unsafe {
                    let (ap, bp) = (a.add(pc * m), b.add(pc * b_ps));
                    if n == 1 {
                        matvec(m, kc, ap, m, bp, b_ps, c, accum);
                    } else if m <= V && n >= 2 * NR {
                        narrow(m, n, kc, ap, bp, b_ps, b_js, c, accum);
                    } else {
                        for j0 in (0..n).step_by(NR) {
                            let nr = NR.min(n - j0);
                            for i0 in (0..m).step_by(MR) {
                                let mr = MR.min(m - i0);
                                tile_n(
                                    nr,
                                    mr,
                                    kc,
                                    ap.add(i0),
                                    m,
                                    bp.add(j0 * b_js),
                                    b_ps,
                                    b_js,
                                    c.add(i0 + j0 * m),
                                    m,
                                    accum,
                                );
                            }
                        }
                    }
                }
                pc += kc;
            }
        }

        /// Zeroes `C` when not accumulating; `true` when nothing remains to be added.
        fn prologue(m: usize, n: usize, k: usize, c: &mut [f32], acc: bool) -> bool {
            if m == 0 || n == 0 {
                return true;
            }
            if k == 0 {
                if !acc {
                    c[..m * n].fill(0.0);
                }
                return true;
            }
            false
        }

        /// `C[m×n] (+)= A[m×k] · B[k×n]`.
        ///
        /// # Safety
        /// The CPU supports the module's features. Lengths are checked here.
        pub(crate) unsafe fn nn(
            m: usize,
            n: usize,
            k: usize,
            a: &[f32],
            b: &[f32],
            c: &mut [f32],
            acc: bool,
        ) {
            super::check(m, n, k, a.len(), b.len(), c.len());
            if prologue(m, n, k, c, acc) {
                return;
            }
            // SAFETY: lengths checked; CPU support is the caller's contract.
            unsafe { strided(m, n, k, a.as_ptr(), b.as_ptr(), 1, k, c.as_mut_ptr(), acc) }
        }

        /// `C[m×n] (+)= A[m×k] · B[n×k]ᵀ`.
        ///
        /// # Safety
        /// The CPU supports the module's features. Lengths are checked here.
        pub(crate) unsafe fn nt(
            m: usize,
            n: usize,
            k: usize,
            a: &[f32],
            b: &[f32],
            c: &mut [f32],
            acc: bool,
        ) {
            super::check(m, n, k, a.len(), b.len(), c.len());
            if prologue(m, n, k, c, acc) {
                return;
            }
            // SAFETY: lengths checked; CPU support is the caller's contract.
            unsafe { strided(m, n, k, a.as_ptr(), b.as_ptr(), n, 1, c.as_mut_ptr(), acc) }
        }

        /// `C[m×n] (+)= A[k×m]ᵀ · B[k×n]`.
        ///
        /// # Safety
        /// The CPU supports the module's features. Lengths are checked here.
        pub(crate) unsafe fn tn(
            m: usize,
            n: usize,
            k: usize,
            a: &[f32],
            b: &[f32],
            c: &mut [f32],
            acc: bool,
        ) {
            super::check(m, n, k, a.len(), b.len(), c.len());
            if prologue(m, n, k, c, acc) {
                return;
            }
            // SAFETY: lengths checked; CPU support is the caller's contract.
            unsafe { tn_impl(m, n, k, a, b.as_ptr(), c.as_mut_ptr(), acc) }
        }

        /// Packs `Aᵀ(i0..i0+mr, pc..pc+kc)` (`A` is `k×m`) as `buf[p*MR + ii]`: 8×8 blocks are
        /// transposed in AVX registers, ragged edges copied element by element.
        #[target_feature(enable = $feat)]
        fn pack_t(
            a: &[f32],
            k: usize,
            i0: usize,
            mr: usize,
            pc: usize,
            kc: usize,
            buf: &mut [MaybeUninit<f32>],
        ) {
            assert!(buf.len() >= kc * MR && mr <= MR && a.len() >= (i0 + mr) * k && pc + kc <= k);
            let (mb, kb) = (mr - mr % 8, kc - kc % 8);
            for ii in (0..mb).step_by(8) {
                let src = a[(i0 + ii) * k + pc..].as_ptr();
                for p in (0..kb).step_by(8) {
                    // SAFETY: reads rows `pc+p..pc+p+8 ≤ pc+kc ≤ k` of columns
                    // `i0+ii..i0+ii+8 ≤ i0+mr` of A; writes `buf[(p+q)*MR + ii..+8]` with
                    // `p+q < kc`, `ii+8 ≤ MR` (asserted bounds above).
                    unsafe {
                        let r = |c: usize| _mm256_loadu_ps(src.add(c * k + p));
                        let t = transpose8([r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7)]);
                        for (q, v) in t.into_iter().enumerate() {
                            let dst = buf.as_mut_ptr().add((p + q) * MR + ii);
                            _mm256_storeu_ps(dst.cast::<f32>(), v);
                        }
                    }
                }
            }
            for ii in 0..mr {
                let col = &a[pc + (i0 + ii) * k..][..kc];
                let from = if ii < mb { kb } else { 0 };
                for (p, &v) in col.iter().enumerate().skip(from) {
                    buf[p * MR + ii] = MaybeUninit::new(v);
                }
            }
        }

        /// Transposes an 8×8 block held as 8 row vectors.
        #[target_feature(enable = $feat)]
        fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ]
        }

        /// # Safety
        /// As for [`tn`], with lengths checked and `m, n, k ≥ 1`.
        #[target_feature(enable = $feat)]
        unsafe fn tn_impl(
            m: usize,
            n: usize,
            k: usize,
            a: &[f32],
            b: *const f32,
            c: *mut f32,
            acc: bool,
        ) {
            // Uninitialised: zeroing 32 KiB would cost as much as a small product. `pack_t`
            // writes every element the tile kernel reads (rows `≥ mr` are masked off).
            let mut buf = [MaybeUninit::<f32>::uninit(); MR * KC_TN];
            let kc_max = if k <= KC_TN {
                k
            } else {
                k.div_ceil(k.div_ceil(KC_TN))
            };
            let mut pc = 0;
            while pc < k {
                let kc = kc_max.min(k - pc);
                let accum = acc || pc > 0;
                for i0 in (0..m).step_by(MR) {
                    let mr = MR.min(m - i0);
                    pack_t(a, k, i0, mr, pc, kc, &mut buf);
                    for j0 in (0..n).step_by(NR) {
                        let nr = NR.min(n - j0);
                        // SAFETY: the packed strip holds `kc` rows of `MR` (rows `≥ mr` are
                        // masked); `B(p, j) = b[pc + p + j*k]` and `C` offsets are in bounds.
                        unsafe {
                            tile_n(
                                nr,
                                mr,
                                kc,
                                buf.as_ptr().cast::<f32>(),
                                MR,
                                b.add(pc + j0 * k),
                                1,
                                k,
                                c.add(i0 + j0 * m),
                                m,
                                accum,
                            );
                        }
                    }
                }
                pc += kc;
            }
        }
    };
}
