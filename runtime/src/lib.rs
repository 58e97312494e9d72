//! kiln: neural networks declared inline in Rust, shape-checked and compiled at build time.

pub mod alloc_count;
pub mod data;
pub mod error;
pub mod kernels;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod rng;
pub mod scalar;
pub mod train;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{Error, Result};
pub use kiln_macros::model;
pub use model::{
    GradAt, Input, LayerInfo, LossViews, Mode, Model, OutputActivation, ParamInfo, Workspace,
};
pub use nalgebra;
pub use nalgebra::{SMatrix, SMatrixView, SVector};
pub use rng::Rng;
pub use scalar::Scalar;
pub use train::{Compile, Fit, Trainer, Verbosity};
