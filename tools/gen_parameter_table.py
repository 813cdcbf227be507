#!/usr/bin/env python3
"""Every model parameter, read once from model/params.hpp.

model/params.hpp is the one place a parameter is declared: its name (which carries its unit),
its default, and its source label and note in the trailing comment (V read in the source,
D derived, C from public model code, R recalled/assumed). This script turns it into
  --inc FILE   the C++ table model/parameter_table.cpp includes (run by the build), and
  --docs FILE  the generated table of docs/model/parameters.md (--check: fail if it differs).
It refuses a member line it cannot read, so a parameter cannot silently go missing.
"""
import argparse
import re
import sys

MEMBER = re.compile(r"^\s*(double|int)\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+0-9.eE]+)\s*;\s*(?://\s*(.*))?$")
STRUCT = re.compile(r"^struct\s+([A-Za-z]+)\s*\{")
FIELD = re.compile(r"^\s*([A-Za-z]+Params)\s+([a-z_]+)\s*;")
LABEL = re.compile(r"^([VDCR])\b[ :]?\s*(.*)$")

# Parameters that a named scenario key sets (docs/scenarios.md): their model.* key would be a
# second name for the same value, so they are set by these keys only.
NAMED = {
    "patient.weight_kg": "patient.weight_kg",
    "patient.saps2": "patient.saps2",
    "patient.ne_sensitivity": "patient.ne_sensitivity",
    "patient.hepatic_function": "patient.hepatic_function",
    "patient.baroreflex_gain": "patient.baroreflex_gain",
    "patient.baseline_intake_mL_per_h": "patient.baseline_intake_mL_per_h",
    "patient.microvascular_injury": "patient.microvascular_injury",
    "patient.usual_map_mmHg": "patient.usual_map_mmHg",
    "patient.age_years": "patient.age_years",
    "patient.cardiac_contractility": "patient.cardiac_contractility",
    "patient.ventricular_stiffness": "patient.ventricular_stiffness",
    "hemodynamics.blood_volume_mL_per_kg": "patient.blood_volume_mL_per_kg",
    "hemodynamics.haematocrit_fraction": "patient.haematocrit_fraction",
    "hemodynamics.intrinsic_heart_rate_bpm": "patient.resting_heart_rate_bpm",
    "sepsis.infection_growth_per_h": "sepsis.growth_per_h",
    "sepsis.host_clearance_per_h": "sepsis.host_clearance_per_h",
    "sepsis.antibiotic_kill_per_h": "sepsis.antibiotic_kill_per_h",
    "sepsis.tachycardia_bpm": "sepsis.tachycardia_bpm",
}

LABEL_NAMES = {"V": "read in the source", "D": "derived", "C": "public model code", "R": "recalled/assumed"}


def parse(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    structs, fields, current, pending = {}, [], None, []
    for n, line in enumerate(lines, 1):
        m = STRUCT.match(line)
        if m:
            current = m.group(1)
            structs.setdefault(current, [])
            pending = []
            continue
        if line.startswith("};"):
            current = None
            continue
        if current is None:
            continue
        if current == "ModelParams":
            f = FIELD.match(line)
            if f:
                fields.append((f.group(1), f.group(2)))
            continue
        stripped = line.strip()
        if stripped.startswith("//"):
            pending.append(stripped[2:].strip())
            continue
        if not stripped.startswith(("double ", "int ")):
            pending = []
            continue
        m = MEMBER.match(line)
        if not m:
            sys.exit(f"{path}:{n}: cannot read this parameter line (expected 'double name = value;  // LABEL note'): {stripped}")
        kind, name, value, comment = m.groups()
        note = (comment or "").strip() or " ".join(pending)
        lm = LABEL.match(note)
        label, text = (lm.group(1), lm.group(2)) if lm else ("", note)
        structs[current].append((kind, name, value, label, text, n))
        pending = []
    out = []
    for struct, member in fields:
        if struct not in structs:
            sys.exit(f"{path}: ModelParams member {member} has type {struct}, which the file does not declare")
        for kind, name, value, label, text, n in structs[struct]:
            out.append(dict(group=member, name=name, key=f"{member}.{name}", kind=kind, value=value,
                            label=label, note=text, line=n))
    if not out:
        sys.exit(f"{path}: no parameters found")
    return out


def cxx_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_inc(params, path):
    rows = ["// Generated from model/params.hpp by tools/gen_parameter_table.py: do not edit."]
    for p in params:
        named = NAMED.get(p["key"], "")
        if p["kind"] == "double":
            ref = f"[](ModelParams& m) -> double& {{ return m.{p['group']}.{p['name']}; }}, nullptr"
        else:
            ref = f"nullptr, [](ModelParams& m) -> int& {{ return m.{p['group']}.{p['name']}; }}"
        rows.append(f"    {{{cxx_string(p['key'])}, {cxx_string(p['label'])}, {cxx_string(p['note'])}, {p['value']}, "
                    f"{cxx_string(named)}, {ref}}},")
    open(path, "w", encoding="utf-8").write("\n".join(rows) + "\n")


def docs_block(params):
    groups = []
    for p in params:
        if p["group"] not in groups:
            groups.append(p["group"])
    labelled = sum(1 for p in params if p["label"])
    out = [f"{len(params)} parameters in {len(groups)} groups; {labelled} carry a source label "
           f"({', '.join(f'{k} {v}' for k, v in LABEL_NAMES.items())}); the others are marked -.", ""]
    for g in groups:
        out.append(f"### `{g}`")
        out.append("")
        out.append("| Key to set it | Default | Label | Source and note |")
        out.append("|---|---|---|---|")
        for p in params:
            if p["group"] != g:
                continue
            named = NAMED.get(p["key"])
            key = f"`{named}` (named key; params.hpp `{p['key']}`)" if named else f"`model.{p['key']}`"
            note = p["note"].replace("|", "\\|")
            out.append(f"| {key} | {p['value']} | {p['label'] or '-'} | {note} |")
        out.append("")
    return "\n".join(out)


def replace_block(text, block):
    begin, end = "<!-- parameters:begin (generated by tools/gen_parameter_table.py) -->", "<!-- parameters:end -->"
    if begin not in text or end not in text:
        sys.exit("docs: the page has no parameters:begin/end markers")
    a = text.index(begin) + len(begin)
    b = text.index(end)
    return text[:a] + "\n" + block + "\n" + text[b:]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("params_hpp")
    ap.add_argument("--inc")
    ap.add_argument("--docs")
    ap.add_argument("--check", action="store_true", help="with --docs: fail if the page is not current")
    a = ap.parse_args()
    params = parse(a.params_hpp)
    if a.inc:
        write_inc(params, a.inc)
    if a.docs:
        text = open(a.docs, encoding="utf-8").read()
        new = replace_block(text, docs_block(params))
        if a.check:
            if new != text:
                sys.exit(f"{a.docs} is not current: run python3 tools/gen_parameter_table.py model/params.hpp --docs {a.docs}")
        else:
            open(a.docs, "w", encoding="utf-8").write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
