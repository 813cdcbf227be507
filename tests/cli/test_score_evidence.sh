#!/usr/bin/env bash
# Issue 23: `coherence score` reports flow only from evidence, and scores batches of videos.
#  - A septic clip with its frames shuffled (no coherent red-cell motion left) and a 1 s clip get
#    their flow measures refused with a reason: PPV, PVD, MFI and velocity are null, never
#    healthy-looking numbers.
#  - No vessel or clip without a measured velocity is written with velocity 0 (JSON: null; CSV:
#    an empty cell); an unmeasured vessel has its own state and no class.
#  - `--batch DIR_OR_LIST`: one summary row per video, the per-vessel CSV with the file name,
#    sites grouped per patient only with --patient; bad batches exit 2 and write nothing.
# Usage: test_score_evidence.sh COHERENCE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli_lib.sh"

"$bin" render --preset septic --look clean --seconds 4 --seed 7 --out "$work/septic" --threads 2 >/dev/null 2>&1 \
  && ok || bad "render septic"
"$bin" render --preset septic --look clean --seconds 1 --seed 7 --out "$work/short" --threads 2 >/dev/null 2>&1 \
  && ok || bad "render 1 s clip"
# The same frames in a shuffled order (fixed permutation), with the clip's truth.json beside them.
python3 - "$work/septic" "$work/shuffled" <<'PY' && ok || bad "shuffle frames"
import os, random, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
frames = sorted(f for f in os.listdir(src) if f.startswith("frame_") and f.endswith(".png"))
order = list(range(len(frames)))
random.Random(5).shuffle(order)
for i, k in enumerate(order):
    shutil.copy(os.path.join(src, frames[k]), os.path.join(dst, "frame_%04d.png" % i))
shutil.copy(os.path.join(src, "truth.json"), os.path.join(dst, "truth.json"))
PY

for c in septic shuffled short; do
  "$bin" score "$work/$c" --json "$work/$c.json" --csv "$work/$c.csv" --threads 2 >"$work/$c.out" 2>&1 \
    && ok || bad "score $c exits 0 (refusal is a result, not an error)"
done
grep -q "FLOW REFUSED" "$work/shuffled.out" && ok || bad "shuffled: the summary line says the flow is refused"
grep -q "FLOW REFUSED" "$work/septic.out" && bad "septic: flow refused" || ok

python3 - "$work" <<'PY' && ok || bad "flow from evidence: refusals, nulls, no velocity 0 for unmeasured"
import csv, json, sys
w = sys.argv[1]
flow_keys = ["pvd_mm_per_mm2", "ppv_pct", "mfi", "mfi_vessel", "rbc_velocity_um_per_s"]

def check_vessels(name, j):
    for site in j["sites"]:
        for v in site["vessels"]:
            if not v["flow_measured"]:
                assert v["flow_class"] is None and v["flow_class_name"] == "unmeasured", (name, v)
                assert v["velocity_um_per_s"] is None, (name, "unmeasured vessel with a velocity", v)
            if v["velocity_um_per_s"] is None:
                assert not v["velocity_measured"], (name, v)
            elif v["velocity_um_per_s"] == 0:
                # 0 only as measured stillness: a vessel that did not move.
                assert v["flow_measured"] and v["flow_class_name"] == "none", (name, v)
    rows = list(csv.DictReader(open("%s/%s.csv" % (w, name))))
    assert rows, name
    for r in rows:
        assert r["file"] == j["sites"][0]["source"], (name, r["file"])
        if r["flow_measured"] == "0":
            assert r["flow_class"] == "" and r["flow_class_name"] == "unmeasured" and r["velocity_um_per_s"] == "", (name, r)
        if r["velocity_um_per_s"] != "" and float(r["velocity_um_per_s"]) == 0:
            assert r["flow_class_name"] == "none", (name, r)

septic = json.load(open(w + "/septic.json"))
check_vessels("septic", septic)
assert not septic["sites"][0]["flow_refused"], septic["sites"][0]["flow_refused"]
assert septic["rbc_velocity_um_per_s"] is not None and septic["rbc_velocity_um_per_s"] > 100, septic["rbc_velocity_um_per_s"]
assert 0.5 < septic["velocity_measured_fraction"] <= 1.0, septic["velocity_measured_fraction"]
assert septic["ppv_pct"] is not None and septic["mfi"] is not None

for name, reason in [("shuffled", "flow evidence"), ("short", "duration")]:
    j = json.load(open("%s/%s.json" % (w, name)))
    check_vessels(name, j)
    site = j["sites"][0]
    assert any(reason in r for r in site["flow_refused"]), (name, site["flow_refused"])
    assert j["sites_flow_refused"] == 1 and j["verdict"] == "unacceptable" and not j["acceptable"], name
    for k in flow_keys:
        assert j[k] is None and site[k] is None, (name, k, j[k])  # never a healthy-looking number
    assert j["hi"] is None, name
    assert all(q is None for q in site["quadrant_mfi"]), (name, site["quadrant_mfi"])
    assert j["tvd_mm_per_mm2"] > 5, name  # the vessels are still there: only flow is refused
