#!/usr/bin/env bash
# Builds the RTNeural peer (bench_rtneural.cpp) with RTNeural's vendored Eigen, -O3 -march=native,
# into $OUT (default: target/rtneural at the repository root). Copied from the project's shared
# peer benchmarks (peers/rtneural/build.sh); only the default output folder differs.
#
# RTNeural's source is not shipped here: point RTNEURAL_DIR at a copy of
# github.com/jatinchowdhury18/RTNeural (e.g. `git clone https://github.com/jatinchowdhury18/RTNeural`;
# the figures in README.md used commit 1fb1f07). It needs a C++17 compiler (g++; $CXX overrides).
#
#   RTNEURAL_DIR=/path/to/RTNeural bench/rtneural/build.sh
#   BENCH_ONLY=W5a,W5f taskset -c 1 target/rtneural/bench_eigen-vendored   # one RESULT line per workload
#   BENCH_ONLY=W5a BENCH_DUMP_DIR=w5 BENCH_DUMP_ONLY=1 target/rtneural/bench_eigen-vendored
#       # writes each W5 network's weights, input stream and f64 reference output as safetensors
#       # (Keras layout) for kiln to load with kiln::io::load and check against
set -euo pipefail
cd "$(dirname "$0")"
RTN=${RTNEURAL_DIR:?set RTNEURAL_DIR to RTNeural source tree}
[[ -f $RTN/RTNeural/RTNeural.h ]] || { echo "no RTNeural/RTNeural.h under $RTN" >&2; exit 1; }
# The commit named in the RESULT lines: $RTNEURAL_COMMIT, else the tree's own git HEAD.
COMMIT=${RTNEURAL_COMMIT:-$(git -C "$RTN" rev-parse --short HEAD 2>/dev/null || echo unknown)}
OUT=${OUT:-../../target/rtneural}
mkdir -p "$OUT"
COMMON=(-std=c++17 -O3 -march=native -DNDEBUG -DRTNEURAL_DEFAULT_ALIGNMENT=32 -DRTNEURAL_COMMIT="\"$COMMIT\""
        -I"$RTN" -Wno-cpp)
# -DEIGEN_STACK_ALLOCATION_LIMIT=0: Eigen refuses fixed-size matrices above 128 KiB by default.
${CXX:-g++} "${COMMON[@]}" -DRTNEURAL_USE_EIGEN=1 -DEIGEN_STACK_ALLOCATION_LIMIT=0 -isystem "$RTN/modules/Eigen" \
  -DBENCH_BACKEND="\"eigen-vendored\"" bench_rtneural.cpp -o "$OUT/bench_eigen-vendored"
echo "built $OUT/bench_eigen-vendored"
# BUILD_STL=1: also RTNeural's dependency-free STL backend.
if [[ ${BUILD_STL:-0} != 0 ]]; then
  ${CXX:-g++} "${COMMON[@]}" -DBENCH_BACKEND="\"stl\"" bench_rtneural.cpp -o "$OUT/bench_stl"
  echo "built $OUT/bench_stl"
fi
