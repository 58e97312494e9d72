//! The element types a model can be built over: `f32` (the default, fast kernels) and `f64`
//! (gradient checks).

use crate::kernels;
use alloc::vec::Vec;
use nalgebra::ComplexField;

/// A floating-point element type for models, losses and optimizers.
///
/// Implemented for `f32` and `f64`. Besides nalgebra's [`RealField`](nalgebra::RealField)
/// arithmetic it carries the three matrix products every layer is built from, so each type can
/// route them to its own allocation-free kernels. All matrices are column-major and contiguous.
pub trait Scalar:
    nalgebra::RealField + Copy + Default + core::fmt::Display + Send + Sync + 'static
{
    /// The type's name as written in Rust source (`"f32"`).
    const NAME: &'static str;

    /// `√(smallest positive normal)`: below it, a value's square is subnormal (slow on x86).
    const TINY: Self;

    /// The safetensors dtype name of this type (`"F32"`).
    const DTYPE: &'static str;

    /// Appends the little-endian bytes of `self`.
    fn write_le(self, out: &mut Vec<u8>);

    /// Reads a value from its little-endian bytes (`size_of::<Self>()` of them).
    fn read_le(bytes: &[u8]) -> Self;

    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;

    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;

    /// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`: branch-free for `f32` so that loops over
    /// it vectorise ([`crate::math`]), libm's `exp` for `f64`.
    fn sigmoid(self) -> Self;

    /// `tanh x`: branch-free for `f32` ([`crate::math`]), libm's for `f64`.
    fn tanh_fast(self) -> Self;

    /// `C[m×n] = A[m×k] · B[k×n]`, or `C += A·B` when `accumulate`.
    fn gemm_nn(
        m: usize,
        n: usize,
        k: usize,
        a: &[Self],
        b: &[Self],
        c: &mut [Self],
        accumulate: bool,
    );

    /// `C[m×n] = A[m×k] · B[n×k]ᵀ`, or `C += A·Bᵀ` when `accumulate`.
    fn gemm_nt(
        m: usize,
        n: usize,
        k: usize,
        a: &[Self],
        b: &[Self],
        c: &mut [Self],
        accumulate: bool,
    );

    /// `C[m×n] = A[k×m]ᵀ · B[k×n]`, or `C += Aᵀ·B` when `accumulate`.
    fn gemm_tn(
        m: usize,
        n: usize,
        k: usize,
        a: &[Self],
        b: &[Self],
        c: &mut [Self],
        accumulate: bool,
    );
}

macro_rules! impl_scalar {
    ($t:ident, $dtype:literal, $tiny:expr, $sigmoid:expr, $tanh:expr) => {
        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);
            const TINY: Self = $tiny;
            const DTYPE: &'static str = $dtype;

            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn read_le(bytes: &[u8]) -> Self {
                let mut le = [0u8; core::mem::size_of::<$t>()];
                le.copy_from_slice(&bytes[..core::mem::size_of::<$t>()]);
                $t::from_le_bytes(le)
            }

            #[inline(always)]
            fn of(x: f64) -> Self {
                x as $t
            }

            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }

            #[inline(always)]
            fn sigmoid(self) -> Self {
                $sigmoid(self)
            }

            #[inline(always)]
            fn tanh_fast(self) -> Self {
                $tanh(self)
            }

            #[inline]
            fn gemm_nn(
                m: usize,
                n: usize,
                k: usize,
                a: &[Self],
                b: &[Self],
                c: &mut [Self],
                accumulate: bool,
            ) {
                kernels::$t::gemm_nn(m, n, k, a, b, c, accumulate)
            }

            #[inline]
            fn gemm_nt(
                m: usize,
                n: usize,
                k: usize,
                a: &[Self],
                b: &[Self],
                c: &mut [Self],
                accumulate: bool,
            ) {
                kernels::$t::gemm_nt(m, n, k, a, b, c, accumulate)
            }

            #[inline]
            fn gemm_tn(
                m: usize,
                n: usize,
                k: usize,
                a: &[Self],
                b: &[Self],
                c: &mut [Self],
                accumulate: bool,
            ) {
                kernels::$t::gemm_tn(m, n, k, a, b, c, accumulate)
            }
        }
    };
}

impl_scalar!(
    f32,
    "F32",
    1.084_202_2e-19,
    crate::math::sigmoid,
    crate::math::tanh
);
impl_scalar!(
    f64,
    "F64",
    1.491_668_146_240_041_3e-154,
    sigmoid_f64,
    ComplexField::tanh
);

/// `σ(x)` without overflow for large `|x|`.
#[inline(always)]
fn sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + ComplexField::exp(-x))
    } else {
        let e = ComplexField::exp(x);
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::Scalar;

    #[test]
    fn tiny_is_the_square_root_of_the_smallest_normal() {
        assert!((f32::TINY - f32::MIN_POSITIVE.sqrt()).abs() <= f32::EPSILON * f32::TINY);
        assert!((f64::TINY - f64::MIN_POSITIVE.sqrt()).abs() <= f64::EPSILON * f64::TINY);
    }
}
