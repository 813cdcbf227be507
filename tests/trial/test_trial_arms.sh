#!/usr/bin/env bash
# `coherence trial` with [[arms]], [[inclusion]], exposure columns, --decisions, --replay and the
# bad input of those keys (issue 25). Usage: test_trial_arms.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"
sed 's|scenario = "../../scenarios/|scenario = "'"$src"'/scenarios/|' "$src/tests/trial/trial_arms.toml" > "$work/arms.toml"
trial="$work/arms.toml"
short=(--set scenario.duration_h=25)

"$bin" trial "$trial" "${short[@]}" --threads 1 --decisions --out "$work/a1" > "$work/a1.txt" || bad "arms trial --threads 1 runs"
"$bin" trial "$trial" "${short[@]}" --threads 2 --decisions --out "$work/a2" >/dev/null || bad "arms trial --threads 2 runs"
cmp -s "$work/a1/patients.csv" "$work/a2/patients.csv" && ok "arms: --threads 1 and 2 give identical patients.csv" || bad "arms: threads differ"
diff -r "$work/a1/decisions" "$work/a2/decisions" >/dev/null && ok "decision logs identical at 1 and 2 threads" || bad "decision logs differ"
n_logs=$(ls "$work/a1/decisions" | wc -l)
[ "$n_logs" -eq 16 ] && ok "16 decision logs (8 patients x 2 arms)" || bad "expected 16 decision logs, got $n_logs"
grep -q "screened 8, excluded" "$work/a1.txt" && ok "printed summary has the CONSORT counts" || bad "no CONSORT line: $(cat "$work/a1.txt")"

python3 - "$work/a1" <<'PY' || bad "arms: the patients.csv / summary.json checks"
import csv, json, os, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "patients.csv"))))
s = json.load(open(os.path.join(d, "summary.json")))
a = json.load(open(os.path.join(d, "analysis.json")))
fails = []
def check(what, cond):
    print(("ok: " if cond else "FAILED: ") + what)
    if not cond: fails.append(what)
check("arm and protocol columns: one protocol in two arms",
      {r["arm"] for r in rows} == {"map_65", "map_80"} and {r["protocol"] for r in rows} == {"macro_first"})
excluded = {r["patient_id"] for r in rows if r["status"] == "excluded"}
enrolled = {r["patient_id"] for r in rows if r["status"] != "excluded"}
c = s["consort"]
check("CONSORT: screened 8 = excluded %d + randomised %d" % (c["excluded"], c["randomised"]),
      c["screened"] == 8 and c["excluded"] + c["randomised"] == 8 and c["excluded"] == len(excluded)
      and c["excluded_by"].get("lactate_ge_3") == len(excluded))
check("some patients excluded and some enrolled (%d / %d)" % (len(excluded), len(enrolled)), excluded and enrolled)
# Excluded patients' admission lactate is below 3 in the reason; enrolled ones have it >= 3 (3, not 2: with phys-metab + phys-course all 8 start above 2).
ok_lac = all(float(r["lactate_0h_mmol_per_L"]) >= 3.0 for r in rows if r["status"] != "excluded")
check("every enrolled patient has lactate >= 2 at 0 h", ok_lac)
check("excluded rows say why", all("lactate_ge_3" in r["reason"] and "below 3" in r["reason"] for r in rows if r["status"] == "excluded"))
by = {(r["patient_id"], r["arm"]): r for r in rows if r["status"] != "excluded"}
f = lambda r, k: float(r[k])
pairs = [(by[(p, "map_65")], by[(p, "map_80")]) for p in enrolled]
mean = lambda v: sum(v) / len(v)
check("MAP 80 arm: day-1 MAP above the 65 arm's by >= 8 mmHg on average (%.1f)" % mean([f(b, "day1_map_mmHg") - f(a, "day1_map_mmHg") for a, b in pairs]),
      mean([f(b, "day1_map_mmHg") - f(a, "day1_map_mmHg") for a, b in pairs]) >= 8)
