//! Criterion benchmarks of the `shared/WORKLOADS.md` workloads (one thread):
//! `cargo bench -p kiln-benches`. Throughput is reported in samples.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiln_suite::workloads::workloads;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    for mut workload in workloads(&[]) {
        group.throughput(Throughput::Elements(workload.samples as u64));
        group.bench_function(workload.id, |b| b.iter(&mut workload.step));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
