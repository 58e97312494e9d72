//! kiln: neural networks declared inline in Rust, shape-checked and compiled at build time.
//!
//! [`model!`](macro@model) reads a Keras-style list of layers, infers every shape while your crate compiles
//! (a mistake is a compile error pointing at the layer), and generates statically sized code:
//! the forward pass and a hand-derived backward pass, with all buffers allocated once. This
//! crate trains such models the Keras way: [`Compile::compile`], [`Trainer::fit`],
//! [`Trainer::evaluate`], [`Trainer::predict`].
//!
//! ```
//! use kiln::losses::BinaryCrossentropy;
//! use kiln::metrics::BinaryAccuracy;
//! use kiln::optim::Adam;
//! use kiln::{model, Compile, Fit};
//!
//! model! {
//!     /// XOR needs a hidden layer.
//!     pub struct Xor {
//!         Input(2),
//!         Dense(4, activation = tanh),
//!         Dense(1, activation = sigmoid),
//!     }
//! }
//!
//! # fn main() -> kiln::Result<()> {
//! let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]; // 4 samples of 2 features
//! let y = [0.0, 1.0, 1.0, 0.0];
//! let mut trainer = Xor::new(1)
//!     .compile(Adam::new(0.05), BinaryCrossentropy::default())
//!     .metric(BinaryAccuracy::default());
//! let history = trainer.fit(&x, &y, Fit::epochs(500).batch_size(4).quiet())?;
//! assert_eq!(history.last().unwrap().get("binary_accuracy"), Some(1.0));
//!
//! let xor = trainer.into_model();
//! assert!(xor.predict(&[1.0, 0.0])[0] > 0.5); // one sample, on the stack, no allocation
//! println!("{}", xor.summary());
//! # Ok(())
//! # }
//! ```
//!
//! Modules: [`layers`] (the kernels generated code calls), [`losses`], [`optim`] (optimizers,
//! schedules, clipping), [`metrics`], [`train`] (the training loop), [`data`] (MNIST, CSV,
//! images, time series), [`io`] (weight files), [`kernels`] (allocation-free matrix products), [`alloc_count`]
//! (proving zero allocation).
//!
//! **Features.** The default (`train`, `data`, `images`, `progress`) is all of kiln. `std` alone
//! (`default-features = false, features = ["std"]`) is inference: models, `predict`, `step`,
//! weight files on disk (`io::load`, `io::save`) and the counting allocator. `train` adds
//! compile / fit / evaluate with losses, optimizers, metrics, callbacks and checkpoints;
//! `progress` its progress bar; `data` MNIST, CSV and time series loading; `images` image
//! folders (PNG, JPEG). Without `std` (`default-features = false`) kiln is `#![no_std]` and
//! needs only `alloc`: models, `predict` / `predict_with`, streaming `step` / `step_with`, the
//! kernels and [`io::read_params`] (weights from `include_bytes!` data, no allocation) remain.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "std")]
pub mod alloc_count;
#[cfg(feature = "data")]
pub mod data;
#[cfg(feature = "train")]
pub mod error;
pub mod io;
pub mod kernels;
pub mod layers;
#[cfg(feature = "train")]
pub mod losses;
pub mod math;
#[cfg(feature = "train")]
pub mod metrics;
pub mod model;
#[cfg(feature = "train")]
pub mod optim;
pub mod rng;
pub mod scalar;
#[cfg(feature = "train")]
pub mod train;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "train")]
pub use error::{Error, Result};
pub use kiln_macros::model;
pub use model::{
    output, AnyWidth, GradAt, Input, InputWidth, LayerInfo, LossViews, Mode, Model,
    OutputActivation, OutputWidth, ParamInfo, TorchMap, TorchTensor, Workspace,
};
pub use nalgebra;
pub use nalgebra::{SMatrix, SMatrixView, SVector};
pub use rng::Rng;
pub use scalar::Scalar;
#[cfg(feature = "train")]
pub use train::{Compile, Fit, Trainer, Verbosity};
