#!/usr/bin/env python3
"""docs/teaching.md's model numbers come from runs. Each is written as
  <!-- value SCENARIO COLUMN@MIN[/DIVISOR] FORMAT -->NUMBER<!-- /value -->
e.g. <!-- value ne_cliff mfi@640 .2f -->2.55<!-- /value -->: the value of COLUMN at minute MIN
(linear interpolation between output rows) of `coherence run scenarios/SCENARIO.toml`, divided by
DIVISOR, formatted with FORMAT. Usage: teaching_values.py DOC RUNS_DIR [--write]
RUNS_DIR/SCENARIO/timeseries.csv must exist. Without --write: exit 1 listing every number that is
not what the run gives; with --write: rewrites them."""
import csv
import re
import sys

MARK = re.compile(r"<!-- value (\S+) ([A-Za-z0-9_]+)@(-?[0-9.]+)(?:/([0-9.]+))? (\S+) -->(.*?)<!-- /value -->")


def value_at(rows, column, t):
    times = [float(r["time_min"]) for r in rows]
    if t < times[0] or t > times[-1]:
        raise ValueError(f"minute {t} outside the run")
    for i in range(1, len(times)):
        if times[i] >= t:
            a, b = rows[i - 1], rows[i]
            u = 0.0 if times[i] == times[i - 1] else (t - times[i - 1]) / (times[i] - times[i - 1])
            return float(a[column]) + u * (float(b[column]) - float(a[column]))
    return float(rows[-1][column])


def main(doc, runs, write):
    text = open(doc).read()
    cache, problems = {}, []

    def fill(m):
        scenario, column, minute, divisor, fmt, shown = m.groups()
        if scenario not in cache:
            cache[scenario] = list(csv.DictReader(open(f"{runs}/{scenario}/timeseries.csv")))
        v = value_at(cache[scenario], column, float(minute)) / float(divisor or 1)
        want = format(v, fmt)
        if want != shown:
            problems.append(f"{doc}: {scenario} {column}@{minute}: the page says {shown}, the run gives {want}")
        return m.group(0).replace(f"-->{shown}<!--", f"-->{want}<!--")

    new = MARK.sub(fill, text)
    if not MARK.search(text):
        problems.append(f"{doc}: no generated values")
    if write:
        open(doc, "w").write(new)
        return 0
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], "--write" in sys.argv[3:]))
