#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest, then a short fuzzing
# smoke run. Logs: build/logs/ (packages, builds) and build/release/Testing/Temporary/LastTest.log
# (every test's full output).
cd "$(dirname "$0")"
source ./scripts_common.sh
install_packages
build
echo "Running the test suite (ctest; ~3-5 minutes on 2 cores)"
if ! ctest --preset release -j "$(nproc)"; then
  echo "test.sh: some tests failed; every test's full output: build/release/Testing/Temporary/LastTest.log" >&2
  exit 1
fi
# A short fuzzing smoke run (clang, libFuzzer): tests/fuzz/smoke.sh, docs/architecture.md.
tests/fuzz/smoke.sh 20
