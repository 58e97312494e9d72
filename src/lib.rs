//! The kiln workspace suite: examples, integration tests and benchmarks live beside this crate.
//!
//! This small library is the examples' shared code:
//!
//! * [`plot`]: PNG line and scatter plots (training history, data with a fitted line, several
//!   series on shared axes), drawn with plotters and a bundled font, so they work without any
//!   system library;
//! * [`cli`]: where the shipped data sits and where outputs go by default;
//! * [`mnist`]: the MNIST training job of the `mnist` and `mnist_cnn` examples;
//! * [`digits_png`]: writes the shipped 8×8 digits as a folder of PNG images, the input of the
//!   `image_classifier` example;
//! * [`synth`]: seeded normal and uniform samples for the synthetic datasets;
//! * [`scratch`]: self-removing temporary directories for the examples' quick tests;
//! * [`workloads`]: the `shared/WORKLOADS.md` benchmark workloads, for `benches/` and the
//!   `workloads` example.

pub mod cli;
pub mod digits_png;
pub mod mnist;
pub mod plot;
pub mod scratch;
pub mod synth;
pub mod workloads;

/// The repository README, whose Rust blocks are compiled (and, unless marked `no_run`, run) as
/// doctests so that it cannot drift from the API.
#[doc = include_str!("../README.md")]
pub mod readme {}
