#!/usr/bin/env bash
# Markdown that renders as typed: no escaped backticks (they show as literal \` on GitHub and in
# every renderer; issue 24 found 16 such lines in docs/model/microcirculation.md).
# Usage: docs_lint.sh SOURCE_DIR
set -u
src=$1
hits=$(grep -rn --include='*.md' -F '\`' "$src/README.md" "$src/docs" || true)
if [ -n "$hits" ]; then
  echo "$hits"
  echo "escaped backticks in markdown (write \` without the backslash)"
  echo "docs lint: 0 passed, 1 failed"
  exit 1
fi
echo "docs lint: 1 passed, 0 failed"