check("MAP 80 arm: MAP >= 65 at least as much of the time in every pair",
      all(f(b, "time_map_ge_65_pct") >= f(a, "time_map_ge_65_pct") for a, b in pairs))
check("MAP 80 arm: more hours on NE in most pairs and more NE on average",
      sum(f(b, "ne_h") > f(a, "ne_h") for a, b in pairs) > len(pairs) / 2
      and mean([f(b, "ne_cumulative_mg") - f(a, "ne_cumulative_mg") for a, b in pairs]) > 0)
check("MAP 80 arm: no hypotension area below 65 greater than the 65 arm's",
      all(f(b, "hypotension_area_mmHg_h") <= f(a, "hypotension_area_mmHg_h") + 1e-9 for a, b in pairs))
check("exposure: hours on NE within the run (0-25 h), decisions > 0",
      all(0 <= f(r, "ne_h") <= 25 and f(r, "decisions") > 0 for r in by.values()))
check("cohort variable on an event key is drawn within [50, 150]",
      all(50 <= float(r["events.0.rate_mL_per_h"]) <= 150 for r in rows))
cmp = a["paired_comparisons"][0]
rd = cmp["death_28d"]["risk_difference"]
check("paired risk difference with a Newcombe interval", "ci_low" in rd and rd["ci_low"] <= rd["estimate"] <= rd["ci_high"])
check("predicted mortality compared in pairs", "paired_t" in cmp["outcomes"]["predicted_mortality_28d"])
check("Cox stratified by patient present", "cox_stratified" in cmp["survival"] and "cox" not in cmp["survival"])
# No null p with a [0, 0] interval anywhere: either a number or not_computed.
def walk(j):
    if isinstance(j, dict):
        if "p" in j and j["p"] is None: return False
        return all(walk(v) for v in j.values())
    if isinstance(j, list): return all(walk(v) for v in j)
    return True
check("no statistic reported as p: null", walk(a))
sys.exit(1 if fails else 0)
PY

# --decisions logs have decisions.csv's header and one row per decision (the decisions column).
python3 - "$work/a1" <<'PY' && ok "each decision log has as many rows as the patient's decisions column" || bad "decision logs do not match the decisions column"
import csv, os, sys
d = sys.argv[1]
for r in csv.DictReader(open(os.path.join(d, "patients.csv"))):
    log = os.path.join(d, "decisions", "patient_%s_%s.csv" % (r["patient_id"], r["arm"]))
    n = sum(1 for _ in open(log)) - 1
    want = 0 if r["status"] == "excluded" else int(float(r["decisions"]))
    assert n == want, (log, n, want)
PY

# --replay: the patient's rows are the trial's bytes; the run's timeseries reproduces with `run`.
pid=$(awk -F, 'NR > 1 && $4 != "excluded" {print $1; exit}' "$work/a1/patients.csv")
"$bin" trial "$trial" "${short[@]}" --replay "$pid" --out "$work/r" >/dev/null || bad "--replay runs"
if cmp -s <(grep "^$pid," "$work/a1/patients.csv") <(tail -n +2 "$work/r/patients.csv"); then ok "--replay $pid: patients.csv rows byte-identical to the trial's"; else bad "--replay rows differ"; fi
cmp -s "$work/r/decisions_map_80.csv" "$work/a1/decisions/patient_${pid}_map_80.csv" && ok "--replay decisions identical to the trial's log" || bad "--replay decisions differ"
"$bin" trial "$trial" "${short[@]}" --replay "$pid" --arm map_80 --out "$work/r80" >/dev/null || bad "--replay --arm runs"
cmp -s <(grep "^$pid,macro_first,map_80," "$work/a1/patients.csv") <(tail -n +2 "$work/r80/patients.csv") && ok "--replay --arm map_80: the row is the trial's" || bad "--replay --arm row differs"
cmd=$(sed -n 's/^# arm map_80: coherence run //p' "$work/r/overrides.txt")
# shellcheck disable=SC2086
"$bin" run $cmd --out "$work/run" --no-plot >/dev/null && cmp -s "$work/run/timeseries.csv" "$work/r/timeseries_map_80.csv" \
  && ok "coherence run with overrides.txt's keys gives the replayed timeseries" || bad "run with the replay's overrides differs"
