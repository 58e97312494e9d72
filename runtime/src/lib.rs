//! kiln: neural networks declared inline in Rust, shape-checked and compiled at build time.

pub mod data;
pub mod kernels;
pub mod model;
pub mod rng;
pub mod scalar;

pub use model::{GradAt, OutputActivation};
pub use rng::Rng;
pub use scalar::Scalar;
