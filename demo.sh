#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: one septic patient under macro-first
# and micro-guided resuscitation side by side (table, plot, and what the sublingual microscope
# would show under each), then septic shock untreated and treated, a healthy adult, a loss of
# coherence (MAP high, capillaries stopped), a virtual cohort re-running the source study, a small
# paired in-silico trial, and the model's validation against the literature.
cd "$(dirname "$0")"
source ./scripts_common.sh
install_packages
build
bin=build/release/src/coherence
out=results/demo
mkdir -p "$out"
echo
echo "== One patient, two strategies: macro-first vs micro-guided (24 h each)"
$bin run scenarios/macro_vs_micro.toml --out "$out/macro_first"
$bin run scenarios/macro_vs_micro.toml --set protocol.name=micro_guided --out "$out/micro_guided"
$bin compare "$out/macro_first" "$out/micro_guided" --out "$out/comparison"
echo "   What the sublingual microscope shows at 20 h (site 1, 2 s; the clean look, which the scoring"
echo "   pipeline is validated on: it does not yet hold up on render's default realistic look, docs/scoring.md):"
$bin render scenarios/macro_vs_micro.toml --at-min 1200 --seconds 2 --look clean --out "$out/clip_macro_first"
$bin render scenarios/macro_vs_micro.toml --set protocol.name=micro_guided --at-min 1200 --seconds 2 --look clean \
  --out "$out/clip_micro_guided"
$bin render scenarios/macro_vs_micro.toml --at-min 1200 --seconds 2 --out "$out/clip_macro_first_realistic" >/dev/null
echo "   ... and scored from their pixels by the scoring pipeline (truth in each clip's truth.json):"
for c in macro_first micro_guided; do
  $bin score "$out/clip_$c" --json "$out/clip_$c/scored.json" --overlay "$out/clip_$c" >/dev/null
  python3 - "$out/clip_$c" "$c" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/scored.json")); t = json.load(open(sys.argv[1] + "/truth.json"))
if s["mfi"] is None:  # flow refused (too short, or no coherent red-cell motion): the reason instead
    print(f"  {sys.argv[2]:13s} scored: flow refused ({'; '.join(s['sites'][0]['flow_refused'])})  "
          f"TVD {s['tvd_mm_per_mm2']:4.1f}   truth: MFI {t['mfi']:.2f}  PPV {t['ppv_pct']:4.0f}%")
else:
    print(f"  {sys.argv[2]:13s} scored: MFI {s['mfi']:.2f}  PPV {s['ppv_pct']:4.0f}%  TVD {s['tvd_mm_per_mm2']:4.1f}   "
          f"truth: MFI {t['mfi']:.2f}  PPV {t['ppv_pct']:4.0f}%  TVD {t['tvd_mm_per_mm2']:4.1f}")
PY
done
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
echo "== A virtual cohort: the source study re-run (66 septic-shock patients, usual care, day 1)"
$bin trial scenarios/trial_observational_replication.toml --out "$out/observational"
python3 - "$out/observational/analysis.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["observational"]["macro_first"]
study = {"day1_lactate_mmol_per_L": 0.583, "day1_hi": 0.444, "day1_mfi": -0.492, "day1_ppv_pct": -0.420}
for c, r in study.items():
    m = o["correlations"][c]["pearson"]
    print(f"  NE dose vs {c:25s} r = {m['r']:+.2f} (study {r:+.3f})   FDR p = {o['correlations'][c]['pearson']['p_fdr']:.2g}")
PY
echo "== In-silico trial: 20 patients under macro-first and micro-guided, paired (72 h each)"
$bin trial scenarios/trial_macro_vs_micro.toml --patients 20 --out "$out/trial"
python3 - "$out/trial/analysis.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["paired_comparisons"][0]
for name in ["mfi_day1_mean", "lactate_day1_mean_mmol_per_L", "ne_cumulative_mg"]:
    t = c["outcomes"][name]["paired_t"]
    print(f"  micro-guided minus macro-first, {name:30s} {t['mean_difference']:+.2f} [{t['ci_low']:+.2f}, {t['ci_high']:+.2f}]  p = {t['p']:.2g}")
d = c["death_28d"]
print(f"  28-day deaths (outcome model): macro-first {d['deaths_macro_first']}, micro-guided {d['deaths_micro_guided']} of {d['pairs']}")
PY
echo
echo "== The teaching viewer at the NE cliff (a screenshot on a virtual display)"
xvfb-run -a -s "-screen 0 1280x720x24" $bin view scenarios/ne_cliff.toml --start-h 10.7 --frames 90 --speed 4 \
  --no-caption-pause --screenshot "$out/viewer_ne_cliff.png" 2>/dev/null
echo "  interactive (on a desktop): $bin view scenarios/ne_cliff.toml   (H for help; lessons: docs/teaching.md)"
echo
echo "== Validation against published findings"
$bin validate --quiet
echo
echo "Results are in $(pwd)/$out:"
echo "  $out/comparison/comparison.png, comparison.csv   (macro-first vs micro-guided side by side)"
echo "  $out/macro_first/, $out/micro_guided/            (timeseries.csv, decisions.csv with every decision's reason)"
echo "  $out/clip_macro_first/, $out/clip_micro_guided/  (frame_*.png, motion.png, truth.json, scored.json, overlay_site1.png)"
echo "  $out/clip_macro_first_realistic/               (the same clip in render's default realistic look)"
for d in untreated treated healthy coherence_loss; do
  echo "  $out/$d/timeseries.csv, summary.json, trends.png, trends.svg"
done
echo "  $out/coherence_loss/vessels_t120min.json, vessels_t720min.json (per-vessel ground truth)"
echo "  $out/observational/, $out/trial/  (patients.csv, cohort.csv, analysis.json, km, forest and ne_vs_micro .png/.svg)"
echo "  $out/viewer_ne_cliff.png  (the teaching viewer; run it with: $bin view scenarios/ne_cliff.toml)"
