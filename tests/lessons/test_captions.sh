#!/usr/bin/env bash
# Lessons say what the model does (issue 24): every scenario with [[captions]] is run; each
# caption's claims must hold in the run (summary.json "captions"), and no caption types a model
# value by hand: numbers of model outputs come from placeholders ({ppv_pct:.0f}), filled from the
# run. A lesson with a false claim is reported (warning, holds: false).
# Usage: test_captions.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"

check_lesson() {  # summary.json scenario.toml
  python3 - "$1" "$2" <<'PY'
import json, re, sys, tomllib
summary = json.load(open(sys.argv[1]))
raw = tomllib.load(open(sys.argv[2], "rb")).get("captions", [])
problems = []
shown = summary.get("captions", [])
if len(shown) != len(raw):
    problems.append(f"summary.json has {len(shown)} captions, the scenario {len(raw)}")
for c in shown:
    for cl in c["claims"]:
        if not cl["holds"]:
            problems.append(f"caption at {c['at_min']:g} min: \"{cl['claim']}\" does not hold ({cl['values']})")
    if "{" in c["text"] or "}" in c["text"]:
        problems.append(f"caption at {c['at_min']:g} min: placeholder left unfilled: {c['text']}")
outputs = r"\b(MAP|MFI|PPV|TVD|PVD|HI|lactate|haematocrit|heart rate|HR|CRT|cardiac output|mottling)\b[^.,;:()]{0,10}?\d"
units = r"\d+(\.\d+)?\s*(mmHg|mmol/L|%|bpm|L/min)"
for c in raw:
    text = re.sub(r"\{[^}]*\}", "#", c["text"])
    for rule in (outputs, units):
        m = re.search(rule, text)
        if m:
            problems.append(f"caption at {c['at_min']:g} min types a model value by hand: '{m.group(0)}' (use a placeholder)")
for p in problems:
    print(f"{sys.argv[2]}: {p}")
sys.exit(1 if problems else 0)
PY
}

lessons=$(grep -l '^\[\[captions\]\]' "$src"/scenarios/*.toml)
[ "$(echo "$lessons" | wc -w)" -ge 5 ] && ok "five or more lessons" || bad "expected at least 5 lessons, found: $lessons"
for f in $lessons; do
  name=$(basename "$f" .toml)
  if "$bin" run "$f" --out "$work/$name" --no-plot >/dev/null 2>"$work/$name.err"; then
    check_lesson "$work/$name/summary.json" "$f" && ok "$name: captions hold" || bad "$name: a caption does not say what the run does"
    grep -q "does not hold" "$work/$name.err" && bad "$name: run warned of a false claim" || ok
  else
    bad "$name: run failed: $(tail -1 "$work/$name.err")"
  fi
done

# docs/teaching.md's model numbers are the runs' (tests/lessons/teaching_values.py; regenerate with
# `teaching_values.py docs/teaching.md RUNS --write` after `coherence run` of each lesson into RUNS).
python3 "$src/tests/lessons/teaching_values.py" "$src/docs/teaching.md" "$work" && ok "docs/teaching.md numbers are the runs'" \
  || bad "docs/teaching.md: numbers differ from the runs"
sed -E 's|(ne_cliff mfi@640 .2f -->)[0-9.]+<!-- /value -->|\19.99<!-- /value -->|' "$src/docs/teaching.md" > "$work/teaching_wrong.md"
python3 "$src/tests/lessons/teaching_values.py" "$work/teaching_wrong.md" "$work" >/dev/null && bad "a wrong number passes" \
  || ok "a wrong number in docs/teaching.md is caught"

# The check can fail: a lesson whose caption claims what the run does not do.
cp "$src/scenarios/ne_cliff.toml" "$work/false_lesson.toml"
sed -i "s|^name = .*|name = \"false lesson\"|" "$work/false_lesson.toml"
printf '\n[[captions]]\nat_min = 700\ntext = "MAP {map_mmHg:.0f} has collapsed."\nclaims = ["map_mmHg < 50"]\n' >> "$work/false_lesson.toml"
"$bin" run "$work/false_lesson.toml" --out "$work/false" --no-plot >/dev/null 2>"$work/false.err" && ok || bad "false lesson: run failed"
grep -q 'caption at 700 min: "map_mmHg < 50" does not hold (map_mmHg = ' "$work/false.err" && ok "a false claim is reported" \
  || bad "false claim not reported: $(cat "$work/false.err")"
check_lesson "$work/false/summary.json" "$work/false_lesson.toml" >/dev/null && bad "check_lesson accepts a false claim" \
  || ok "check_lesson rejects a false claim"
printf '\n[[captions]]\nat_min = 710\ntext = "MAP is 112 mmHg."\n' >> "$work/false_lesson.toml"
"$bin" run "$work/false_lesson.toml" --out "$work/false2" --no-plot >/dev/null 2>&1
check_lesson "$work/false2/summary.json" "$work/false_lesson.toml" | grep -q "types a model value by hand: 'MAP is 1" \
  && ok "a hand-typed model value is rejected" || bad "hand-typed value not caught"

finish "lesson captions"
