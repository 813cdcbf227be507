#!/usr/bin/env bash
# End-to-end tests of the `coherence` command line: outputs, determinism, exit codes, errors.
# Usage: test_cli.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"

# --version and --help succeed.
"$bin" --version | grep -q '^coherence ' && ok || bad "--version"
"$bin" run --help >/dev/null && ok || bad "run --help"

# A run writes the contracted files with the contracted columns.
"$bin" run "$src/scenarios/septic_shock_ne.toml" --out "$work/a" >/dev/null 2>&1 && ok || bad "run septic_shock_ne"
for f in timeseries.csv summary.json trends.png; do [ -s "$work/a/$f" ] && ok || bad "missing $f"; done
grep -q "<svg" "$work/a/trends.svg" && ok || bad "trends.svg missing"
# trends.png draws the run's own MAP target (70, raised to 75 by the scenario's set event at
# 12 h), not the guideline's 65, and its time axis ends where the run does.
"$bin" run "$src/scenarios/septic_shock_map_target.toml" --set protocol.map_target_mmHg=70 --out "$work/t70" \
  >/dev/null 2>&1 && ok || bad "run septic_shock_map_target at 70"
tr '\n' ' ' < "$work/t70/trends.png.gp" | grep -q "time_h,value 0,70 12,75 24,75 EOD" && ok \
  || bad "trends.png: MAP target steps 70 -> 75 at 12 h"
grep -q "MAP 65 (guideline)" "$work/t70/trends.png.gp" && bad "trends.png draws MAP 65 for a target of 70" || ok
grep -q "set xrange \[0:24\]" "$work/t70/trends.png.gp" && ok || bad "trends.png: time axis to the run's 24 h"
header=$(head -1 "$work/a/timeseries.csv")
for c in time_min map_mmHg hr_bpm co_L_per_min cvp_mmHg svr_dyn_s_per_cm5 pmsf_mmHg blood_volume_mL \
         ne_dose_ug_per_kg_min ne_plasma_ug_per_L fluids_in_mL lactate_mmol_per_L crt_s mottling_score \
         do2_mL_per_min vo2_mL_per_min mfi ppv_pct tvd_mm_per_mm2 pvd_mm_per_mm2 hi; do
  echo ",$header," | grep -q ",$c," && ok || bad "column $c missing"
done
grep -q '"status": "complete"' "$work/a/summary.json" && ok || bad "summary status"
rows=$(($(wc -l < "$work/a/timeseries.csv") - 1))
[ "$rows" -eq 865 ] && ok || bad "expected 865 rows (72 h every 5 min), got $rows"

# Determinism: a second run gives byte-identical outputs.
"$bin" run "$src/scenarios/septic_shock_ne.toml" --out "$work/b" --no-plot >/dev/null 2>&1
cmp -s "$work/a/timeseries.csv" "$work/b/timeseries.csv" && ok || bad "timeseries.csv differs between runs"

# --set changes the run.
"$bin" run "$src/scenarios/septic_shock_ne.toml" --out "$work/c" --no-plot --set events.3.dose_ug_per_kg_min=0.4 \
  >/dev/null 2>&1 && ok || bad "run with --set"
cmp -s "$work/a/timeseries.csv" "$work/c/timeseries.csv" && bad "--set had no effect" || ok

# Per-vessel dump at chosen times: the documented keys, and metrics equal to the timeseries row.
"$bin" run "$src/scenarios/septic_shock_ne.toml" --out "$work/dump" --no-plot --dump-vessels-at-min 0,60 \
  >/dev/null 2>&1 && ok || bad "run with --dump-vessels-at-min"
for f in vessels_t0min.json vessels_t60min.json; do [ -s "$work/dump/$f" ] && ok || bad "missing $f"; done
python3 - "$work/dump" <<'PY' && ok || bad "vessel dump content"
import csv, json, sys
d = json.load(open(sys.argv[1] + "/vessels_t60min.json"))
for k in ["tvd_mm_per_mm2", "pvd_mm_per_mm2", "ppv_pct", "mfi", "hi", "debacker_per_mm", "rbc_velocity_um_per_s"]:
    assert k in d, k
