"""`python -m dashboard <command>`: check-data (the union's files and their join), summary (who was a member at
the end of a year), export (press exports)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    ap.add_argument("command", choices=["check-data", "summary", "export"], help="what to run")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="options of the command (see <command> --help)")
    a = ap.parse_args(argv[:1])
    rest = argv[1:]
    if a.command == "check-data":
        from dashboard.model.check import main as check_main

        return check_main(rest)
    if a.command == "summary":
        from dashboard.model.summary_cli import main as summary_main

        return summary_main(rest)
    from dashboard.export.cli import main as export_main

    return export_main(rest)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # `... | head`: the reader went away; not an error of ours
        sys.stderr.close()
        raise SystemExit(0) from None