# The run's summary.json and the trial's patients.csv row of that patient and arm: the same figure
# under the same name (one function computes both; patients.csv holds 6 significant digits).
python3 - "$work/run/summary.json" "$work/a1/patients.csv" "$pid" <<'PY' && ok "summary.json and patients.csv agree on the exposure figures and status" || bad "summary.json and patients.csv disagree"
import csv, json, sys
s = json.load(open(sys.argv[1]))
row = next(r for r in csv.DictReader(open(sys.argv[2])) if r["patient_id"] == sys.argv[3] and r["arm"] == "map_80")
pairs = [(k, s[k]) for k in ("ne_cumulative_mg", "ne_peak_ug_per_kg_min", "ne_above_0_8_h", "map_below_65_h",
                             "dobutamine_h", "nitroglycerin_h", "vasopressin_h")]
pairs += [(k, s["final"][k]) for k in ("fluids_in_mL", "fluid_balance_mL")]
bad = [(k, v, row[k]) for k, v in pairs if "%.6g" % v != row[k]]
print("compared:", ", ".join("%s=%s" % (k, row[k]) for k, _ in pairs))
if s["status"] != row["status"]: bad.append(("status", s["status"], row["status"]))
if bad: print("differ (name, summary.json, patients.csv):", bad)
sys.exit(1 if bad else 0)
PY

# --set outcome_model.* reaches the outcome model (a higher intercept: higher predicted mortality).
"$bin" trial "$trial" "${short[@]}" --set outcome_model.intercept=0.5 --no-plot --out "$work/om" >/dev/null || bad "--set outcome_model.intercept runs"
python3 - "$work/a1/summary.json" "$work/om/summary.json" <<'PY' && ok "--set outcome_model.intercept=0.5 raises predicted mortality" || bad "outcome_model override had no effect"
import json, sys
a, b = (json.load(open(f))["by_arm"]["map_65"]["mean_predicted_mortality_28d"] for f in sys.argv[1:3])
print("predicted mortality %.3f -> %.3f" % (a, b)); sys.exit(0 if b > a + 0.1 else 1)
PY

# kill -9 and --resume with --decisions: identical bytes and logs.
for attempt in 1 2 3; do
  rm -rf "$work/k"
  "$bin" trial "$trial" "${short[@]}" --threads 2 --decisions --out "$work/k" >/dev/null 2>&1 &
  pid_k=$!
  for _ in $(seq 1 400); do
    n=$(grep -c '^[0-9]' "$work/k/patients.partial.csv" 2>/dev/null); n=${n:-0}
    [ "$n" -ge 4 ] && break
    kill -0 $pid_k 2>/dev/null || break
    sleep 0.02
  done
  kill -9 $pid_k 2>/dev/null; wait $pid_k 2>/dev/null
  [ -e "$work/k/patients.partial.csv" ] && break
done
if [ -e "$work/k/patients.partial.csv" ]; then
  "$bin" trial "$trial" "${short[@]}" --threads 2 --decisions --out "$work/k" --resume >/dev/null || bad "--resume --decisions runs"
  cmp -s "$work/a1/patients.csv" "$work/k/patients.csv" && diff -r "$work/a1/decisions" "$work/k/decisions" >/dev/null \
    && ok "kill -9, --resume --decisions: patients.csv and logs identical" || bad "resumed arms trial differs"
else
  bad "could not interrupt the arms trial"
fi

# Help lists every output and option.
help=$("$bin" trial --help)
missing=""
for w in patients.csv cohort.csv summary.json analysis.json km.png forest.png ne_vs_micro.png decisions/ \
         patients.partial.csv --set --patients --seed --threads --out --resume --no-plot --decisions --replay --arm --docs; do
  printf '%s' "$help" | grep -q -- "$w" || missing="$missing $w"
done
[ -z "$missing" ] && ok "trial --help names every output and option" || bad "trial --help lacks:$missing"

