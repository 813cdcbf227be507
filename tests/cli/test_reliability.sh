#!/usr/bin/env bash
# Issue 21's reproducers as tests: the bad-command corpus (tests/bad_input/cli/commands.txt: exit
# 2, one line), and the behaviours that are not errors: outputs onto devices and links, frame
# order, frame-rate probing, meta-file precedence, CSV quoting, plot titles, video names, the
# trial's folder lock, journal kept through the final writes, damaged journals, progress lines.
# Usage: test_reliability.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"
mkpng() { python3 "$src/tests/cli/mkpng.py" "$@"; }
trial="$src/tests/trial/trial_small.toml"
short=(--set scenario.duration_h=25)

# Fixtures for the corpus.
"$bin" render --preset septic --seconds 0.5 --out "$work/frames" >/dev/null || bad "render fixture frames"
mkdir -p "$work/badmeta" "$work/empty" "$work/loopframes" "$work/journalled"
cp "$work/frames"/frame_000[01].png "$work/badmeta/" && echo '{"um_per_px": 1.5, "fps": 0.001}' > "$work/badmeta/meta.json"
ffmpeg -loglevel error -y -framerate 1/2 -i "$work/frames/frame_%04d.png" -frames:v 2 -c:v ffv1 "$work/slow.mkv"
mkfifo "$work/fifo"
ln -s loop "$work/loop"
cp "$work/frames/frame_0000.png" "$work/loopframes/" && ln -s frame_0001.png "$work/loopframes/frame_0001.png"
mkpng "$work/tiny" 1 1 3
mkpng "$work/big" 5000 5000 2
mkpng "$work/long" 4096 4096 17
echo '{}' > "$work/target.json" && ln -s target.json "$work/link.json" && ln -s target.json "$work/link.json.mkv"
for r in runA runB; do
  "$bin" run "$src/scenarios/healthy_adult.toml" --set scenario.duration_h=6 --out "$work/$r" >/dev/null \
    || bad "run fixture $r"
done
printf '# coherence trial journal 0\n' > "$work/journalled/patients.partial.csv"

# The corpus: every line exits 2 with one line naming the option or file and the rule.
while IFS='|' read -r name pattern args; do
  name=$(echo $name)
  case "$name" in ''|'#'*) continue ;; esac
  pattern=$(echo "$pattern" | sed 's/^ *//; s/ *$//')
  args=${args//\$SRC/$src}
  args=${args//\$WORK/$work}
  # shellcheck disable=SC2086
  expect_2 "corpus $name" "$pattern" $args
done < "$src/tests/bad_input/cli/commands.txt"
[ -L "$work/link.json" ] && [ -p "$work/fifo" ] && ok "refused targets left as they were" || bad "a refused target was replaced"
finish "reliability cli"
