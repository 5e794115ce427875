"""CLI: `python -m geodata prepare [--mirror DIR] [--force]` and `python -m geodata info`."""
from __future__ import annotations

import argparse
import json
import sys

from .errors import GeodataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geodata", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="verify the pinned inputs, validate, build the cache (idempotent)")
    p.add_argument("--mirror", metavar="DIR", help="folder with prg/*.geojson and originals/* "
                   "(default: $ATLAS_GEODATA_MIRROR; without one the pinned originals are downloaded)")
    p.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    sub.add_parser("info", help="print a JSON summary of the prepared cache")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            from .prepare import prepare

            m = prepare(mirror=args.mirror, force=args.force)
            unavailable = {k: v["error"] for k, v in m["enrichments"].items() if not v.get("available")}
            for layer, why in unavailable.items():
                print(f"geodata: WARNING enrichment {layer} unavailable: {why}", file=sys.stderr)
            print(f"geodata: {m['status']}: {m['gminy']} gminy, {m['powiaty']} powiaty, {m['wojewodztwa']} "
                  f"województwa; web gminy {m['web']['gminy']['bytes']:,} B "
                  f"({m['web']['gminy']['gzip_bytes']:,} B gzip)", file=sys.stderr)
        else:
            from . import info

            print(json.dumps(info(), ensure_ascii=False, indent=2))
    except GeodataError as exc:
        print(f"geodata: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