# The shuffled clip: its moving vessels are unmeasured, not continuous.
sh = json.load(open(w + "/shuffled.json"))["sites"][0]
small = [v for v in sh["vessels"] if v["small"]]
cont = sum(v["length_um"] for v in small if v["flow_class_name"] == "continuous")
unm = sum(v["length_um"] for v in small if v["flow_class_name"] == "unmeasured")
total = sum(v["length_um"] for v in small)
assert cont < 0.1 * total and unm > 0.7 * total, (cont, unm, total)
ev = [q for q in sh["quality"] if q["item"] == "flow_evidence"][0]
assert ev["score"] == 10 and ev["value"] < 0.3, ev
PY

# Batch: a folder of two frame folders and a video file, each scored on its own.
mkdir -p "$work/batch"
cp -r "$work/septic" "$work/batch/clip_2" && cp -r "$work/shuffled" "$work/batch/clip_10"
ffmpeg -v error -y -framerate 30 -i "$work/septic/frame_%04d.png" -c:v ffv1 "$work/batch/clip_3.mkv" && ok || bad "ffmpeg"
echo '{"um_per_px": 1.46875}' > "$work/batch/meta.json"
"$bin" score --batch "$work/batch" --summary-csv "$work/videos.csv" --csv "$work/vessels.csv" --json "$work/batch.json" \
  --threads 2 >/dev/null 2>"$work/batch.err" && ok || bad "score --batch folder ($(cat "$work/batch.err"))"
# A list file (relative paths, comments) and --patient: the same videos as one patient's sites.
printf '# sites of patient P7\nbatch/clip_2\n\nbatch/clip_3.mkv\n' > "$work/list.txt"
"$bin" score --batch "$work/list.txt" --patient P7 --summary-csv "$work/patient.csv" --json "$work/patient.json" \
  --threads 2 >/dev/null 2>&1 && ok || bad "score --batch list --patient"
python3 - "$work" <<'PY' && ok || bad "batch outputs"
import csv, json, sys
w = sys.argv[1]
rows = list(csv.DictReader(open(w + "/videos.csv")))
files = [r["file"].rsplit("/", 1)[-1] for r in rows]
assert files == ["clip_2", "clip_3.mkv", "clip_10"], files  # natural order
for k in ["site", "tvd_mm_per_mm2", "ppv_pct", "mfi", "rbc_velocity_um_per_s", "velocity_measured_fraction",
          "verdict", "flow_refused", "reasons"]:
    assert k in rows[0], k
assert rows[0]["patient"] == "" and rows[0]["hi"] == ""  # not grouped: no patient, no HI
assert rows[0]["ppv_pct"] != "" and rows[0]["flow_refused"] == ""
assert rows[2]["ppv_pct"] == "" and rows[2]["mfi"] == "" and rows[2]["rbc_velocity_um_per_s"] == ""
assert "flow evidence" in rows[2]["flow_refused"] and rows[2]["verdict"] == "unacceptable"
# The FFV1 video scores like its PNG frames.
assert abs(float(rows[1]["ppv_pct"]) - float(rows[0]["ppv_pct"])) < 5, (rows[0]["ppv_pct"], rows[1]["ppv_pct"])
vessels = list(csv.DictReader(open(w + "/vessels.csv")))
assert {v["file"] for v in vessels} == {r["file"] for r in rows}, "per-vessel CSV: file names"
j = json.load(open(w + "/batch.json"))
assert len(j["videos"]) == 3 and j["videos"][2]["ppv_pct"] is None
p = list(csv.DictReader(open(w + "/patient.csv")))
assert [r["site"] for r in p] == ["1", "2", "mean"] and all(r["patient"] == "P7" for r in p), p
assert p[2]["hi"] != "" and abs(float(p[2]["ppv_pct"]) - (float(p[0]["ppv_pct"]) + float(p[1]["ppv_pct"])) / 2) < 1e-3
pj = json.load(open(w + "/patient.json"))
assert pj["patient"] == "P7" and len(pj["sites"]) == 2
PY

# Bad batches: one line, exit 2, nothing written.
mkdir -p "$work/emptybatch"
expect_2 "batch: empty folder" "no video files" score --batch "$work/emptybatch" --summary-csv "$work/bad.csv"
printf 'batch/clip_2\nbatch/missing_clip\n' > "$work/badlist.txt"
expect_2 "batch: list names a missing input" "badlist.txt:2: batch/missing_clip: no such file" score --batch "$work/badlist.txt" \
  --summary-csv "$work/bad.csv"
expect_2 "batch: a frame folder is one video" "score it without --batch" score --batch "$work/septic"
expect_2 "batch and inputs together" "not both" score "$work/septic" --batch "$work/batch"
expect_2 "no input at all" "one input per site" score
[ ! -e "$work/bad.csv" ] && ok || bad "a failed batch wrote its summary"

finish "score evidence and batch"
