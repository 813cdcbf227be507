#!/usr/bin/env bash
# The generated tables in docs/ must be what the project produces now: a change that moves a
# number without regenerating the docs fails here.
#   validate     `coherence validate --docs` (model calibration tables)
#   score-check  `coherence score-check --docs` (scoring accuracy table); also fails when any of
#                issue 6's accuracy limits fails (score-check exits 1)
#   observational-66  the n = 66 observational-replication table (`coherence trial ... --docs`)
#   render-check the realism table in docs/rendering.md (`coherence render-check --real FRAME
#                --docs`); the real frame lives outside the repository (../shared/data): without
#                it the test is skipped (exit 77), not passed
# Usage: docs_current.sh COHERENCE_BINARY SOURCE_DIR [validate|score-check]
set -eu
bin=$1
src=$2
mode=${3:-validate}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/docs" "$work/docs"
case "$mode" in
  validate) "$bin" validate --docs "$work/docs" --quiet >/dev/null ;;
  score-check)
    if ! "$bin" score-check --scenarios "$src/scenarios" --docs "$work/docs" > "$work/score-check.txt"; then
      cat "$work/score-check.txt"
      echo "score-check: an accuracy limit fails"
      exit 1
    fi ;;
  render-check)
    real="$src/../shared/data/real-sublingual/frame0_crop.png"
    if [ ! -f "$real" ]; then echo "render-check: no real frame at $real: skipped"; exit 77; fi
    "$bin" render-check --real "$real" --docs "$work/docs" >/dev/null ;;
  observational-66)
    "$bin" trial "$src/scenarios/trial_observational_replication.toml" --out "$work/trial" --docs "$work/docs" \
      --no-plot >/dev/null ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
if diff -ru -x images "$src/docs" "$work/docs"; then
  echo "docs ($mode): 1 passed, 0 failed"
else
  echo "docs/ tables are stale: run 'coherence $mode --docs docs'"
  echo "docs ($mode): 0 passed, 1 failed"
  exit 1
fi
