//! Allocation-free matrix products on column-major, contiguous storage.
//!
//! Placeholder reference implementation; replaced by the blocked SIMD kernels.

macro_rules! reference_kernels {
    ($t:ident) => {
        pub mod $t {
            /// `C[m×n] (+)= A[m×k] · B[k×n]`.
            pub fn gemm_nn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                for j in 0..n {
                    for i in 0..m {
                        let mut s = if acc { c[i + j * m] } else { 0.0 };
                        for p in 0..k {
                            s += a[i + p * m] * b[p + j * k];
                        }
                        c[i + j * m] = s;
                    }
                }
            }
            /// `C[m×n] (+)= A[m×k] · B[n×k]ᵀ`.
            pub fn gemm_nt(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                for j in 0..n {
                    for i in 0..m {
                        let mut s = if acc { c[i + j * m] } else { 0.0 };
                        for p in 0..k {
                            s += a[i + p * m] * b[j + p * n];
                        }
                        c[i + j * m] = s;
                    }
                }
            }
            /// `C[m×n] (+)= A[k×m]ᵀ · B[k×n]`.
            pub fn gemm_tn(
                m: usize,
                n: usize,
                k: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                acc: bool,
            ) {
                for j in 0..n {
                    for i in 0..m {
                        let mut s = if acc { c[i + j * m] } else { 0.0 };
                        for p in 0..k {
                            s += a[p + i * k] * b[p + j * k];
                        }
                        c[i + j * m] = s;
                    }
                }
            }
        }
    };
}

reference_kernels!(f32);
reference_kernels!(f64);
