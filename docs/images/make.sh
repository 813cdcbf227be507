#!/usr/bin/env bash
# Regenerates every image in docs/images with the project's own commands.
# Usage: docs/images/make.sh [path/to/coherence]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/release/src/coherence}
img=docs/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$bin run scenarios/septic_shock_ne.toml --out "$tmp/ne" >/dev/null
cp "$tmp/ne/trends.png" $img/septic_shock_ne_trends.png
$bin run scenarios/coherence_loss_3_vasoconstriction.toml --out "$tmp/cl3" >/dev/null
cp "$tmp/cl3/trends.png" $img/coherence_loss_vasoconstriction_trends.png
# One patient, two strategies (the demo's comparison) and their sublingual view at 20 h.
$bin run scenarios/macro_vs_micro.toml --out "$tmp/macro" --no-plot >/dev/null
$bin run scenarios/macro_vs_micro.toml --set protocol.name=micro_guided --out "$tmp/micro" --no-plot >/dev/null
$bin compare "$tmp/macro" "$tmp/micro" --out "$tmp/cmp" >/dev/null
cp "$tmp/cmp/comparison.png" $img/macro_vs_micro_comparison.png
# Motion images show flow: drawn in the clean look (sharper); frames in the default realistic look.
$bin render scenarios/macro_vs_micro.toml --look clean --at-min 1200 --seconds 2 --out "$tmp/rm" >/dev/null
cp "$tmp/rm/motion.png" $img/macro_vs_micro_macro_first_motion.png
$bin render scenarios/macro_vs_micro.toml --look clean --set protocol.name=micro_guided --at-min 1200 --seconds 2 --out "$tmp/rg" >/dev/null
cp "$tmp/rg/motion.png" $img/macro_vs_micro_micro_guided_motion.png
# One frame of each device preset, and a healthy vs septic pair at the same site.
# A still frame cannot show flow: the pair is shown as frames plus motion images (temporal SD
# over a 2 s clip; streaming vessels bright, stopped ones dark).
for preset in healthy septic severe; do
  $bin render --preset "$preset" --seconds 2 --out "$tmp/$preset" >/dev/null
  cp "$tmp/$preset/frame_0000.png" "$img/render_sdf_$preset.png"
  cp "$tmp/$preset/motion.png" "$img/render_sdf_${preset}_motion.png"
done
$bin render --preset septic --look clean --seconds 0.04 --out "$tmp/clean" >/dev/null
cp "$tmp/clean/frame_0000.png" $img/render_sdf_septic_clean.png
$bin render --preset septic --device sdf-hd --seconds 0.04 --out "$tmp/hd" >/dev/null
cp "$tmp/hd/frame_0000.png" $img/render_sdf-hd_septic.png
$bin render --preset septic --device idf --seconds 0.04 --out "$tmp/idf" >/dev/null
cp "$tmp/idf/frame_0000.png" $img/render_idf_septic.png
$bin render --preset septic --seconds 0.04 --saliva 0.6 --defocus 0.5 --out "$tmp/art" >/dev/null
cp "$tmp/art/frame_0000.png" $img/render_sdf_septic_saliva_defocus.png
# From a scenario: the same patient's site 1 before and after NE is pushed above the cliff.
$bin render scenarios/coherence_loss_3_vasoconstriction.toml --look clean --at-min 150 --seconds 2 --out "$tmp/s1" >/dev/null
cp "$tmp/s1/motion.png" $img/render_scenario_ne0.2_motion.png
$bin render scenarios/coherence_loss_3_vasoconstriction.toml --look clean --at-min 600 --seconds 2 --out "$tmp/s2" >/dev/null
cp "$tmp/s2/motion.png" $img/render_scenario_ne1.0_motion.png
# The scoring pipeline's overlay of a septic clip (vessels coloured by scored flow class).
$bin render --preset septic --look clean --seed 7 --seconds 4 --out "$tmp/sc" >/dev/null
$bin score "$tmp/sc" --json "$tmp/sc.json" --overlay "$tmp/sc_ov" >/dev/null
cp "$tmp/sc_ov/overlay_site1.png" $img/score_overlay_septic.png
cp "$tmp/sc/motion.png" $img/score_overlay_septic_motion.png
# The same on the default realistic look: what the pipeline finds there, beside the truth.
$bin render --preset septic --seed 7 --seconds 4 --out "$tmp/scr" >/dev/null
$bin score "$tmp/scr" --json "$tmp/scr.json" --overlay "$tmp/scr_ov" >/dev/null
cp "$tmp/scr_ov/overlay_site1.png" $img/score_overlay_septic_realistic.png
echo "images written to $img"
