#!/usr/bin/env bash
# The outcome model against CALIBRATION.md's outcome anchors, on the usual-care arm of
# scenarios/trial_macro_vs_micro.toml (n = 200, seed 2026; ~35 s on 2 cores):
#   fitted:  mortality with day-1 MFI < 2.6: 45% (+-10 points); >= 2.6: 15.6% (+-10) (MicroDAIMON)
#   checked: overall 28-day mortality within 30-50% (trials: 34-43%);
#            lactate normalised within 6 h more often in survivors than non-survivors (Ryoo 2019)
# Usage: test_outcome_anchors.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's/protocols = \["macro_first", "micro_guided"\]/protocols = ["macro_first"]/' \
    -e "s|scenario = \"septic_shock_cohort_base.toml\"|scenario = \"$src/scenarios/septic_shock_cohort_base.toml\"|" \
    "$src/scenarios/trial_macro_vs_micro.toml" > "$work/usual_care.toml"
"$bin" trial "$work/usual_care.toml" --patients 200 --out "$work/out" --no-plot >/dev/null || { echo "trial failed"; echo "anchors: 0 passed, 1 failed"; exit 1; }
python3 - "$work/out/patients.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["death_28d"] != ""]
f = lambda r, c: float(r[c]) if r[c] != "" else None
def mortality(g): return sum(f(r, "death_28d") for r in g) / len(g)
low = [r for r in rows if f(r, "mfi_day1_mean") is not None and f(r, "mfi_day1_mean") < 2.6]
high = [r for r in rows if f(r, "mfi_day1_mean") is not None and f(r, "mfi_day1_mean") >= 2.6]
surv = [r for r in rows if f(r, "death_28d") == 0 and r["lactate_normalised_6h"] != ""]
dead = [r for r in rows if f(r, "death_28d") == 1 and r["lactate_normalised_6h"] != ""]
norm = lambda g: sum(f(r, "lactate_normalised_6h") for r in g) / len(g)
checks = [
    ("overall 28-day mortality %.3f in [0.30, 0.50]" % mortality(rows), 0.30 <= mortality(rows) <= 0.50),
    ("mortality, day-1 MFI < 2.6: %.3f (anchor 0.45 +- 0.10, n = %d)" % (mortality(low), len(low)), abs(mortality(low) - 0.45) <= 0.10),
    ("mortality, day-1 MFI >= 2.6: %.3f (anchor 0.156 +- 0.10, n = %d)" % (mortality(high), len(high)), abs(mortality(high) - 0.156) <= 0.10),
    ("lactate normalised within 6 h: survivors %.3f > non-survivors %.3f (anchor 0.424 vs 0.234)" % (norm(surv), norm(dead)), norm(surv) > norm(dead)),
]
failed = 0
for text, ok in checks:
    print(("ok: " if ok else "FAILED: ") + text)
    failed += 0 if ok else 1
print("anchors: %d passed, %d failed" % (len(checks) - failed, failed))
sys.exit(1 if failed else 0)
PY