assert len(d["sites"]) == 5 and all("vessels" in s for s in d["sites"])
v = d["sites"][0]["vessels"][0]
for k in ["diameter_um", "length_um", "flow_class", "velocity_moving_um_per_s", "polyline_um", "cause"]:
    assert k in v, k
row = [r for r in csv.DictReader(open(sys.argv[1] + "/timeseries.csv")) if float(r["time_min"]) == 60.0][0]
assert abs(float(row["mfi"]) - d["mfi"]) < 1e-4 and abs(float(row["ppv_pct"]) - d["ppv_pct"]) < 1e-3
PY

# Rendering: same seed -> identical PNG bytes; truth.json equals the model's ground truth (the
# clean look draws the model's own site; the realistic look a connected bed, checked below).
"$bin" run "$src/scenarios/septic_shock_ne.toml" --out "$work/rt" --no-plot --dump-vessels-at-min 120 >/dev/null 2>&1
"$bin" render "$src/scenarios/septic_shock_ne.toml" --at-min 120 --site 2 --look clean --seconds 0.5 --out "$work/r1" >/dev/null 2>&1 \
  && ok || bad "render from a scenario"
"$bin" render "$src/scenarios/septic_shock_ne.toml" --at-min 120 --site 2 --look clean --seconds 0.5 --out "$work/r2" >/dev/null 2>&1
[ "$(ls "$work/r1"/frame_*.png | wc -l)" -eq 15 ] && ok || bad "expected 15 frames"
cmp -s "$work/r1/frame_0007.png" "$work/r2/frame_0007.png" && ok || bad "PNG bytes differ between runs"
python3 - "$work" <<'PY' && ok || bad "truth.json differs from the model's ground truth"
import json, sys
w = sys.argv[1]
truth = json.load(open(w + "/r1/truth.json"))
dump = json.load(open(w + "/rt/vessels_t120min.json"))
site = dump["sites"][1]
# A 0.5 s clip of the model's own site seen through the SDF image (940 x 705 um of the 940 x 750
# site): the same vessels, and the truth measures only the imaged field.
tv, sv = truth["sites"][0]["vessels"], site["vessels"]
assert len(tv) == len(sv)
assert all(a["polyline_um"] == b["polyline_um"] and a["diameter_um"] == b["diameter_um"] for a, b in zip(tv, sv))
assert truth["sites"][0]["height_um"] == 705.0 and site["height_um"] == 750.0
assert 0.85 * site["tvd_mm_per_mm2"] < truth["tvd_mm_per_mm2"] < 1.15 * site["tvd_mm_per_mm2"]
PY
"$bin" render "$src/scenarios/septic_shock_ne.toml" --at-min 120 --site 2 --look clean --seconds 4 --out "$work/r4" >/dev/null 2>&1
python3 - "$work" <<'PY' && ok || bad "4 s truth.json differs from the model's ground truth"
import json, sys
w = sys.argv[1]
truth = json.load(open(w + "/r4/truth.json"))
site = json.load(open(w + "/rt/vessels_t120min.json"))["sites"][1]
# A 4 s clip: every vessel's flow state equals the model's ground truth exactly.
for a, b in zip(truth["sites"][0]["vessels"], site["vessels"]):
    for k in ["flow_class", "velocity_moving_um_per_s", "cause"]:
        assert a[k] == b[k], (k, a[k], b[k])
assert truth["frames"] == 120 and abs(truth["um_per_px"] - 940 / 640) < 1e-12
assert len(truth["sites"][0]["vessels"][0]["velocity_per_frame_um_per_s"]) == 120
PY
"$bin" render --preset septic --seconds 0.5 --out "$work/rv" --video "$work/clip.mkv" >/dev/null 2>&1 && [ -s "$work/clip.mkv" ] \
  && ok || bad "lossless video through ffmpeg"
