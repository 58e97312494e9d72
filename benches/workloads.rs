//! Criterion benchmarks of the `shared/WORKLOADS.md` workloads (one thread; W2 and W3 also two):
//! `cargo bench -p kiln-benches`. Throughput is reported in samples. An iteration of an
//! audio-streaming workload (W5a–W5g, W6) is one 48,000-sample pass, the state carried from pass
//! to pass; W5's take 10 samples rather than 100.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiln_suite::workloads::{workloads, Protocol};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    for mut workload in workloads(&[]) {
        let stream = matches!(workload.protocol, Protocol::Stream { .. });
        group.sample_size(if stream { 10 } else { 100 });
        group.throughput(Throughput::Elements(workload.samples as u64));
        let name = match workload.threads {
            1 => workload.id.to_string(),
            threads => format!("{} ({threads} threads)", workload.id),
        };
        group.bench_function(name, |b| b.iter(&mut workload.step));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
