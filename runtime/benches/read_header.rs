//! Reading weight-file headers of growing entry counts with the allocation-free reader
//! (`io::read_params`): bounded by the model, so a header of a million entries costs what the
//! first few cost (it was quadratic: 32k entries took 13 s). The tests assert the bound by
//! where reading stops (`hostile_files.rs`); this shows the time.
//! Run: `cargo bench -p kiln --bench read_header`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kiln::{io, model};

model! { struct Net { Input(2), Dense(1) } }

/// A safetensors file of `n` one-byte tensors.
fn many_tensors(n: usize) -> Vec<u8> {
    let mut header = String::from("{");
    for i in 0..n {
        header.push_str(&format!(
            r#""t{i}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{}]}},"#,
            i + 1
        ));
    }
    header.pop();
    header.push('}');
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + n, 0);
    out
}

fn read_params(c: &mut Criterion) {
    let mut group = c.benchmark_group("read_params");
    for n in [64usize, 4096, 1 << 20] {
        let bytes = many_tensors(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &bytes, |b, bytes| {
            let mut params = [0.0f32; 3];
            b.iter(|| io::read_params::<f32, Net>(black_box(bytes), &mut params).is_err())
        });
    }
    group.finish();
}

criterion_group!(benches, read_params);
criterion_main!(benches);
