"""`python -m dashboard summary --as-of YEAR [--json] [--evidence list,stated,role[,weak]]`

Who was a member of ZMP at the end of YEAR, read from the union's files (see dashboard.model.membership for the
rules), at the page's evidence levels unless --evidence says others (weak hints are off by default on both: the
command counted them and gave 172 "listed later" where the page said 159). Exit codes: 0; 2 for a bad year or
evidence level (the message says the valid range).
"""
from __future__ import annotations

import argparse
import json
import sys

from dashboard.model import membership
from dashboard.model.state import EVIDENCE_DEFAULT, EVIDENCE_LEVELS

EXIT_OK, EXIT_USAGE = 0, 2
STATUS_TEXT = {"member": "member (dated)", "member_undated": "member, listed later (status then unknown)",
               "not_member": "not a member"}


def format_human(result: dict) -> str:
    c = result["counts"]
    total = result["published_total"]
    total = f"{total} ({result['published_total_as_of']})" if total is not None else "none that year"
    lines = [f"ZMP members as of {result['as_of']} (evidence: {', '.join(result['evidence'])})",
             f"  member (dated): {c['member']}   listed later, status then unknown: {c['member_undated']}   "
             f"not a member: {c['not_member']}   published total: {total}",
             ""]
    for status in membership.STATUSES:
        rows = [r for r in result["cities"] if r["status"] == status]
        if not rows:
            continue
        lines.append(f"{STATUS_TEXT[status]} ({len(rows)}):")
        for r in rows:
            when = "; ".join(x for x in (r["joined"] and f"joined {r['joined']}", r["left"] and f"left {r['left']}")
                             if x)
            lines.append(f"  {r['name']} ({r['voivodeship']}, {r['teryt']}) [{r['evidence']}]"
                         + (f" — {when}" if when else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard summary", description=__doc__.splitlines()[0])
    ap.add_argument("--as-of", required=True, metavar="YEAR", help="the year whose end is asked about")
    ap.add_argument("--evidence", default=",".join(EVIDENCE_DEFAULT),
                    help=f"evidence levels counted, comma-separated, of {', '.join(EVIDENCE_LEVELS)} "
                         f"(default, as the page: {', '.join(EVIDENCE_DEFAULT)})")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args(argv)
    levels = [v.strip().lower() for v in a.evidence.split(",") if v.strip()]
    bad = [v for v in levels if v not in EVIDENCE_LEVELS]
    if bad or not levels:
        print(f"error: --evidence {a.evidence!r}: give some of {', '.join(EVIDENCE_LEVELS)}", file=sys.stderr)
        return EXIT_USAGE
    from dashboard.model.atlas_cache import cached_atlas  # after the arguments: a typo answers at once

    atlas = cached_atlas()   # the app's stored atlas (built and stored when missing)
    try:
        year = membership.valid_year(a.as_of, atlas)
    except ValueError as e:
        print(f"error: --as-of: {e}", file=sys.stderr)
        return EXIT_USAGE
    result = membership.summary(atlas, year, levels)
    print(json.dumps(result, ensure_ascii=False, indent=1) if a.json else format_human(result))
    return EXIT_OK
