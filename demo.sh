#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: a septic shock patient untreated and
# treated, a healthy adult, and a loss of coherence (MAP high, capillaries stopped), plus the
# model's validation against the literature.
cd "$(dirname "$0")"
source ./scripts_common.sh
install_packages
build >/dev/null
bin=build/release/src/coherence
out=results/demo
mkdir -p "$out"
echo
echo "== Septic shock, untreated (12 h)"
$bin run scenarios/septic_shock_untreated.toml --out "$out/untreated"
echo "== Septic shock, 30 mL/kg crystalloid and norepinephrine (72 h)"
$bin run scenarios/septic_shock_ne.toml --out "$out/treated"
echo "== Healthy adult (24 h)"
$bin run scenarios/healthy_adult.toml --out "$out/healthy"
echo "== Loss of coherence: NE pushed to 1.0 ug/kg/min (12 h)"
$bin run scenarios/coherence_loss_3_vasoconstriction.toml --out "$out/coherence_loss" --dump-vessels-at-min 120,720
echo
echo "== Blood pressure vs capillaries at the end of each run"
for d in healthy untreated treated coherence_loss; do
  python3 - "$out/$d/summary.json" "$d" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["final"]
print(f"  {sys.argv[2]:15s} MAP {f['map_mmHg']:5.1f} mmHg   NE {f['ne_dose_ug_per_kg_min']:.2f}   "
      f"MFI {f['mfi']:.2f}   PPV {f['ppv_pct']:5.1f}%   CRT {f['crt_s']:.1f} s   lactate {f['lactate_mmol_per_L']:.1f}")
PY
done
echo
echo "== Validation against published findings"
$bin validate --quiet
echo
echo "Results are in $(pwd)/$out:"
for d in untreated treated healthy coherence_loss; do
  echo "  $out/$d/timeseries.csv, summary.json, trends.png"
done
echo "  $out/coherence_loss/vessels_t120min.json, vessels_t720min.json (per-vessel ground truth)"