# Bad input: exit 2 and one line naming file, line, key, value and rule.
edit() { sed "$2" "$trial" > "$work/$1.toml"; }
edit b1 's|^name = "map_80"|name = "map_65"|'
expect_2 "two arms with one name" "b1.toml:[0-9]*: arms\[\].name: 'map_65' used twice" trial "$work/b1.toml" --out "$work/x"
edit b2 's|settings.protocol.map_target_mmHg = 80|settings.protocol.map_target_mmHg = 200|'
expect_2 "an arm's setting out of range" "b2.toml:[0-9]*: arms\[map_80\].settings.*map_target_mmHg.*200" trial "$work/b2.toml" --out "$work/x"
edit b3 's|settings.protocol.map_target_mmHg = 80|settings.protocol.map_targt_mmHg = 80|'
expect_2 "an arm's unknown setting" "b3.toml:[0-9]*: arms\[map_80\].settings.protocol.map_targt_mmHg: value 80" trial "$work/b3.toml" --out "$work/x"
edit b4 's|^protocol = "macro_first"$|protocol = "guess"|'
expect_2 "an arm's unknown protocol" "b4.toml:[0-9]*: arms\[\].protocol: 'guess'" trial "$work/b4.toml" --out "$work/x"
edit b5 's|^key = "sepsis.severity"|key = "protocol.map_target_mmHg"|; s|^min = 0.5|min = 60|; s|^max = 1.0|max = 70|'
expect_2 "a cohort variable an arm also sets" "b5.toml:[0-9]*: cohort.variables\[\].key: 'protocol.map_target_mmHg' is drawn per patient by the cohort and set by arm 'map_80'" trial "$work/b5.toml" --out "$work/x"
expect_2 "--set on a key an arm sets" "arms\[map_80\].settings.protocol.map_target_mmHg: value 80: --set protocol.map_target_mmHg=70" trial "$trial" --set protocol.map_target_mmHg=70 --out "$work/x"
expect_2 "--set on a key the cohort draws" "--set sepsis.severity=0.7: sepsis.severity is drawn per patient by the cohort" trial "$trial" --set sepsis.severity=0.7 --out "$work/x"
edit b6 's|^column = "lactate_mmol_per_L"|column = "lactate"|'
expect_2 "inclusion on an unknown column" "b6.toml:[0-9]*: inclusion\[\].column: 'lactate' is not a column" trial "$work/b6.toml" --out "$work/x"
edit b7 's|^at_min = 0$|at_min = 30|'
expect_2 "inclusion after the protocol's start" "b7.toml:[0-9]*: inclusion\[\].at_min: value 30 outside \[0, 0\]" trial "$work/b7.toml" --out "$work/x"
edit b8 's|^name = "Test arms"|name = "Test arms"\nprotocols = ["macro_first"]|'
expect_2 "protocols and [[arms]] together" "b8.toml:[0-9]*: trial.protocols: give trial.protocols or \[\[arms\]\], not both" trial "$work/b8.toml" --out "$work/x"
edit b9 's|^key = "sepsis.severity"|key = "scenario.seed"|'
expect_2 "a cohort variable on scenario.*" "b9.toml:[0-9]*: cohort.variables\[\].key: 'scenario.seed'" trial "$work/b9.toml" --out "$work/x"
expect_2 "--set an unknown outcome_model key" "--set outcome_model.slope=1: unknown outcome_model key" trial "$trial" --set outcome_model.slope=1 --out "$work/x"
expect_2 "--set an outcome_model key out of range" "outcome_model.intercept: value 50 outside" trial "$trial" --set outcome_model.intercept=50 --out "$work/x"
expect_2 "--arm without --replay" "--arm NAME goes with --replay" trial "$trial" --arm map_80 --out "$work/x"
expect_2 "--replay of an unknown arm" "no arm 'map_99' (arms: map_65, map_80)" trial "$trial" --replay 2 --arm map_99 --out "$work/x"
expect_2 "--replay beyond the cohort" "--replay 99: the trial has 8 patients" trial "$trial" --replay 99 --out "$work/x"
sed 's|protocols = \["macro_first", "micro_guided"\]|protocols = ["macro_first", "macro_first"]|; s|scenario = "../../scenarios/|scenario = "'"$src"'/scenarios/|' "$src/tests/trial/trial_small.toml" > "$work/b10.toml"
expect_2 "one protocol listed twice points to [[arms]]" "'macro_first' listed twice (one protocol at two settings: use \[\[arms\]\]" trial "$work/b10.toml" --out "$work/x"

