#!/usr/bin/env bash
# The validation tables in docs/ must be what `coherence validate --docs` produces now: a model
# change that moves a number without regenerating the docs fails here.
# Usage: docs_current.sh COHERENCE_BINARY SOURCE_DIR
set -eu
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/docs" "$work/docs"
"$bin" validate --docs "$work/docs" --quiet >/dev/null
if diff -ru "$src/docs" "$work/docs"; then
  echo "docs: 1 passed, 0 failed"
else
  echo "docs/ validation tables are stale: run 'coherence validate --docs docs'"
  echo "docs: 0 passed, 1 failed"
  exit 1
fi
