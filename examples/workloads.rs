//! Prints one `RESULT` line per `shared/WORKLOADS.md` workload kiln supports, in that file's
//! format, so that kiln and a peer can be compared in one run on any machine:
//!
//! ```text
//! cargo run --release --example workloads            # all of them
//! cargo run --release --example workloads W2 W2i     # some
//! taskset -c 1 cargo run --release --example workloads
//! ```
//!
//! Each figure is the median of 11 timed runs of about 100 ms each, after a warm-up; the
//! audio-streaming workloads W5a–W5g follow WORKLOADS.md's protocol for them (a 500 ms warm-up,
//! the median of 7 repetitions of about 300 ms of 48,000-sample passes, the heap allocations of
//! a pass counted, the output checked against an f64 evaluation). `bench/rtneural/run.sh` runs
//! them beside RTNeural. `KILN_ISA=avx2` (or `portable`) forces a kernel family, e.g. to compare
//! an AVX-512 machine with figures taken on an AVX2-only one; the `note` of each line names the
//! family used.

use kiln::alloc_count::{allocations, CountingAllocator};
use kiln::kernels::{self, Isa};
use kiln_suite::workloads::{workloads, Protocol, CHECKED};
use std::time::{Duration, Instant};

/// Counts the heap allocations of a W5 pass (none expected).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() {
    match std::env::var("KILN_ISA").as_deref() {
        Ok("avx2") => kernels::set_isa(Isa::Avx2),
        Ok("portable") => kernels::set_isa(Isa::Portable),
        Ok("avx512") => kernels::set_isa(Isa::Avx512),
        _ => {}
    }
    let only: Vec<String> = std::env::args().skip(1).collect();
    for mut workload in workloads(&only) {
        let (ns, note) = match workload.protocol {
            Protocol::Repeat => (
                median_ns_per_sample(&mut workload.step, workload.samples),
                workload.note.to_string(),
            ),
            Protocol::Stream { max_diff } => {
                let t = stream_timing(&mut workload.step);
                let allocs = allocations(&mut workload.step);
                let pass_s = t.median * 1e-9;
                (
                    t.median / workload.samples as f64,
                    format!(
                        "{}; median of 7 reps x {} passes, spread (max-min)/median {:.1}%; {:.0}x real-time; \
                         heap allocations per pass {allocs}; max |diff| from the f64 evaluation over the first {CHECKED} \
                         samples {max_diff:.2e}; state zeroed once, carried through every pass",
                        workload.note,
                        t.passes,
                        100.0 * (t.max - t.min) / t.median,
                        1.0 / pass_s,
                    ),
                )
            }
        };
        println!(
            "RESULT {{\"system\":\"kiln-{}\",\"workload\":\"{}\",\"metric\":\"{}\",\"value\":{:.1},\"threads\":{},\"note\":\"{}; kernels {:?}\"}}",
            env!("CARGO_PKG_VERSION"),
            workload.id,
            workload.metric.name(),
            workload.metric.value(ns),
            workload.threads,
            note,
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

/// Nanoseconds per pass of a W5 stream: median, fastest and slowest of the 7 repetitions.
struct PassTiming {
    median: f64,
    min: f64,
    max: f64,
    /// Passes in each repetition.
    passes: u64,
}

/// WORKLOADS.md's W5 protocol: warm up for 500 ms (at least 3 passes), choose the passes that
/// fill about 300 ms, time 7 repetitions of them.
fn stream_timing(pass: &mut dyn FnMut()) -> PassTiming {
    let started = Instant::now();
    let mut warm = 0u64;
    while warm < 3 || started.elapsed() < Duration::from_millis(500) {
        pass();
        warm += 1;
    }
    let per_pass = started.elapsed().as_secs_f64() / warm as f64;
    let passes = ((0.3 / per_pass).round() as u64).max(1);
    let mut reps: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..passes {
                pass();
            }
            t.elapsed().as_nanos() as f64 / passes as f64
        })
        .collect();
    reps.sort_by(f64::total_cmp);
    PassTiming {
        median: reps[3],
        min: reps[0],
        max: reps[6],
        passes,
    }
}
