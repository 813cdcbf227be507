#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then a tiny consumer project finds the package
# (find_package(Coherence)), links Coherence::model and runs a simulation; also checks that the
# binary, the scenarios and the docs were installed.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/coherence include/coherence/model/simulator.hpp share/coherence/scenarios/healthy_adult.toml \
         share/doc/Coherence/trials.md; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; echo "install: 0 passed, 1 failed"; exit 1; }
done
"$work/prefix/bin/coherence" --version >/dev/null
# The package exports the model library only: no internal target (the warning flags), and
# SUNDIALS as a link dependency, not as a usage requirement of consumers' compilations.
if grep -q coherence_warnings "$work"/prefix/lib*/cmake/Coherence/CoherenceTargets*.cmake; then
  echo "the installed package exports the internal target coherence_warnings"; echo "install: 0 passed, 1 failed"; exit 1
fi
cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
echo "install: 1 passed, 0 failed"
