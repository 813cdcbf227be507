#!/usr/bin/env bash
# The sanitizer suite: builds the debug-asan preset (AddressSanitizer + UndefinedBehaviorSanitizer,
# every target but the benchmarks) and runs ctest on it, leaving out the tests labelled slow (the
# 40-clip scoring accuracy, the outcome-model anchors and the validation tables with their cohort
# studies: ~5 min of CPU uninstrumented, ~20-50x that instrumented), then the ThreadSanitizer
# check (tests/tsan.sh). .ci/run runs it after ./test.sh; it takes ~15-20 min on 2 cores.
# Usage: tests/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source ./scripts_common.sh
install_packages
cmake --preset debug-asan > /dev/null
cmake --build --preset debug-asan -j "$(nproc)"
ctest --preset debug-asan -j "$(nproc)"
# ThreadSanitizer: two threads observing one Simulator (the model library alone).
tests/tsan.sh