# --no-frames: raw frames piped into ffmpeg, no PNGs; the video decodes to the very frames the
# PNG route writes (FFV1 is lossless).
"$bin" render --preset septic --seconds 0.5 --no-frames --video "$work/nf.mkv" --out "$work/nf" >/dev/null 2>&1 \
  && [ -s "$work/nf.mkv" ] && [ -s "$work/nf/truth.json" ] && [ -s "$work/nf/motion.png" ] && ok || bad "render --no-frames"
! ls "$work/nf"/frame_*.png >/dev/null 2>&1 && ok || bad "--no-frames wrote frame PNGs"
[ "$(ffmpeg -v error -i "$work/nf.mkv" -f rawvideo -pix_fmt gray - | md5sum)" = \
  "$(ffmpeg -v error -i "$work/rv/frame_%04d.png" -f rawvideo -pix_fmt gray - | md5sum)" ] && ok || bad "--no-frames video differs from the PNG frames"
"$bin" render --preset severe --device idf --seconds 0.2 --out "$work/ri" --video "$work/clip.mp4" >/dev/null 2>&1 \
  && [ -s "$work/clip.mp4" ] && ok || bad "IDF preset with H.264 video"

# Looks: --look clean is today's renderer (the same pixels as the documented clean images of
# docs/images/make.sh); the realistic default differs from it and between the presets' frame 0
# (states visible in a still), and is deterministic too; truth.json states the look.
"$bin" render --preset septic --look clean --seconds 0.1 --out "$work/lc" >/dev/null 2>&1 && ok || bad "render --look clean"
"$bin" render --preset septic --look clean --seconds 0.1 --out "$work/lc2" >/dev/null 2>&1
cmp -s "$work/lc/frame_0002.png" "$work/lc2/frame_0002.png" && ok || bad "clean look not deterministic"
for p in healthy septic severe; do
  "$bin" render --preset $p --seconds 0.1 --out "$work/look_$p" >/dev/null 2>&1 && ok || bad "render realistic $p"
done
"$bin" render --preset septic --seconds 0.1 --threads 1 --out "$work/look_again" >/dev/null 2>&1
"$bin" render --preset septic --seconds 0.1 --threads 2 --out "$work/look_t2" >/dev/null 2>&1
diff -rq "$work/look_again" "$work/look_t2" >/dev/null && ok || bad "render output depends on --threads"
cmp -s "$work/look_septic/frame_0002.png" "$work/look_again/frame_0002.png" && ok || bad "realistic look not deterministic"
! cmp -s "$work/look_septic/frame_0000.png" "$work/lc/frame_0000.png" && ok || bad "realistic equals clean"
! cmp -s "$work/look_healthy/frame_0000.png" "$work/look_septic/frame_0000.png" && ok || bad "healthy and septic frame 0 identical"
! cmp -s "$work/look_septic/frame_0000.png" "$work/look_severe/frame_0000.png" && ok || bad "septic and severe frame 0 identical"
python3 - "$work" <<'PY' && ok || bad "look in truth.json"
import json, sys
w = sys.argv[1]
t = json.load(open(w + "/look_severe/truth.json")); c = json.load(open(w + "/lc/truth.json"))
assert t["look"]["name"] == "realistic" and t["look"]["oedema"] > 0.5 and c["look"]["name"] == "clean"
assert len(t["sites"][0]["vessel_depth_um"]) == len(t["sites"][0]["vessels"])
PY
# The realistic look's connected bed (viz/bed.hpp): flow conserved at every node of truth.json,
# no stopped venule below flowing capillaries, no capillary faster than 2500 um/s, and sepsis
# does not speed capillaries up (continuous capillaries' length-weighted mean velocity).
"$bin" render "$src/scenarios/septic_shock_ne.toml" --at-min 120 --site 2 --seconds 0.5 --out "$work/rb" >/dev/null 2>&1 \
  && ok || bad "realistic render from a scenario"
