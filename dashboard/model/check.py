"""`python -m dashboard check-data [--members F] [--projects F] [--participation F] [--events F] [--json]`

Reads the union's files, joins them and reports every row that needs attention. A table not given on the command
line is the one the app would use: ATLAS_MEMBERS / ATLAS_PARTICIPATION / ATLAS_PROJECTS, else ATLAS_DATA_DIR, else
the shipped data/ (dashboard.ingest.datafiles).
Exit codes: 0 every row matched; 1 some rows need attention; 2 a file cannot be read at all.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from dashboard.ingest.datafiles import DataFile, data_files, with_origin
from dashboard.ingest.dataset import DataFileError
from dashboard.join.resolve import JoinReport
from dashboard.model.atlas import read_and_join

EXIT_OK, EXIT_ATTENTION, EXIT_UNREADABLE = 0, 1, 2


def check(members=None, projects=None, participation=None, events=None) -> JoinReport:
    """Read + validate + join, the very steps the atlas starts with; raises DataFileError when a file cannot be
    read."""
    return read_and_join(members, projects, participation, events=events).report


def files_to_check(members=None, projects=None, participation=None, events=None) -> dict[str, DataFile]:
    """Command-line files, else the configured ones (what the app would use)."""
    given = {"members": members, "projects": projects, "participation": participation, "events": events}
    configured = data_files()
    files = {t: DataFile(given[t], "command line") if given[t] else configured[t] for t in configured}
    if members and not events:
        files.pop("events", None)   # the shipped events describe the shipped members
    return files


def format_human(report: JoinReport) -> str:
    lines = ["Atlas ZMP — data check", ""]
    lines += _files_lines(report)
    lines += [""] + _summary_lines(report)
    lines += _file_problem_lines(report)
    attention = report.needs_attention
    if attention:
        lines += ["", f"Rows that need attention ({len(attention)}):"]
        for r in attention:
            lines += _attention_lines(r)
    # rows matched after a guess or a repair (a TERYT that lost its leading zero): the office should see what was
    # read, and fix the file
    guessed = ("name_fallback", "point", "crosswalk", "teryt6")
    fallbacks = [r for r in report.rows if r.status == "matched" and (
        r.method in guessed or (r.method == "teryt" and r.reason not in ("", "by TERYT")))]
    if fallbacks:
        lines += ["", f"Matched with a note ({len(fallbacks)}):"]
        for r in fallbacks:
            lines.append(f"  {r.table} row {r.row}: {r.name!r} -> {r.teryt} ({r.method}): {r.reason}")
    lines += ["", "OK: every row matched." if report.ok else "Some rows need attention (exit code 1)."]
    return "\n".join(lines)


_SEPARATORS = {";": "';'", ",": "','", "\t": "tab", "|": "'|'", "": ""}


def _files_lines(report: JoinReport) -> list[str]:
    """Each file, where its name came from, and how it was read (encoding, separator, header, columns)."""
    lines = []
    for table, path in report.files.items():
        origin = report.origins.get(table, "")
        lines.append(f"  {table:<14} {path}" + (f"   (from {origin})" if origin and origin != "command line" else ""))
        info = report.tables.get(table)
        if info:
            sep = _SEPARATORS.get(info["delimiter"], info["delimiter"])
            how = ", ".join(x for x in (info["encoding"], sep and f"separator {sep}",
                                        f"header in row {info['header_row']}", f"{info['rows']} rows") if x)
            cols = ", ".join(c if h == c else f"{h} → {c}" for c, h in info["columns"].items())
            lines.append(f"  {'':<14} read as {how}; columns: {cols}")
            if info["ignored_columns"]:
                lines.append(f"  {'':<14} ignored columns: {', '.join(info['ignored_columns'])}")
    if "events" not in report.files:
        lines.append(f"  {'events':<14} none: the shipped dated joins and departures describe the shipped member "
                     "list, not this one; give the register's own events file (ATLAS_EVENTS, a 'zdarzenia' file in "
                     "ATLAS_DATA_DIR, or --events) for its dates")
    return lines


def _summary_lines(report: JoinReport) -> list[str]:
    s = report.summary()
    lines = ["  " + "  ".join(f"{k}: {s[k]}" for k in ("matched", "ambiguous", "unmatched", "invalid", "duplicate"))
             + f"  (rows: {s['total']})"]
    for table, counts in report.summary_by_table().items():
        lines.append(f"    {table:<14}" + "  ".join(f"{k} {v}" for k, v in counts.items()))
    if s["skipped_empty_rows"]:
        lines.append(f"  empty rows skipped: {s['skipped_empty_rows']}")
    return lines


def _file_problem_lines(report: JoinReport) -> list[str]:
    lines = []
    blocking = [p for p in report.file_problems if p.blocking]
    notes = [p for p in report.file_problems if not p.blocking]
    if blocking:
        lines += ["", "File problems:"] + [f"  - {p}" for p in blocking]
    if notes:
        lines += ["", "Notes (the file was read this way — check):"] + [f"  - {p}" for p in notes]
    return lines


def _attention_lines(r) -> list[str]:
    """One row that needs attention: what it is, why, each problem with its fix, candidates and suggestions."""
    proj = f" [{r.project_id}]" if r.project_id else ""
    lines = [f"  {r.table} row {r.row}{proj}: {r.name!r}" + (f" ({r.voivodeship})" if r.voivodeship else "")
             + f" — {r.status.upper()}   [{Path(r.file).name}]"]
    if r.status == "invalid" and r.problems:   # the problems say what; the reason only adds the identity
        m = re.search(r"\(identified as (.*)\)$", r.reason)
        if m:
            lines.append(f"      identified as {m.group(1)}")
    else:
        lines.append(f"      {r.reason}")
    for p in r.problems:
        val = f" = {p.value!r}" if p.value not in (None, "") else ""
        col = f"column '{p.column}'" if p.column else "row"
        lines.append(f"      · {col}{val}: {p.message}. Fix: {p.fix}")
    if r.candidates:
        lines.append("      candidates: " + "; ".join(str(c) for c in r.candidates))
    if r.suggestions:
        label = "the name alone gives" if r.status == "invalid" else "did you mean"
        lines.append(f"      {label}: " + "; ".join(r.suggestions))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard check-data",
                                 description="Check the union's member/project files and their join to gminy.",
                                 epilog="Exit codes: 0 every row matched; 1 some rows need attention; 2 a file "
                                        "cannot be read at all.")
    ap.add_argument("--members", help="members file (CSV or XLSX; file.xlsx#Sheet); default: what the app uses "
                                      "(ATLAS_MEMBERS, else ATLAS_DATA_DIR, else data/members.csv)")
    ap.add_argument("--projects", help="projects file; default: ATLAS_PROJECTS, ATLAS_DATA_DIR or data/projects.csv")
    ap.add_argument("--participation", help="participation file; default: ATLAS_PARTICIPATION, ATLAS_DATA_DIR or "
                                            "data/participation.csv")
    ap.add_argument("--events", help="membership events file (dated joins and departures); default: ATLAS_EVENTS, "
                                     "ATLAS_DATA_DIR or data/membership_events.csv")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    a = ap.parse_args(argv)
    files: dict[str, DataFile] = {}
    try:
        files = files_to_check(a.members, a.projects, a.participation, a.events)
        report = check(**{t: f.path for t, f in files.items()})
        report.origins.update({t: f.origin for t, f in files.items()})
    except DataFileError as err:
        e = with_origin(err, files)
        if a.json:
            print(json.dumps({"error": {"file": e.path, "reason": e.reason, "fix": e.fix}}, ensure_ascii=False))
        print(f"error: cannot read {e.path}: {e.reason}" + (f". Fix: {e.fix}" if e.fix else ""), file=sys.stderr)
        return EXIT_UNREADABLE
    if a.json:
        print(json.dumps(report.to_json_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_human(report))
    return EXIT_OK if report.ok else EXIT_ATTENTION
