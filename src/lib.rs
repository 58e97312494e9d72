//! The kiln workspace suite: examples, integration tests and benchmarks live beside this crate.

pub mod workloads;
