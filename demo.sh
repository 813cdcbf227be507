#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: a septic shock patient untreated and
# treated with fluids and norepinephrine, plus the model's validation against the literature.
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
echo
echo "== Validation against published findings"
$bin validate --quiet
echo
echo "Results are in $(pwd)/$out:"
for d in untreated treated healthy; do
  echo "  $out/$d/timeseries.csv, summary.json, trends.png"
done
