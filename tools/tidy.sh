#!/usr/bin/env bash
# clang-tidy over every translation unit of the project (configuration: .clang-tidy), using the
# release build's compile_commands.json. Exit 1 on any finding.
# Usage: tools/tidy.sh [BUILD_DIR=build/release]
set -u
cd "$(dirname "$0")/.."
build=${1:-build/release}
if ! command -v run-clang-tidy > /dev/null; then
  echo "installing clang-tidy (Debian package)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang-tidy > /dev/null
fi
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure first"; exit 2; }
files=$(git ls-files --cached --others --exclude-standard 'model/*.cpp' 'src/*.cpp' 'viz/*.cpp' 'bench/*.cpp' 'tools/*.cpp' \
        'tests/*.cpp' | grep -v '^tests/install/')
run-clang-tidy -quiet -p "$build" -j "$(nproc)" $files > "$build/tidy.log" 2>&1
status=$?
grep -E "warning:|error:" "$build/tidy.log" | sort -u | head -100
count=$(grep -cE "warning:|error:" "$build/tidy.log")
echo "clang-tidy: $count findings (full log: $build/tidy.log)"
[ "$status" -eq 0 ] && [ "$count" -eq 0 ]
