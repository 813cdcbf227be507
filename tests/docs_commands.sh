#!/usr/bin/env bash
# The docs' examples run as written: every fenced block that follows a line `<!-- runnable -->`
# in docs/scenarios.md and docs/trials.md is run line by line with `coherence` being the built
# binary, from a fresh folder that sees the source's scenarios/ (so `--out out/...` stays there);
# each command must exit 0. Usage: docs_commands.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/run"
ln -s "$(readlink -f "$bin")" "$work/bin/coherence"
ln -s "$src/scenarios" "$work/run/scenarios"
passed=0 failed=0
for doc in docs/scenarios.md docs/trials.md; do
  # Commands of the runnable blocks, one per line ("file:line<TAB>command").
  cmds=$(awk -v f="$doc" '
    /^<!-- runnable -->$/ { armed = 1; next }
    /^```/ { if (inblock) { inblock = 0 } else if (armed) { inblock = 1; armed = 0 } else { skip = !skip }; next }
    inblock && $0 !~ /^[ \t]*(#|$)/ { printf "%s:%d\t%s\n", f, NR, $0 }
    { if (!/^[ \t]*$/ && !inblock) armed = armed && 0 }' "$src/$doc")
  [ -n "$cmds" ] || { echo "FAILED: $doc has no runnable example"; failed=$((failed + 1)); continue; }
  while IFS=$'\t' read -r where cmd; do
    if (cd "$work/run" && PATH="$work/bin:$PATH" bash -c "$cmd" >"$work/out.txt" 2>&1); then
      passed=$((passed + 1)); echo "ok: $where: $cmd"
    else
      failed=$((failed + 1)); echo "FAILED: $where: $cmd"; tail -n 5 "$work/out.txt"
    fi
  done <<<"$cmds"
done
echo "docs commands: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
