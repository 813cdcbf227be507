#!/usr/bin/env python3
"""Checks that a PNG is the teaching viewer's window, not a blank or foreign image.

Decodes the PNG with zlib only (8-bit RGB/RGBA, non-interlaced, any row filter) and checks the
layout docs/teaching.md describes: 1280x720; a grey microscope image at (10..650, 70..526) with
vessel-dark and tissue-bright pixels; dark panels on the right (trend strips) with a light trace.
Usage: check_screenshot.py FILE
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                sys.exit(f"{path}: unexpected PNG format (depth {depth}, colour {colour})")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    path = sys.argv[1]
    w, h, bpp, rows = read_png(path)
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
