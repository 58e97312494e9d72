#!/usr/bin/env bash
# Writes tests/fixtures/w5/: the W5a–W5g networks exactly as RTNeural's peer benchmark makes them
# (bench_rtneural.cpp, seeded), for `tests/streaming_rtneural.rs` and the `workloads` example.
#
#   RTNEURAL_DIR=/path/to/RTNeural bench/rtneural/fixtures.sh
#
# Per workload: `W5x.weights.safetensors` as the peer dumps it (Keras names and layouts, f32), and
# `W5x.stream.safetensors`, the first 4,800 samples of its stream: `input` [4800, features] f32,
# `modelt_output` [4800] f32 (RTNeural ModelT, Eigen) and `reference_output` [4800] f64 (the
# peer's plain double-precision evaluation of the same equations), cut from the peer's
# 48,000-sample dump to keep the repository small.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/target/rtneural/bench_eigen-vendored
[[ -x $BIN ]] || "$ROOT/bench/rtneural/build.sh"
DUMP=$(mktemp -d)
trap 'rm -rf "$DUMP"' EXIT
BENCH_ONLY=W5a,W5b,W5c,W5d,W5e,W5f,W5g BENCH_DUMP_DIR=$DUMP BENCH_DUMP_ONLY=1 "$BIN"
OUT=$ROOT/tests/fixtures/w5
mkdir -p "$OUT"
python3 - "$DUMP" "$OUT" <<'PY'
import json, shutil, struct, sys
from pathlib import Path

KEEP = 4800  # samples checked from the zero state (WORKLOADS.md)
dump, out = Path(sys.argv[1]), Path(sys.argv[2])
SIZE = {"F32": 4, "F64": 8}

def read(path):
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    return {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}

def write(path, tensors):
    header, body = {}, b""
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    path.write_bytes(struct.pack("<Q", len(head)) + head + body)

for weights in sorted(dump.glob("W5?.weights.safetensors")):
    wid = weights.name[:3]
    shutil.copyfile(weights, out / weights.name)
    cut = {}
    for name, (dtype, shape, data) in read(dump / f"{wid}.stream-eigen-vendored.safetensors").items():
        if name == "dynamic_output":
            continue
        row = SIZE[dtype] * (shape[1] if len(shape) == 2 else 1)
        cut[name] = (dtype, [KEEP] + shape[1:], data[:KEEP * row])
    write(out / f"{wid}.stream.safetensors", cut)
    print(f"{wid}: {out / weights.name}, {out / wid}.stream.safetensors")
PY
