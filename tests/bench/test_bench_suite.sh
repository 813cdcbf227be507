#!/usr/bin/env bash
# coherence_bench --quick --docs: every benchmark runs, the generated block of performance.md is
# replaced (machine, date, the four sections with goals and ratios) and the hand-written notes
# around it stay. Figures are not judged here (benchmarks are never timed tests).
# Usage: test_bench_suite.sh BENCH_EXE SOURCE_DIR
set -euo pipefail
bench=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cp "$src/docs/performance.md" "$work/performance.md"
notes_before=$(sed -n '/coherence_bench: generated up to here/,$p' "$work/performance.md")
"$bench" --quick --docs "$work" > "$work/stdout" 2> "$work/stderr" || fail "coherence_bench exited $?: $(cat "$work/stderr")"
doc="$work/performance.md"
[ "$(grep -c 'coherence_bench: generated from here' "$doc")" -eq 1 ] || fail "begin marker not exactly once"
[ "$(grep -c 'coherence_bench: generated up to here' "$doc")" -eq 1 ] || fail "end marker not exactly once"
grep -q "^# Performance" "$doc" || fail "title lost"
notes_after=$(sed -n '/coherence_bench: generated up to here/,$p' "$doc")
[ "$notes_before" = "$notes_after" ] || fail "hand-written notes changed"
grep -q "on $(date -u +%Y-%m-%d), on .*hardware threads" "$doc" || fail "no date and machine line"
for section in "### Model" "### Synthetic video" "### Scoring pipeline" "### Trials" "### Teaching viewer"; do
  grep -q "^$section" "$doc" || fail "missing section $section"
done
grep -q "real-time factor >= 1e5" "$doc" || fail "model goal missing"
grep -qE "\| [0-9.]+ frames/s .*\| >= 300 frames/s .*\| .*(the goal|too slow)" "$doc" || fail "render figure/ratio missing"
grep -qE "<= 5 s on 2 cores \| .*(faster than the goal|too slow)" "$doc" || fail "scoring ratio missing"
grep -qE "1000 x 2 projected at [0-9]+ s \| 1000 x 2 x 72 h in <= 60 s on 2 cores" "$doc" || fail "trial projection missing"
# Running twice replaces the block instead of adding one.
"$bench" --quick --only model > /dev/null 2>&1 || fail "--only model failed"
"$bench" --quick --only model --docs "$work" > /dev/null 2> "$work/err2" && fail "--only with --docs accepted"
[ "$(grep -c 'coherence_bench: generated from here' "$doc")" -eq 1 ] || fail "second run duplicated the block"
"$bench" --only nonsense > /dev/null 2> "$work/err3" && fail "unknown benchmark accepted"
echo "bench suite OK"
