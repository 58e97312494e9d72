#!/usr/bin/env bash
# kiln beside RTNeural on the audio-streaming workloads W5a–W5g, same weights (kiln's are the
# ones RTNeural's peer benchmark makes, tests/fixtures/w5/), same core, interleaved runs.
#
#   RTNEURAL_DIR=/path/to/RTNeural bench/rtneural/run.sh          # 5 runs
#   RUNS=3 CORE=0 RTNEURAL_DIR=... bench/rtneural/run.sh
#
# RTNEURAL_DIR is a source tree of github.com/jatinchowdhury18/RTNeural (e.g. `git clone
# https://github.com/jatinchowdhury18/RTNeural`); this script downloads nothing. It builds
# RTNeural's peer (build.sh, -O3 -march=native, vendored Eigen) and kiln's `workloads` example
# (release), then runs, RUNS times, RTNeural and then kiln, each pinned with `taskset -c $CORE`
# (default 1), and prints each workload's per-run figures, their medians and the median of the
# per-run ratios (kiln speedup = RTNeural ModelT ns / kiln ns). The RESULT lines are kept in
# target/rtneural/run-<time>.log.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
CORE=${CORE:-1}
IDS=(W5a W5b W5c W5d W5e W5f W5g)
# RTNeural's peer is rebuilt when missing or older than its source (REBUILD=1 forces it).
BIN=$ROOT/target/rtneural/bench_eigen-vendored
if [[ ${REBUILD:-0} != 0 || ! $BIN -nt $ROOT/bench/rtneural/bench_rtneural.cpp ]]; then
  "$ROOT/bench/rtneural/build.sh"
fi
(cd "$ROOT" && cargo build --release --example workloads)
LOG=$ROOT/target/rtneural/run-$(date -u +%Y%m%dT%H%M%SZ).log
: > "$LOG"
for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS" >&2
  BENCH_ONLY=$(IFS=,; echo "${IDS[*]}") taskset -c "$CORE" "$BIN" 2>/dev/null \
    | sed "s/^RESULT /RUN $run RESULT /" >> "$LOG"
  taskset -c "$CORE" "$ROOT/target/release/examples/workloads" "${IDS[@]}" \
    | sed "s/^RESULT /RUN $run RESULT /" >> "$LOG"
done
echo "RESULT lines: $LOG"
python3 - "$LOG" <<'PY'
import json, statistics, sys
from collections import defaultdict

figures = defaultdict(dict)  # (workload, system) -> {run: ns}
for line in open(sys.argv[1]):
    if not line.startswith("RUN "):
        continue
    _, run, _, payload = line.split(" ", 3)
    r = json.loads(payload)
    system = r["system"]
    name = ("kiln" if system.startswith("kiln") else
            "RTNeural ModelT" if "-ModelT-" in system else
            "RTNeural Model<float>" if "-dynamic-" in system else system)
    figures[(r["workload"], name)][int(run)] = r["value"]

def show(values):
    return " ".join(f"{v:.1f}" for v in values)

print("ns per sample; runs in order; kiln speedup = RTNeural ModelT / kiln, median of per-run ratios")
print(f"{'workload':8} {'kiln median':>11} {'ModelT median':>13} {'Model<float> median':>19} {'speedup':>8}   kiln runs | ModelT runs")
for wid in sorted({w for w, _ in figures}):
    kiln, modelt, dynamic = (figures[(wid, n)] for n in ("kiln", "RTNeural ModelT", "RTNeural Model<float>"))
    runs = sorted(set(kiln) & set(modelt))
    ratios = [modelt[r] / kiln[r] for r in runs]
    med = lambda d: statistics.median(d.values()) if d else float("nan")
    print(f"{wid:8} {med(kiln):11.1f} {med(modelt):13.1f} {med(dynamic):19.1f} "
          f"{statistics.median(ratios) if ratios else float('nan'):7.2f}x   "
          f"{show(kiln[r] for r in sorted(kiln))} | {show(modelt[r] for r in sorted(modelt))}")
PY
