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

# A character device is written straight to, never replaced by a file (issue 21 #4).
mknod "$work/null" c 1 3 2>/dev/null || ln -s /dev/null "$work/null"
if "$bin" score "$work/frames" --json "$work/null" --csv "$work/null" >/dev/null 2>&1 && [ -c "$work/null" ]; then
  ok "score --json/--csv onto a device node keeps the node"
else
  bad "score onto a device node"
fi

# Unpadded frame names are read in natural order (frame_2 before frame_10; #13).
mkdir -p "$work/unpadded"
for f in "$work/frames"/frame_*.png; do
  n=$(basename "$f" .png); n=$((10#${n#frame_}))
  cp "$f" "$work/unpadded/frame_$n.png"
done
cp "$work/frames/truth.json" "$work/unpadded/"
"$bin" score "$work/frames" --json "$work/padded.json" >/dev/null 2>&1
"$bin" score "$work/unpadded" --json "$work/unpadded.json" >/dev/null 2>&1
python3 - "$work/padded.json" "$work/unpadded.json" <<'PY' && ok "unpadded frame names score as the padded ones" || bad "frame order differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for s in a["sites"] + b["sites"]: s.pop("source", None)
assert a == b
PY

# Frame rate from the container's avg_frame_rate: a 1-fps FFV1 file is 1 fps, not 1000 (#8).
ffmpeg -loglevel error -y -framerate 1 -i "$work/frames/frame_%04d.png" -frames:v 2 -c:v ffv1 "$work/one.mkv"
fps=$("$bin" score "$work/one.mkv" --um-per-px 1.46875 2>"$work/one.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sites"][0]["fps"])')
[ "$fps" = "1.0" ] && ok "1-fps Matroska read as 1 fps" || bad "1-fps Matroska read as $fps fps"
grep -q "r_frame_rate says 1000" "$work/one.err" && ok "the disagreeing r_frame_rate is noted" || bad "no note on r_frame_rate"

# Precedence: --um-per-px > meta.json > truth.json, with a note; render removes a stale meta.json (#9, #10).
cp -r "$work/frames" "$work/prec" && echo '{"um_per_px": 3.0}' > "$work/prec/meta.json"
um=$("$bin" score "$work/prec" 2>"$work/prec.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sites"][0]["um_per_px"])')
[ "$um" = "3.0" ] && grep -q "pixel size 3 from .*meta.json used; .*truth.json says 1.46875" "$work/prec.err" \
  && ok "meta.json wins over truth.json, with a note" || bad "meta.json precedence ($um: $(cat "$work/prec.err"))"
um=$("$bin" score "$work/prec" --um-per-px 2 2>"$work/prec.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sites"][0]["um_per_px"])')
[ "$um" = "2.0" ] && grep -q "from --um-per-px used; .*meta.json says 3" "$work/prec.err" \
  && ok "--um-per-px wins, with a note" || bad "flag precedence ($um)"
"$bin" render --preset septic --seconds 0.5 --out "$work/prec" >/dev/null 2>&1
[ ! -e "$work/prec/meta.json" ] && ok "render --out removes a stale meta.json" || bad "stale meta.json left by render"

# Video names: .MKV in capitals, a name starting with '-', ffmpeg's own message on failure (#18).
"$bin" render --preset healthy --seconds 0.2 --out "$work/v" --video "$work/v/clip.MKV" >/dev/null 2>&1 \
  && [ -s "$work/v/clip.MKV" ] && ok "--video .MKV accepted" || bad "--video .MKV"
(cd "$work/v" && "$bin" render --preset healthy --seconds 0.2 --out . --video=-y.mkv >/dev/null 2>&1) \
  && [ -s "$work/v/-y.mkv" ] && ok "--video=-y.mkv is a file name, not an ffmpeg option" || bad "--video=-y.mkv"
err=$("$bin" render --preset healthy --seconds 0.2 --out "$work/v2" --video "$work/nowhere/x.mkv" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && printf '%s' "$err" | grep -q "No such file or directory" && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] \
  && ok "ffmpeg failure carries ffmpeg's message" || bad "ffmpeg failure message (rc $rc: $err)"
ls "$work/v" | grep -q partial && bad "video .partial left" || ok "no video .partial left"

# comparison.csv quotes per RFC 4180; a newline in a label still gives the plot (#16, #17).
label='a,"b"'
if "$bin" compare "$work/runA" "$work/runB" --label "$label" --label "two
lines" --out "$work/cmp" >/dev/null 2>"$work/cmp.err"; then
  python3 - "$work/cmp/comparison.csv" <<'PY' && ok 'label a,"b" read back by Python csv' || bad "comparison.csv quoting"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows[0]["label"] == 'a,"b"', rows[0]["label"]
