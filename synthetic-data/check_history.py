#!/usr/bin/env python3
"""Validate history.csv and print its coverage (key x year).

Usage: python3 check_history.py [HISTORY_CSV]   (default: history.csv beside this file)
Standard library only. Exit code 0 when valid, 2 when any row is wrong (each error names the
file, row, column, value and what is allowed).

Checks: the columns; every key in the vocabulary (history_vocab.py) and documented in
SOURCES.md; the unit the vocabulary gives for the key; the date's form for the key's kind
(stock YYYY-MM, flow YYYY-MM/YYYY-MM, annual YYYY, level any of the three) and that months
are 01-12 and ranges run forward; value a plain number; confirmed yes or no; a source that
names no machine path; no two rows with one key and date and different values unless both
sources carry a "[conflict: ...]" note.
"""
import csv
import os
import re
import sys

from history_vocab import VOCAB

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["key", "date", "unit", "value", "source", "confirmed"]
YEARS = list(range(2013, 2026))
NUMBER = re.compile(r"-?\d+(\.\d+)?")
MONTH = r"(\d{4})-(0[1-9]|1[0-2])"
FORMS = {
    "annual": re.compile(r"(\d{4})"),
    "stock": re.compile(MONTH),
    "flow": re.compile(MONTH + "/" + MONTH),
}
FORMS_TEXT = {"annual": "YYYY", "stock": "YYYY-MM", "flow": "YYYY-MM/YYYY-MM"}


def date_kind(date):
    """The form a date has ('annual', 'stock' or 'flow'), or None."""
    for kind, rx in FORMS.items():
        if rx.fullmatch(date):
            return kind
    return None


def date_year(date):
    """The calendar year a figure belongs to: a flow's last month's year."""
    return int(date.split("/")[-1][:4])


def check(path):
    errors = []
    name = os.path.basename(path)

    def err(row, col, val, allowed):
        errors.append(f"{name}: row {row}, column {col}: {val!r}: {allowed}")

    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != COLUMNS:
            err(1, "header", ",".join(header or []), "must be exactly " + ",".join(COLUMNS))
            return errors, []
        rows = []
        for i, rec in enumerate(reader, start=2):
            if len(rec) != len(COLUMNS):
                err(i, "-", ",".join(rec), f"must have {len(COLUMNS)} fields")
                continue
            rows.append((i, dict(zip(COLUMNS, rec))))

    sources_md = open(os.path.join(HERE, "SOURCES.md"), encoding="utf-8").read()
    for key in VOCAB:
        if f"`{key}`" not in sources_md:
            errors.append(f"SOURCES.md: key `{key}` of history_vocab.py is not documented")

    seen = {}
    for i, r in rows:
        key = r["key"]
        if key not in VOCAB:
            err(i, "key", key, "not in the vocabulary (history_vocab.py, SOURCES.md)")
            continue
        unit, kind = VOCAB[key]
        if r["unit"] != unit:
            err(i, "unit", r["unit"], f"the unit of {key} is {unit!r}")
        dk = date_kind(r["date"])
        if dk is None:
            err(i, "date", r["date"], "must be YYYY, YYYY-MM or YYYY-MM/YYYY-MM (months 01-12)")
        elif kind != "level" and dk != kind:
            err(i, "date", r["date"], f"{key} is a {kind}: date as {FORMS_TEXT[kind]}")
        elif dk == "flow":
            a, b = r["date"].split("/")
            if a > b:
                err(i, "date", r["date"], "the range must run forward")
        if not NUMBER.fullmatch(r["value"]):
            err(i, "value", r["value"], "must be a plain number (qualifiers go in the source)")
        if r["confirmed"] not in ("yes", "no"):
            err(i, "confirmed", r["confirmed"], "must be yes or no")
        src = r["source"].strip()
        if not src:
            err(i, "source", src, "must name where the figure comes from")
        if re.search(r"(^|[\s(])/(work|home|tmp|root|Users)/", src):
            err(i, "source", src, "must not name a machine path")
        seen.setdefault((key, r["date"]), []).append((i, r))

    for (key, date), group in seen.items():
        values = {r["value"] for _, r in group}
        if len(values) > 1 and not all("[conflict:" in r["source"] for _, r in group):
            lines = ", ".join(f"row {i} = {r['value']}" for i, r in group)
            errors.append(f"{name}: {key} {date} has different values ({lines}) and no [conflict: ...] note")
    return errors, [r for _, r in rows]


def coverage(rows):
    """Key x year table. Y: a confirmed year-end stock, full-year flow or yearly figure;
    y: confirmed, only an in-year point or part-year flow; R: recalled only (confirmed=no)."""
    cells = {}
    for r in rows:
        if r["key"] not in VOCAB:
            continue
        year = date_year(r["date"])
        d = r["date"]
        full = (re.fullmatch(r"\d{4}", d) or d.endswith("-12") and "/" not in d
                or re.fullmatch(r"(\d{4})-01/\1-12", d))
        mark = ("Y" if full else "y") if r["confirmed"] == "yes" else "R"
        rank = {"Y": 3, "y": 2, "R": 1}
        old = cells.get((r["key"], year))
        if old is None or rank[mark] > rank[old]:
            cells[(r["key"], year)] = mark
    keys = [k for k in VOCAB if any((k, y) in cells for y in range(1900, 2100))]
    width = max(len(k) for k in keys)
    lines = [" " * width + " " + " ".join(f"{y % 100:02d}" for y in YEARS)]
    for k in keys:
        lines.append(k.ljust(width) + " " + " ".join(f"{cells.get((k, y), '.'):>2}" for y in YEARS))
    lines.append("Y confirmed year-end/full-year/yearly; y confirmed in-year only; R recalled only; . none")
    return "\n".join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "history.csv")
    errors, rows = check(path)
    print(coverage(rows))
    if errors:
        for e in errors:
            print("error:", e, file=sys.stderr)
        print(f"{len(errors)} error(s) in {path}", file=sys.stderr)
        sys.exit(2)
    print(f"{os.path.basename(path)}: {len(rows)} rows, {len({r['key'] for r in rows})} keys, all valid")


if __name__ == "__main__":
    main()
