#!/usr/bin/env bash
# Issue 20, behaviour 10: the observational replication's cohort is the source study's population
# (ventilated, after 30 mL/kg, on stable vasopressors at the clinicians' MAP), not early
# unresuscitated shock. 300 virtual patients of scenarios/trial_observational_replication.toml,
# split by day-1 NE dose (<= 0.5 / > 0.5 ug/kg/min) as the study's Table 1 (seed 002) is. Asserted,
# with the OBS-1 bands of docs/validation_interventions_plan.md where Table 1 pins them:
#   MAP mean 74-88 mmHg in both groups (Table 1: 82.1 / 80.7);
#   median CRT 2-4 s (low) and 2.5-6 s (high), high >= low (Table 1: 2 [2-4] / 4 [2-7.5]);
#   median mottling <= 1 in both groups (Table 1: 0 [0-0] / 0 [0-2]);
#   share above NE 0.5: 32-56% (Table 1: 29/66 = 44%);
#   low-dose group near-normal sublingual perfusion: median PPV >= 90% and MFI >= 2.6 (Table 1:
#   PPV 100 [100-100], MFI 2.92; these are looser than the Table 1 bands, which the model still
#   misses: docs/validation.md reports them), and the high-dose group worse than the low-dose one.
# At 0794a65 the cohort was early unresuscitated shock held at MAP 65: CRT 6.8 / 9.7 s, mottling
# 4-5, PPV 72 / 51% (issue 20); every one of these checks failed there.
# Usage: test_observational_levels.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"
"$bin" trial "$src/scenarios/trial_observational_replication.toml" --patients 300 --no-plot --out "$work/obs" >/dev/null 2>&1 ||
  bad "observational replication run"
python3 - "$work/obs/patients.csv" <<'PY' && ok "Table 1 levels by day-1 NE dose group (MAP, CRT, mottling, share above 0.5, low-group PPV/MFI)" || bad "observational levels"
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "complete" and r["day1_ne_dose_ug_per_kg_min"] != ""]
assert len(rows) >= 280, len(rows)
lo = [r for r in rows if float(r["day1_ne_dose_ug_per_kg_min"]) <= 0.5]
hi = [r for r in rows if float(r["day1_ne_dose_ug_per_kg_min"]) > 0.5]
def med(g, k): return statistics.median(float(r[k]) for r in g)
def mean(g, k): return statistics.mean(float(r[k]) for r in g)
share = 100.0 * len(hi) / len(rows)
out = {
    "n": (len(lo), len(hi)), "share_above_0.5": round(share, 1),
    "map": (round(mean(lo, "day1_map_mmHg"), 1), round(mean(hi, "day1_map_mmHg"), 1)),
    "crt": (round(med(lo, "day1_crt_s"), 2), round(med(hi, "day1_crt_s"), 2)),
    "mottling": (med(lo, "day1_mottling_score"), med(hi, "day1_mottling_score")),
    "ppv": (round(med(lo, "day1_ppv_pct"), 1), round(med(hi, "day1_ppv_pct"), 1)),
    "mfi": (round(med(lo, "day1_mfi"), 2), round(med(hi, "day1_mfi"), 2)),
}
print(out)
assert 32 <= share <= 56, out
assert all(74 <= m <= 88 for m in out["map"]), out
assert 2 <= out["crt"][0] <= 4 and 2.5 <= out["crt"][1] <= 6 and out["crt"][1] >= out["crt"][0], out
assert max(out["mottling"]) <= 1, out
assert out["ppv"][0] >= 90 and out["mfi"][0] >= 2.6, out
assert out["ppv"][1] < out["ppv"][0] and out["mfi"][1] <= out["mfi"][0], out
PY
finish "observational levels"
