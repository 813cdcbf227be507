#!/usr/bin/env bash
# `coherence view` end to end: the documented screenshots are made again under Xvfb by the
# project's own script and each is checked to be the viewer (layout, video, trends, text); bad
# input exits 2 with one line; no display is a one-line runtime error, never an abort.
# Usage: test_view_cli.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
# Under the sanitizer preset, LeakSanitizer reports allocations that Mesa's software GL driver
# (dlopened by SFML) never frees at exit, outside this project's code; the viewer's own state and
# command layer runs leak-checked in the [viewer] unit tests.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}detect_leaks=0"
source "$src/tests/cli_lib.sh"

if "$src/tools/viewer_screenshots.sh" "$bin" "$work/shots" > "$work/shots.log" 2>&1; then
  for f in "$work"/shots/*.png; do
    if python3 "$src/tests/viewer/check_screenshot.py" "$f"; then ok "$(basename "$f") is the viewer"; else bad "$(basename "$f")"; fi
  done
  [ "$(ls "$work"/shots/*.png | wc -l)" -eq 4 ] && ok "four screenshots" || bad "expected four screenshots"
  # The documented images are the ones this script makes (same names).
  for f in "$work"/shots/*.png; do
    [ -f "$src/docs/images/$(basename "$f")" ] && ok "docs/images/$(basename "$f") exists" || bad "docs/images/$(basename "$f") missing"
  done
else
  bad "tools/viewer_screenshots.sh failed: $(tail -3 "$work/shots.log")"
fi

# A lesson captured at its third caption: the caption is on screen, the trends hold the hours
# before it, every strip has a scale, no text over a trace, decisions wrapped (check_layout.py).
if xvfb-run -a -s "-screen 0 1280x720x24" "$bin" view "$src/scenarios/coherence_loss_3_vasoconstriction.toml" \
     --at-caption 3 --frames 20 --screenshot "$work/caption3.png" --layout "$work/caption3.json" >/dev/null 2>&1; then
  python3 "$src/tests/viewer/check_layout.py" "$work/caption3.json" && ok "caption 3: layout (scales, no text over traces)" \
    || bad "caption 3: layout"
  grep -q "the best of the day" "$work/caption3.json" && ok "caption 3 shown" || bad "--at-caption 3: caption not shown"
  grep -q "t = 4h30" "$work/caption3.json" && ok "caption 3: the clock at its 270 min" || bad "caption 3: clock not at 4h30"
else
  bad "view --at-caption 3 --screenshot --layout failed"
fi
python3 "$src/tests/viewer/check_layout.py" <(python3 -c "
import json,sys
l=json.load(open(sys.argv[1])); l['texts'].append({'text':'2.35','size':16,'box':[l['strips'][0]['plot'][0]+5,l['strips'][0]['plot'][1]+5,20,10]})
print(json.dumps(l))" "$work/caption3.json" 2>/dev/null) >/dev/null 2>&1 && bad "check_layout.py accepts text over a trace" \
  || ok "check_layout.py rejects text over a trace"
expect_2 "at-caption beyond the lesson" "has 4 caption" view "$src/scenarios/coherence_loss_3_vasoconstriction.toml" --at-caption 9
expect_2 "layout without screenshot" "--layout needs --screenshot" view "$src/scenarios/ne_cliff.toml" --layout "$work/l.json"

# Frame-time report.
out=$(xvfb-run -a -s "-screen 0 1280x720x24" "$bin" view "$src/scenarios/ne_cliff.toml" --frames 30 --frame-times 2>/dev/null)
echo "$out" | grep -qE "^30 frames: [0-9.]+ ms per frame" && ok "--frame-times reports" || bad "--frame-times: $out"

expect_2 "screenshot without --frames" "needs --frames" view "$src/scenarios/ne_cliff.toml" --screenshot "$work/a.png"
expect_2 "screenshot into a missing folder" "no folder" view "$src/scenarios/ne_cliff.toml" --screenshot "$work/no/a.png" --frames 2
expect_2 "screenshot not .png" "must end in .png" view "$src/scenarios/ne_cliff.toml" --screenshot "$work/a.jpg" --frames 2
expect_2 "site out of range" "--site" view "$src/scenarios/ne_cliff.toml" --site 6
expect_2 "start after the end" "after the end" view "$src/scenarios/ne_cliff.toml" --start-h 99
expect_2 "unknown device" "must be sdf" view "$src/scenarios/ne_cliff.toml" --device nope --frames 2
expect_2 "missing scenario" "no such file" view "$work/missing.toml"
expect_2 "bad caption" "captions.0.text" view "$src/tests/bad_input/caption_too_long.toml" --frames 2

err=$(env -u DISPLAY "$bin" view "$src/scenarios/ne_cliff.toml" --frames 2 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q "no display" \
  && ok "no display: exit 1, one line" || bad "no display: rc=$rc err=$err"

finish "view cli"
