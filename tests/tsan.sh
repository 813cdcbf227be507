#!/usr/bin/env bash
# ThreadSanitizer check of the model library's const readers: configures the model library alone
# (COHERENCE_MODEL_ONLY: SUNDIALS and Eigen only) with -fsanitize=thread, builds
# tests/tsan/observe_two_threads.cpp and runs it; any data race is a report and a failure.
# tests/sanitize.sh (CI) runs it. Usage: tests/tsan.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/tsan
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOHERENCE_MODEL_ONLY=ON -DCOHERENCE_SANITIZE_THREAD=ON \
      -DCOHERENCE_LTO=OFF -DCOHERENCE_BUILD_TESTS=OFF -DCOHERENCE_BUILD_BENCH=OFF >"$dir.log" 2>&1 \
  || { tail -n 20 "$dir.log"; echo "tsan: 0 passed, 1 failed (configure)"; exit 1; }
cmake --build "$dir" --target tsan_observe -j "$(nproc)" >>"$dir.log" 2>&1 \
  || { grep -m 10 -E 'error' "$dir.log" || tail -n 20 "$dir.log"; echo "tsan: 0 passed, 1 failed (build)"; exit 1; }
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$dir/tsan_observe"