python3 - "$work" <<'PY' && ok || bad "connected bed in truth.json"
import json, sys
w = sys.argv[1]
mean = {}
for name in ["look_healthy", "look_septic", "look_severe", "rb"]:
    site = json.load(open(w + "/" + name + "/truth.json"))["sites"][0]
    nodes, vessels = site["nodes"], site["vessels"]
    flow_in = [0.0] * len(nodes); flow_out = [0.0] * len(nodes); capillary_in = [0.0] * len(nodes)
    for v in vessels:
        flow_out[v["from_node"]] += v["mean_flow_um3_per_s"]; flow_in[v["to_node"]] += v["mean_flow_um3_per_s"]
        if v["small"]: capillary_in[v["to_node"]] += v["mean_flow_um3_per_s"]
    for n, node in enumerate(nodes):
        if node["kind"] in ("junction", "drain"):
            assert abs(flow_in[n] - flow_out[n]) <= 1e-9 * max(1.0, flow_in[n]), (name, n, flow_in[n], flow_out[n])
    for v in vessels:
        if not v["small"] and capillary_in[v["from_node"]] > 0:
            assert v["velocity_moving_um_per_s"] > 0 and v["flow_class"] != "none", (name, v["id"])
        assert v["small"] or 20 <= v["diameter_um"] <= 100
    small = [v for v in vessels if v["small"]]
    assert max(v["velocity_moving_um_per_s"] for v in small) <= 2500.0, name
    cont = [v for v in small if v["visible"] and v["flow_class"] == "continuous"]
    mean[name] = sum(v["velocity_moving_um_per_s"] * v["length_um"] for v in cont) / sum(v["length_um"] for v in cont)
assert mean["look_severe"] <= mean["look_healthy"] and mean["look_septic"] <= mean["look_healthy"], mean
PY
# render-check measures rendered PNGs (pixel size from truth.json) the same way as in memory.
"$bin" render-check "$work/look_septic/frame_0000.png" > "$work/rc_png.txt" 2>&1 && ok || bad "render-check on a PNG"
"$bin" render-check > "$work/rc_mem.txt" 2>&1 && ok || bad "render-check built-in set"
python3 - "$work" <<'PY' && ok || bad "render-check: PNG and in-memory frame 0 disagree"
import sys, re
w = sys.argv[1]
png = open(w + "/rc_png.txt").read().splitlines()[1:]
mem = {l[:46].strip(): l[46:].split()[1] for l in open(w + "/rc_mem.txt").read().splitlines()[1:1 + len(png)]}
assert len(png) >= 10 and len(mem) == len(png)
for l in png:
    name, value = l[:48].strip(), l[48:].split()[0]
    assert mem[name] == value, (name, mem[name], value)
PY
for args in "$work/no_such.png --um-per-px 1|cannot read" "--docs $work|needs --real"; do
  "$bin" render-check ${args%%|*} >/dev/null 2>"$work/err"; rc=$?
  [ $rc -eq 2 ] && [ "$(wc -l < "$work/err")" -eq 1 ] && grep -qF -- "${args#*|}" "$work/err" && ok \
    || bad "render-check bad input '${args%%|*}': exit $rc, $(cat "$work/err")"
done

# Class-fraction clips: the truth follows the requested mix; masks on request.
"$bin" render --class-fractions 0.1,0.1,0.2,0.6 --seconds 4 --masks --out "$work/cf" >/dev/null 2>&1 && ok || bad "class fractions"
for f in mask_vessels.png mask_classes.png motion.png; do [ -s "$work/cf/$f" ] && ok || bad "missing $f"; done
python3 - "$work/cf/truth.json" <<'PY' && ok || bad "class-fraction truth"
import json, sys
t = json.load(open(sys.argv[1]))
assert abs(t["ppv_pct"] - 80.0) < 6.0, t["ppv_pct"]
PY

# Closed loop: decisions.csv explains every action; summary.json reports controller performance.
"$bin" run "$src/scenarios/septic_shock_map_target.toml" --out "$work/mt" --no-plot >/dev/null 2>&1 && ok || bad "map_target run"
python3 - "$work/mt" <<'PY' && ok || bad "decisions.csv / map_control"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/decisions.csv")))
assert rows and all(r["action"] and r["reason"] for r in rows)
assert all(r["protocol"] == "map_target" for r in rows)
s = json.load(open(sys.argv[1] + "/summary.json"))
assert s["protocol"] == "map_target" and s["map_control"]["within_5_mmHg_pct"] >= 85.0
PY

