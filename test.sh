#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
cd "$(dirname "$0")"
source ./scripts_common.sh
install_packages
build
ctest --preset release -j "$(nproc)"