assert rows[1]["label"] == "two\nlines", rows[1]["label"]
PY
  [ -s "$work/cmp/comparison.png" ] && ok "a newline in a label keeps the plot" || bad "comparison.png missing ($(cat "$work/cmp.err"))"
else
  bad "compare with odd labels failed: $(cat "$work/cmp.err")"
fi
"$bin" run "$src/scenarios/healthy_adult.toml" --set scenario.duration_h=6 --set 'scenario.name=two
lines' --out "$work/nl" >/dev/null 2>"$work/nl.err"
[ -s "$work/nl/trends.png" ] && ! grep -q warning "$work/nl.err" && ok "a newline in scenario.name keeps trends.png" \
  || bad "newline in scenario.name: $(cat "$work/nl.err")"

# Trials. A clean run to compare with.
"$bin" trial "$trial" "${short[@]}" --out "$work/t1" >/dev/null 2>&1 || bad "clean trial"
# A second trial into a folder whose lock is held exits 1 and leaves the folder alone (#7).
mkdir -p "$work/locked"
err=$(flock "$work/locked/.coherence.lock" "$bin" trial "$trial" "${short[@]}" --out "$work/locked" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && printf '%s' "$err" | grep -q "another trial is writing into this folder" && [ ! -e "$work/locked/patients.csv" ] \
  && ok "a second trial into a locked folder exits 1" || bad "locked folder (rc $rc: $err)"
# A failure during the final writes (km.png is a folder here) keeps the journal: --resume then
# finishes with the bytes of the clean run (#5); without --resume it is an error (#7).
mkdir -p "$work/fin/km.png" && touch "$work/fin/km.png/keep"
"$bin" trial "$trial" "${short[@]}" --out "$work/fin" >/dev/null 2>"$work/fin.err"
rc=$?
[ $rc -ne 0 ] && [ -e "$work/fin/patients.partial.csv" ] && [ -e "$work/fin/patients.csv" ] \
  && ok "a failed final write keeps the journal (rc $rc)" || bad "final-write failure (rc $rc): $(cat "$work/fin.err")"
expect_2 "rerun without --resume over a journal" "pass --resume to continue it" trial "$trial" "${short[@]}" --out "$work/fin"
# A damaged journal (a NUL byte; a row with a cell too few) is refused and kept (#6).
for damage in nul cells; do
  rm -rf "$work/dmg" && cp -r "$work/fin" "$work/dmg" && rm -rf "$work/dmg/km.png"
  python3 - "$work/dmg/patients.partial.csv" "$damage" <<'PY'
import sys
p, kind = sys.argv[1], sys.argv[2]
lines = open(p, "rb").read().split(b"\n")
lines[3] = lines[3][:10] + b"\0" + lines[3][10:] if kind == "nul" else lines[3].rsplit(b",", 1)[0]
open(p, "wb").write(b"\n".join(lines))
PY
  cp "$work/dmg/patients.partial.csv" "$work/dmg.journal"
  expect_2 "--resume refuses a damaged journal ($damage)" "patients.partial.csv:4: --resume: the journal is damaged" \
    trial "$trial" "${short[@]}" --out "$work/dmg" --resume
  cmp -s "$work/dmg/patients.partial.csv" "$work/dmg.journal" && cmp -s "$work/dmg/patients.csv" "$work/fin/patients.csv" \
    && ok "damaged journal ($damage) kept, patients.csv untouched" || bad "damaged journal ($damage) changed the folder"
done
rm -rf "$work/fin/km.png"
COHERENCE_PROGRESS_SECONDS=0 "$bin" trial "$trial" "${short[@]}" --out "$work/fin" --resume >/dev/null 2>"$work/fin.err" \
  || bad "--resume after the final-write failure: $(cat "$work/fin.err")"
same=1
for f in patients.csv cohort.csv summary.json analysis.json; do cmp -s "$work/t1/$f" "$work/fin/$f" || same=0; done
[ $same -eq 1 ] && [ ! -e "$work/fin/patients.partial.csv" ] && [ -s "$work/fin/km.png" ] \
  && ok "resumed after the final writes: identical outputs, journal gone" || bad "resume after final writes differs"
# Progress on a log (stderr not a terminal), here after every patient (#19).
rm -rf "$work/prog"
COHERENCE_PROGRESS_SECONDS=0 "$bin" trial "$trial" "${short[@]}" --no-plot --out "$work/prog" >/dev/null 2>"$work/prog.err"
grep -q "coherence: trial: 8/8 patients done, .* patients/s, ETA 0 s" "$work/prog.err" \
  && ok "progress lines on a log" || bad "no progress line: $(cat "$work/prog.err")"

finish "reliability cli"
