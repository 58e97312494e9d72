//! Prints one `RESULT` line per `shared/WORKLOADS.md` workload kiln supports, in that file's
//! format, so that kiln and a peer can be compared in one run on any machine:
//!
//! ```text
//! cargo run --release --example workloads            # all of them
//! cargo run --release --example workloads W2 W2i     # some
//! taskset -c 1 cargo run --release --example workloads
//! ```
//!
//! Each figure is the median of 11 timed runs of about 100 ms each, after a warm-up.
//! `KILN_ISA=avx2` (or `portable`) forces a kernel family, e.g. to compare an AVX-512 machine
//! with figures taken on an AVX2-only one; the `note` of each line names the family used.

use kiln::kernels::{self, Isa};
use kiln_suite::workloads::workloads;
use std::time::{Duration, Instant};

fn main() {
    match std::env::var("KILN_ISA").as_deref() {
        Ok("avx2") => kernels::set_isa(Isa::Avx2),
        Ok("portable") => kernels::set_isa(Isa::Portable),
        Ok("avx512") => kernels::set_isa(Isa::Avx512),
        _ => {}
    }
    let only: Vec<String> = std::env::args().skip(1).collect();
    for mut workload in workloads(&only) {
        let ns = median_ns_per_sample(&mut workload.step, workload.samples);
        println!(
            "RESULT {{\"system\":\"kiln-{}\",\"workload\":\"{}\",\"metric\":\"{}\",\"value\":{:.1},\"threads\":{},\"note\":\"{}; kernels {:?}\"}}",
            env!("CARGO_PKG_VERSION"),
            workload.id,
            workload.metric.name(),
            workload.metric.value(ns),
            workload.threads,
            workload.note,
            kernels::isa()
        );
    }
}

/// Median over 11 runs of the time per sample, each run repeating `step` for about 100 ms.
fn median_ns_per_sample(step: &mut dyn FnMut(), samples: usize) -> f64 {
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < Duration::from_millis(200) {
        step();
        calls += 1;
    }
    let per_run = (calls / 2).max(1);
    let mut runs: Vec<f64> = (0..11)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_run {
                step();
            }
            t.elapsed().as_nanos() as f64 / (per_run * samples as u64) as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}
