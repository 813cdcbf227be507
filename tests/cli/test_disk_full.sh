#!/usr/bin/env bash
# Disk full (issue 21 #2, #3): run, trial, score, compare and render into a small tmpfs at several
# sizes. Each either succeeds with every output present and whole, or exits 1 (never a crash)
# naming the OS reason, with every file under a final name whole (the rest absent or .partial).
# Needs root for the tmpfs mount; otherwise skipped (exit 77).
# Usage: test_disk_full.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v mount >/dev/null; then
  echo "skip: needs root to mount a tmpfs"
  exit 77
fi
mnt="$work/mnt"
mkdir -p "$mnt"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null || { echo "skip: cannot mount a tmpfs"; exit 77; }
umount "$mnt"

trial="$src/tests/trial/trial_small.toml"
"$bin" render --preset septic --seconds 0.5 --out "$work/frames" >/dev/null || bad "render fixture"
for r in runA runB; do
  "$bin" run "$src/scenarios/healthy_adult.toml" --set scenario.duration_h=6 --no-plot --out "$work/$r" >/dev/null || bad "run fixture"
done

# whole DIR: every file under a final name is whole (PNG IEND, SVG end tag, JSON parses, CSV
# rows as wide as the header and a final newline).
whole() {
  python3 - "$1" <<'PY'
import csv, json, os, sys
bad = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        if ".partial" in f or f.endswith(".gp") or f.startswith(".coherence"):
            continue
        data = open(p, "rb").read()
        if f.endswith(".png") and not data.endswith(b"IEND\xaeB`\x82"): bad.append(p)
        elif f.endswith(".svg") and b"</svg>" not in data[-64:]: bad.append(p)
        elif f.endswith(".json"):
            try: json.loads(data)
            except Exception: bad.append(p)
        elif f.endswith(".csv"):
            if not data.endswith(b"\n"): bad.append(p); continue
            rows = list(csv.reader(data.decode().splitlines()))
            if f != "patients.partial.csv" and any(len(r) != len(rows[0]) for r in rows): bad.append(p)
if bad:
    print("truncated:", " ".join(bad)); sys.exit(1)
PY
}

# attempt NAME SIZE EXPECTED-FILES -- ARGS: one command on a fresh tmpfs of SIZE.
attempt() {
  local name=$1 size=$2 expected=$3
  shift 4
  mount -t tmpfs -o "size=$size" tmpfs "$mnt"
  "$bin" "$@" >/dev/null 2>"$work/err"
  local rc=$?
  local missing=""
  for f in $expected; do [ -e "$mnt/$f" ] || missing="$missing $f"; done
  if [ $rc -eq 0 ]; then
    [ -z "$missing" ] && whole "$mnt" >"$work/whole" && ok || bad "$name at $size: rc 0 but missing:$missing $(cat "$work/whole")"
  elif [ $rc -eq 1 ]; then
    if whole "$mnt" >"$work/whole" && grep -q "No space left on device\|truncated image" "$work/err"; then
      ok "$name at $size: exit 1 ($(tail -1 "$work/err" | cut -c1-110))"
    else
      bad "$name at $size: rc 1: $(cat "$work/err" "$work/whole")"
    fi
  else
    bad "$name at $size: rc $rc: $(cat "$work/err")"
  fi
  umount "$mnt"
}

for size in 4k 8k 16k 48k 120k 200k 400k 1m 4m; do
  attempt run "$size" "run/timeseries.csv run/summary.json run/trends.png run/trends.svg" -- \
    run "$src/scenarios/healthy_adult.toml" --set scenario.duration_h=6 --out "$mnt/run"
  attempt trial "$size" "t/patients.csv t/cohort.csv t/summary.json t/analysis.json t/km.png t/forest.png t/ne_vs_micro.png" -- \
    trial "$trial" --set scenario.duration_h=25 --out "$mnt/t"
  attempt score "$size" "s.json s.csv ov/overlay_site1.png" -- \
    score "$work/frames" --json "$mnt/s.json" --csv "$mnt/s.csv" --overlay "$mnt/ov"
  attempt compare "$size" "c/comparison.csv c/comparison.png c/comparison.svg" -- \
    compare "$work/runA" "$work/runB" --out "$mnt/c"
  attempt render "$size" "r/truth.json r/motion.png r/frame_0014.png" -- \
    render --preset septic --seconds 0.5 --out "$mnt/r"
done

finish "disk full"
