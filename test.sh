#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest, then a short fuzzing
# smoke run.
cd "$(dirname "$0")"
source ./scripts_common.sh
install_packages
build
ctest --preset release -j "$(nproc)"
# A short fuzzing smoke run (clang, libFuzzer): tests/fuzz/smoke.sh, docs/architecture.md.
tests/fuzz/smoke.sh 20
