#!/usr/bin/env bash
# The teaching viewer's screenshots in README.md and docs/teaching.md, made by the viewer itself
# (`coherence view --screenshot`) under a virtual X server. ctest `viewer_screenshots_under_xvfb`
# runs this same script into a temporary folder and checks each image is the viewer.
# Usage: tools/viewer_screenshots.sh COHERENCE_BINARY OUT_DIR
set -euo pipefail
bin=$1
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
shot() {  # name scenario start_h frames
  xvfb-run -a -s "-screen 0 1280x720x24" "$bin" view "$src/scenarios/$2" --start-h "$3" --frames "$4" --speed 4 \
    --no-caption-pause --screenshot "$out/$1" > /dev/null
}
# The cliff: NE 1.0 ug/kg/min, MAP ~110 mmHg, capillaries stopped (caption at 640 min).
shot viewer_ne_cliff.png ne_cliff.toml 10.7 90
# Ince type 3: MAP at its best while MFI falls (caption at 270 min).
shot viewer_loss_vasoconstriction.png coherence_loss_3_vasoconstriction.toml 4.6 90
# Ince type 2: haemodilution, few red cells per capillary (caption at 90 min).
shot viewer_loss_haemodilution.png coherence_loss_2_haemodilution.toml 2.0 90
# The macro-first protocol on autopilot, its decisions logged with their reasons.
shot viewer_autopilot_macro_first.png septic_shock_protocols.toml 3.0 90
echo "screenshots in $out"
