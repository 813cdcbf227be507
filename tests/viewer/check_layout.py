#!/usr/bin/env python3
"""Checks the layout a viewer frame drew (`coherence view --screenshot F --layout L.json`):
every trend strip has a numeric scale (three tick labels, left of its trace area), no text is
written over any strip's trace area, the strips share one time axis, and the decision log is
wrapped, not cut with '...'. Usage: check_layout.py LAYOUT.json"""
import json
import sys


def overlaps(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def main(path):
    layout = json.load(open(path))
    strips, texts = layout["strips"], layout["texts"]
    problems = []
    if len(strips) != 8:
        problems.append(f"expected 8 trend strips, found {len(strips)}")
    lefts = {round(s["plot"][0], 1) for s in strips}
    rights = {round(s["plot"][0] + s["plot"][2], 1) for s in strips}
    if len(lefts) != 1 or len(rights) != 1:
        problems.append(f"strips' trace areas do not share one time axis: {lefts} {rights}")
    for s in strips:
        ticks = s["ticks"]
        try:
            values = [float(t) for t in ticks]
        except ValueError:
            problems.append(f"{s['label']}: non-numeric tick labels {ticks}")
            continue
        if len(values) < 3 or values != sorted(values) or values[0] == values[-1]:
            problems.append(f"{s['label']}: scale {ticks} is not three rising ticks")
        px, py, pw, ph = s["plot"]
        for t in ticks:
            drawn = [x for x in texts if x["text"] == t and x["box"][0] + x["box"][2] <= px
                     and py - 14 <= x["box"][1] <= py + ph]
            if not drawn:
                problems.append(f"{s['label']}: tick label {t} not drawn left of the trace area")
        for x in texts:
            if overlaps(x["box"], s["plot"]):
                problems.append(f"text '{x['text']}' is written over the {s['label']} trace area")
    for x in texts:
        if x["text"].endswith("..."):
            problems.append(f"text cut short: '{x['text']}'")
    labels = [x["text"] for x in texts]
    if not any("mean of 5 sites" in t for t in labels) or not any("this site's truth" in t for t in labels):
        problems.append("site and 5-site-mean values are not labelled as such")
    for p in problems:
        print(f"{path}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
