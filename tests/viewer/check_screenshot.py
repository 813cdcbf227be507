#!/usr/bin/env python3
"""Checks that a PNG is the teaching viewer's window, not a blank or foreign image.

Decodes the image with ffmpeg (a dependency already, for video) to raw RGB and checks the layout
docs/teaching.md describes: 1280x720; a grey microscope image at (10..650, 70..526) with
vessel-dark and tissue-bright pixels; dark panels on the right (trend strips) with a light trace.
Usage: check_screenshot.py FILE
"""
import json
import subprocess
import sys


def read_rgb(path):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "json", path], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"{path}: not an image ({probe.stderr.strip()})")
    stream = json.loads(probe.stdout)["streams"][0]
    w, h = stream["width"], stream["height"]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                         capture_output=True, check=True).stdout
    stride = 3 * w
    return w, h, 3, [raw[y * stride:(y + 1) * stride] for y in range(h)]


def main():
    path = sys.argv[1]
    w, h, bpp, rows = read_rgb(path)
    problems = []
    if (w, h) != (1280, 720):
        problems.append(f"size {w}x{h}, expected 1280x720")
        print("; ".join(problems))
        return 1

    def pixel(x, y):
        r = rows[y]
        return r[x * bpp], r[x * bpp + 1], r[x * bpp + 2]

    # The microscope image: grey (r = g = b), with dark vessels and bright tissue.
    video = [pixel(x, y) for y in range(80, 520, 4) for x in range(20, 640, 4)]
    grey = sum(1 for p in video if p[0] == p[1] == p[2]) / len(video)
    levels = sorted(p[0] for p in video)
    dark, bright = levels[len(levels) // 100], levels[-len(levels) // 100]
    if grey < 0.95:
        problems.append(f"video area only {grey:.0%} grey")
    if bright - dark < 60:
        problems.append(f"video area flat (1st-99th percentile {dark}-{bright})")
    # The trend strips: dark panels with a light-blue trace somewhere.
    strips = [pixel(x, y) for y in range(50, 500, 3) for x in range(670, 1265, 3)]
    panel_dark = sum(1 for p in strips if max(p) < 70) / len(strips)
    trace = sum(1 for p in strips if p[2] > 200 and p[0] < 160)
    if panel_dark < 0.5:
        problems.append(f"trend area only {panel_dark:.0%} dark")
    if trace < 20:
        problems.append(f"no trend trace ({trace} trace pixels)")
    # Text: light pixels in the title bar.
    title = [pixel(x, y) for y in range(8, 36) for x in range(10, 600)]
    if sum(1 for p in title if min(p) > 150) < 200:
        problems.append("no title text")
    if problems:
        print(f"{path}: not the viewer: " + "; ".join(problems))
        return 1
    print(f"{path}: the viewer (video grey {grey:.0%}, contrast {dark}-{bright}, trend panels {panel_dark:.0%} dark, "
          f"{trace} trace pixels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
