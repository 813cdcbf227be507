#!/usr/bin/env bash
# Every benchmark in one command: installs what is missing, builds the release preset, runs
# coherence_bench and rewrites the generated part of docs/performance.md (machine, date, each
# figure and its ratio to DESIGN.md's goal). Takes about 6 minutes on 2 cores.
# Usage: bench/run.sh [coherence_bench options, e.g. --trial-patients 200 for a quicker projection]
set -euo pipefail
cd "$(dirname "$0")/.."
source ./scripts_common.sh
install_packages
build
if [ -n "${DISPLAY:-}" ]; then
  build/release/bench/coherence_bench --docs docs "$@"
else  # the viewer's frame time needs a display: a virtual one (software OpenGL)
  xvfb-run -a -s "-screen 0 1280x720x24" build/release/bench/coherence_bench --docs docs "$@"
fi
echo "bench: figures written to docs/performance.md"
