#!/usr/bin/env bash
# A short fuzzing smoke run (CI): builds the libFuzzer targets with the `fuzz` preset (clang) and
# runs each for 20 s on a copy of its seed corpus. Fails on any crash or sanitizer report.
# Usage: tests/fuzz/smoke.sh [SECONDS=20]   (from the source root)
set -u
cd "$(dirname "$0")/../.."
seconds=${1:-20}
if ! command -v clang++ >/dev/null; then
  echo "fuzz smoke: clang++ not found"
  echo "fuzz smoke: 0 passed, 1 failed"
  exit 1
fi
source ./scripts_common.sh
set +e
mkdir -p "$LOG_DIR"
log=$LOG_DIR/build-fuzz.log
echo "fuzz smoke: building the libFuzzer targets (clang; log: $log)"
{ cmake --preset fuzz >"$log" 2>&1 && cmake --build --preset fuzz -j "$(nproc)" 2>&1 | progress_filter "$log.build" cmake 0 "fuzz build"; } || {
  cat "$log.build" >>"$log" 2>/dev/null; rm -f "$log.build"
  grep -m 10 -E 'error|Error|Could NOT' "$log" || tail -n 20 "$log"
  echo "fuzz smoke: the fuzz preset does not build (log: $log)"; echo "fuzz smoke: 0 passed, 1 failed"; exit 1; }
cat "$log.build" >>"$log"; rm -f "$log.build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for t in scenario override frames cli_options score; do
  mkdir -p "$work/$t"
  cp tests/fuzz/$t/* "$work/$t/"
  if (cd "$work" && "$OLDPWD/build/fuzz/fuzz/fuzz_$t" "$work/$t" -max_total_time="$seconds" \
        -artifact_prefix="$work/crash_$t-" >"$work/$t.log" 2>&1); then
    passed=$((passed + 1))
    echo "ok: fuzz_$t ($(grep -o 'Done [0-9]* runs' "$work/$t.log" | tail -1))"
  else
    failed=$((failed + 1))
    echo "FAILED: fuzz_$t"
    grep -E "ERROR|SUMMARY|deadly|Test unit written" "$work/$t.log" | head -5
  fi
done
echo "fuzz smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