# Circulatory arrest: refractory sepsis without treatment stops the run with its own status.
"$bin" run "$src/scenarios/septic_shock_untreated.toml" --set sepsis.severity=1 --set scenario.duration_h=48 \
  --out "$work/arrest" --no-plot >/dev/null 2>&1 && ok || bad "arrest run should exit 0"
grep -q '"status": "circulatory_arrest"' "$work/arrest/summary.json" && ok || bad "arrest status missing"
grep -q '"circulatory_arrest_at_min"' "$work/arrest/summary.json" && ok || bad "arrest time missing"

# Bad input: exit 2, exactly one line on stderr naming the file, no outputs presented.
check_bad() {  # name, expected fragment, args...
  local name=$1 fragment=$2
  shift 2
  local out="$work/bad_$name"
  "$bin" "${SUB:-run}" "$@" --out "$out" >/dev/null 2>"$work/err"
  local rc=$?
  [ $rc -eq 2 ] || { bad "$name: exit $rc, expected 2"; return; }
  [ "$(wc -l < "$work/err")" -eq 1 ] || { bad "$name: stderr is not one line: $(cat "$work/err")"; return; }
  grep -qF -- "$fragment" "$work/err" || { bad "$name: '$fragment' not in: $(cat "$work/err")"; return; }
  [ ! -e "$out/summary.json" ] || { bad "$name: summary.json written"; return; }
  ok
}
for f in "$src"/tests/bad_input/*.toml; do
  check_bad "$(basename "$f" .toml)" "$f:" "$f"
done
check_bad dump_outside "must lie within the scenario" "$src/scenarios/healthy_adult.toml" --dump-vessels-at-min 99999
SUB=render check_bad render_both "either a scenario file or --preset" "$src/scenarios/healthy_adult.toml" --preset septic
SUB=render check_bad render_dial "must lie in [0, 1]" "$src/scenarios/healthy_adult.toml" --saliva 3
SUB=render check_bad render_device "unknown device" "$src/scenarios/healthy_adult.toml" --device oct
SUB=render check_bad render_video "must end in .mkv" "$src/scenarios/healthy_adult.toml" --video clip.avi
SUB=render check_bad render_look "must be clean or realistic" --preset septic --look glossy
SUB=render check_bad render_no_frames "needs --video" --preset septic --no-frames
SUB=render check_bad render_look_dial "must lie in [0, 1]" --preset septic --texture 1.5
SUB=render check_bad render_clean_dial "needs --look realistic" --preset septic --look clean --debris 0.5
SUB=render check_bad fractions_sum "must sum to 1" --class-fractions 0.5,0.5,0.5,0.5
SUB=render check_bad fractions_form "expected four numbers" --class-fractions 0.5,0.5
check_bad missing_file "no such file" "$src/scenarios/does_not_exist.toml"
check_bad unknown_set "unknown key 'patient.wieght_kg'" "$src/scenarios/healthy_adult.toml" --set patient.wieght_kg=80
check_bad malformed_set "expected KEY=VALUE" "$src/scenarios/healthy_adult.toml" --set weight
check_bad wrong_type_set "must be a number" "$src/scenarios/healthy_adult.toml" --set patient.saps2=high
"$bin" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown subcommand should exit 2"

# compare: two runs of one patient under two protocols, side by side.
"$bin" run "$src/scenarios/macro_vs_micro.toml" --out "$work/p_macro" --no-plot >/dev/null 2>&1 && ok || bad "run macro_vs_micro"
"$bin" run "$src/scenarios/macro_vs_micro.toml" --set protocol.name=micro_guided --out "$work/p_micro" --no-plot \
  >/dev/null 2>&1 && ok || bad "run macro_vs_micro micro_guided"
"$bin" compare "$work/p_macro" "$work/p_micro" --out "$work/cmp" >"$work/cmp.txt" 2>&1 && ok || bad "compare"
[ -s "$work/cmp/comparison.png" ] && ok || bad "comparison.png missing"
grep -q "<svg" "$work/cmp/comparison.svg" && ok || bad "comparison.svg missing"
python3 - "$work/cmp/comparison.csv" "$work/p_micro/summary.json" "$work/p_micro/decisions.csv" <<'PY' && ok || bad "comparison.csv / measurements / decisions"
import csv, json, sys
rows = {r["protocol"]: r for r in csv.DictReader(open(sys.argv[1]))}
macro, micro = rows["macro_first"], rows["micro_guided"]
assert float(micro["ne_ug_per_kg_min_last"]) < float(macro["ne_ug_per_kg_min_last"]), rows
assert float(micro["mfi_last"]) > float(macro["mfi_last"]), rows
s = json.load(open(sys.argv[2]))
assert set(s["measurements"]) == {"h6", "h24"}, s["measurements"].keys()
assert s["measurements"]["h6"]["time_min"] == 360.0
# The whole-run exposure figures are the run's summary.json's (one function, one name).
for k in ("ne_above_0_8_h", "ne_cumulative_mg", "dobutamine_h", "nitroglycerin_h"):
    assert micro[k] == "%.6g" % s[k], (k, micro[k], s[k])
d = list(csv.DictReader(open(sys.argv[3])))
assert all(r["reason"] for r in d) and any(r["action"] in ("lower MAP target", "start dobutamine") for r in d)
assert "map_target_mmHg" in d[0] and "dobutamine_after_ug_per_kg_min" in d[0]
PY
SUB=compare
"$bin" compare "$work/p_macro" "$src/scenarios" --out "$work/bad_cmp" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q "not a run folder" "$work/err" && [ "$(wc -l < "$work/err")" -eq 1 ] && ok || bad "compare with a non-run folder: exit $rc, $(cat "$work/err")"
"$bin" compare "$work/p_macro" "$work/p_micro" --label one --out "$work/bad_cmp" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q "give one per run" "$work/err" && ok || bad "compare label count: exit $rc"
unset SUB

# A set event changes a patient key mid-run: the same scenario without it differs only after it
# (before it, only at the solver's tolerance, relative 1e-4 or ~0.006 mmHg at MAP 60: the event's
# stop time shapes the last steps before it).
cat > "$work/set.toml" <<'TOML'
[scenario]
name = "set event"
duration_h = 4
[sepsis]
onset_min = -120
severity = 0.7
[[events]]
at_min = 120
action = "set"
key = "patient.baroreflex_gain"
value = 0.2
TOML
"$bin" run "$work/set.toml" --out "$work/set_a" --no-plot >/dev/null 2>&1 && ok || bad "run with a set event"
sed '/\[\[events\]\]/,$d' "$work/set.toml" > "$work/noset.toml"
"$bin" run "$work/noset.toml" --out "$work/set_b" --no-plot >/dev/null 2>&1 && ok || bad "run without the set event"
python3 - "$work/set_a/timeseries.csv" "$work/set_b/timeseries.csv" <<'PY' && ok || bad "set event effect"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
before = [abs(float(x["map_mmHg"]) - float(y["map_mmHg"])) for x, y in zip(a, b) if float(x["time_min"]) <= 120]
after = [abs(float(x["map_mmHg"]) - float(y["map_mmHg"])) for x, y in zip(a, b) if float(x["time_min"]) >= 180]
assert max(before) < 0.02, max(before)
assert max(after) > 0.5, max(after)
PY

# score: a rendered clip scored from its PNG frames, and the same frames encoded by ffmpeg into two
# containers/codecs (lossless FFV1 .mkv, lossy H.264 .mp4) score within tolerance of the PNGs.
# The scoring pipeline's accuracy is stated for the clean look (docs/scoring.md): ask for it.
"$bin" render --preset septic --look clean --seconds 2 --seed 11 --out "$work/sc" --video "$work/sc.mkv" >/dev/null 2>&1 && ok || bad "render for scoring"
ffmpeg -v error -y -framerate 30 -i "$work/sc/frame_%04d.png" -c:v libx264 -crf 12 -pix_fmt yuv420p "$work/sc.mp4" \
  && ok || bad "ffmpeg H.264 encode"
"$bin" score "$work/sc" --json "$work/sc_png.json" --csv "$work/sc.csv" --overlay "$work/sc_ov" >/dev/null 2>&1 \
  && ok || bad "score a PNG folder"
[ -s "$work/sc_ov/overlay_site1.png" ] && [ -s "$work/sc.csv" ] && ok || bad "overlay / vessels CSV missing"
# The overlay: the scored panel with the truth panel beside it (truth.json lies in the folder) over
# a legend strip; without truth.json (frames copied alone) the scored panel only; a truth.json of
# another frame size gives a note and no truth panel.
mkdir -p "$work/sc_alone" "$work/sc_other" && cp "$work"/sc/frame_*.png "$work/sc_alone/" && cp "$work"/sc/frame_*.png "$work/sc_other/"
python3 -c "import json,sys; t=json.load(open(sys.argv[1])); t['width_px']=320; json.dump(t, open(sys.argv[2],'w'))" \
  "$work/sc/truth.json" "$work/sc_other/truth.json"
"$bin" score "$work/sc_alone" --um-per-px 1.46875 --fps 30 --overlay "$work/sc_ov_alone" --json "$work/sc_alone.json" >/dev/null 2>&1 \
  && ok || bad "score frames without truth.json"
"$bin" score "$work/sc_other" --overlay "$work/sc_ov_other" --json "$work/sc_other.json" >/dev/null 2>"$work/sc_other.err" \
  && grep -q "overlay without a truth panel: 320x480 px, the clip is 640x480" "$work/sc_other.err" \
  && ok "overlay: a truth.json of another size is noted, not drawn" || bad "overlay truth size note: $(cat "$work/sc_other.err")"
python3 - "$work" <<'PY' && ok "overlay: scored + truth panels over a legend; scored only without truth.json" || bad "overlay layout"
import struct, sys
w = sys.argv[1]
def size(p):
    b = open(p, "rb").read(24)
    assert b[:8] == b"\x89PNG\r\n\x1a\n", p
    return struct.unpack(">II", b[16:24])
tw, th = size(f"{w}/sc_ov/overlay_site1.png")
aw, ah = size(f"{w}/sc_ov_alone/overlay_site1.png")
ow, oh = size(f"{w}/sc_ov_other/overlay_site1.png")
assert (tw, aw, ow) == (1280, 640, 640), (tw, aw, ow)
assert th == ah == oh and 480 < th <= 600, (th, ah, oh)
PY
"$bin" score "$work/sc.mkv" --um-per-px 1.46875 --json "$work/sc_mkv.json" >/dev/null 2>&1 && ok || bad "score FFV1 video"
"$bin" score "$work/sc.mp4" --um-per-px 1.46875 --json "$work/sc_mp4.json" >/dev/null 2>&1 && ok || bad "score H.264 video"
python3 - "$work" <<'PY' && ok || bad "video scores differ from the PNG score"
import json, sys
w = sys.argv[1]
png = json.load(open(w + "/sc_png.json")); truth = json.load(open(w + "/sc/truth.json"))
for k in ["tvd_mm_per_mm2", "pvd_mm_per_mm2", "ppv_pct", "mfi", "hi", "debacker_per_mm", "rbc_velocity_um_per_s"]:
    assert k in png and k in png["sites"][0] or k == "hi", k
assert abs(png["fps"] if "fps" in png else png["sites"][0]["fps"] - 30) < 1e-9
for name in ["sc_mkv", "sc_mp4"]:
    v = json.load(open(w + "/" + name + ".json"))
    assert abs(v["tvd_mm_per_mm2"] - png["tvd_mm_per_mm2"]) < 1.5, (name, v["tvd_mm_per_mm2"], png["tvd_mm_per_mm2"])
    assert abs(v["ppv_pct"] - png["ppv_pct"]) < 5, (name, v["ppv_pct"], png["ppv_pct"])
    assert abs(v["mfi"] - png["mfi"]) < 0.5, (name, v["mfi"], png["mfi"])
# ... and the PNG score is near the truth (the full accuracy check is `coherence score-check`).
assert abs(png["tvd_mm_per_mm2"] - truth["tvd_mm_per_mm2"]) < 3.5, (png["tvd_mm_per_mm2"], truth["tvd_mm_per_mm2"])
PY
# score-check's scenario sites come from a folder of scenario files: a missing one is bad input.
expect_2 "score-check without its scenarios folder" "--scenarios $work/no_such_dir: no such folder" \
  score-check --scenarios "$work/no_such_dir" --clips 1
# Same input, same bytes.
"$bin" score "$work/sc" --json "$work/sc_png2.json" >/dev/null 2>&1
cmp -s "$work/sc_png.json" "$work/sc_png2.json" && ok || bad "score is not deterministic"
# Bad scoring input: one line, exit 2, no output.
score_bad() {
  local name=$1 fragment=$2; shift 2
  "$bin" score "$@" --json "$work/bad_$name.json" >/dev/null 2>"$work/err"
  local rc=$?
  [ $rc -eq 2 ] || { bad "score $name: exit $rc, expected 2 ($(cat "$work/err"))"; return; }
  [ "$(wc -l < "$work/err")" -eq 1 ] || { bad "score $name: stderr is not one line"; return; }
  grep -qF -- "$fragment" "$work/err" || { bad "score $name: '$fragment' not in: $(cat "$work/err")"; return; }
  [ ! -e "$work/bad_$name.json" ] || { bad "score $name: JSON written"; return; }
  ok
}
mkdir -p "$work/empty_frames"
score_bad empty "no PNG frames" "$work/empty_frames"
score_bad missing "no such file" "$work/nothing_here"
printf 'not a video' > "$work/garbage.mp4"
score_bad garbage "not a video ffmpeg can read" "$work/garbage.mp4" --um-per-px 1.5
: > "$work/zero.mkv"
score_bad zero "empty file" "$work/zero.mkv" --um-per-px 1.5
mkdir -p "$work/mixed" && cp "$work/sc/frame_0000.png" "$work/mixed/frame_0000.png" && cp "$src/docs/images/render_idf_septic.png" "$work/mixed/frame_0001.png"
score_bad mismatched "frames must match" "$work/mixed" --um-per-px 1.5 --fps 30
mkdir -p "$work/nometa" && cp "$work/sc/frame_0000.png" "$work/sc/frame_0001.png" "$work/nometa/"
score_bad nometa "pixel size unknown" "$work/nometa"
score_bad negative "not in range 0.05" "$work/sc" --um-per-px -1

# Closed loop: micro_guided measures the microcirculation by render + score (5 sites of video;
# 2 s clips: the scorer refuses flow measures from shorter ones, and a refused clip is no measurement).
for k in 1 2; do
  "$bin" run "$src/scenarios/macro_vs_micro.toml" --set protocol.name=micro_guided --set monitoring.micro_method=render_score \
    --set monitoring.micro_seconds=2 --set scenario.duration_h=5 --set measurements.0.at_min=240 \
    --set measurements.1.at_min=300 --out "$work/rs$k" --no-plot >/dev/null 2>&1 && ok || bad "run with render_score monitoring"
done
cmp -s "$work/rs1/decisions.csv" "$work/rs2/decisions.csv" && ok || bad "render_score run is not deterministic"
python3 - "$work/rs1/decisions.csv" <<'PY' && ok || bad "render_score measurement missing from decisions.csv"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["micro_measured_min"]]
assert rows, "no micro measurement seen"
assert all(0.0 <= float(r["mfi"]) <= 3.0 and 0.0 <= float(r["ppv_pct"]) <= 100.0 for r in rows)
PY

finish "cli"
