//! Kernels of each layer kind, called by the code `model!` generates. Each module mirrors the
//! macro's module of the same name (`macros/src/layers/`), which holds the layer's shape rule.
//!
//! Batches are column-major `size × n` slices: sample `j` occupies `x[j*size .. (j+1)*size]`.
//! Slices may be longer than `size × n` (a workspace's capacity); only the first `size × n`
//! elements are read or written.

pub mod activation;
pub mod batch_normalization;
pub mod bidirectional;
pub mod conv1d;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod gru;
pub mod init;
pub mod layer_normalization;
pub mod lstm;
pub mod pool;
pub mod prelu;
pub mod recurrent;
pub mod simple_rnn;

/// Runs `f` compiled for AVX2 + FMA when the kernels use them ([`crate::kernels::isa`]), else as
/// it is. For the small per-sample loops of recurrent layers (matrix-vector products over the
/// gates, vectorised `σ` and `tanh`), which otherwise get baseline x86-64's 128-bit vectors;
/// `f` should be an `#[inline(always)]` closure so that it is compiled inside.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::isa() != crate::kernels::Isa::Portable {
        // SAFETY: `isa()` reports AVX2 and FMA (or AVX-512, which implies them) only when the CPU
        // has them.
        return unsafe { avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