# [[comparisons]]: any pair of arms. A third arm and two chosen comparisons; the map_80 - map_65
# comparison is the default one of the two-arm run (same patients, same pairs): identical numbers.
cat "$trial" > "$work/cmp.toml"
cat >> "$work/cmp.toml" <<'TOML'

[[arms]]
name = "map_72"
protocol = "macro_first"
settings.protocol.map_target_mmHg = 72

[[comparisons]]
arm = "map_80"
reference = "map_65"

[[comparisons]]
arm = "map_80"
reference = "map_72"
TOML
"$bin" trial "$work/cmp.toml" "${short[@]}" --threads 2 --out "$work/c1" >/dev/null || bad "trial with [[comparisons]] runs"
python3 - "$work/a1/analysis.json" "$work/c1/analysis.json" <<'PY' && ok "[[comparisons]]: the chosen pairs, in order; map_80 - map_65 equals the two-arm run's" || bad "[[comparisons]] wrong"
import json, sys
a = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
pc = c["paired_comparisons"]
assert [x["difference"] for x in pc] == ["map_80 - map_65", "map_80 - map_72"], [x["difference"] for x in pc]
assert pc[0]["outcomes"] == a["paired_comparisons"][0]["outcomes"]
assert pc[0]["death_28d"] == a["paired_comparisons"][0]["death_28d"]
assert pc[1]["reference"] == "map_72" and pc[1]["pairs"] > 0
PY
sed 's|^reference = "map_72"|reference = "map_99"|' "$work/cmp.toml" > "$work/b11.toml"
expect_2 "a comparison of an unknown arm" "b11.toml:[0-9]*: comparisons\[\].reference: 'map_99' is not an arm (arms: map_65, map_80, map_72)" trial "$work/b11.toml" --out "$work/x"
sed 's|^reference = "map_72"|reference = "map_80"|' "$work/cmp.toml" > "$work/b12.toml"
expect_2 "an arm compared with itself" "b12.toml:[0-9]*: comparisons\[\].reference: 'map_80' compared with itself" trial "$work/b12.toml" --out "$work/x"
sed 's|^reference = "map_72"|reference = "map_65"|' "$work/cmp.toml" > "$work/b13.toml"
expect_2 "one pair compared twice" "b13.toml:[0-9]*: comparisons\[\]: 'map_80' and 'map_65' compared twice" trial "$work/b13.toml" --out "$work/x"

# km.png as clinical papers draw it: each arm's curve with its 95% band (filled between the
# Greenwood limits), numbers at risk at days 0-28 under the axis (day 0 = the arm's analysed n),
# and the cliff panel only with at least 5 patients on each side (here: a stated "no comparison").
if [ -f "$work/a1/km.png.gp" ]; then
  gp="$work/a1/km.png.gp"
  [ "$(grep -o 'with filledcurves' "$gp" | wc -l)" -ge 2 ] && ok "km: 95% bands drawn" || bad "km: no 95% bands"
  grep -q "set label 'at risk'" "$gp" && ok "km: numbers at risk" || bad "km: no numbers at risk"
  n0=$(python3 -c "
import csv,sys
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r['status'] not in ('failed','excluded') and r['arm']==sys.argv[2]]
print(len(rows))" "$work/a1/patients.csv" map_65)
  grep -q "set label '$n0' at 0, graph -0.250" "$gp" && ok "km: $n0 at risk at day 0 in the first arm" \
    || bad "km: day-0 number at risk is not the arm's n ($n0)"
  grep -q "no comparison\|using 1:3:4" "$gp" && ok || bad "km: cliff panel neither drawn nor explained"
else
  bad "km.png.gp missing"
fi

finish "trial arms"
