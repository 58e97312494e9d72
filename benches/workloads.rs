//! Criterion benchmarks of the `shared/WORKLOADS.md` workloads (one thread; W2 and W3 also two):
//! `cargo bench -p kiln-benches`. Throughput is reported in samples.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiln_suite::workloads::workloads;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    for mut workload in workloads(&[]) {
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
