"""`python -m dashboard export`: press maps from the command line (one view, or one file per project).

    python -m dashboard export --preset a4 --format pdf --project P1 --voivodeship mazowieckie \\
        --years 1990-2020 --lang pl --title "Nasze miasta" --out mapa.pdf
    python -m dashboard export --preset social --format png --all-projects --out-dir out/
    python -m dashboard export --preset square --project p1 --town Biłgoraj --out bilgoraj.png
    python -m dashboard export --preset a4 --view "https://atlas.miasta.pl/?p=P1&woj=06&town=0602011" --out m.pdf

Every file gets its alt text beside it (mapa.pdf -> mapa.txt). Exit codes: 0 done, 2 bad arguments (a message
says which and what is allowed), 1 the export itself failed (e.g. Chromium missing: the message says how to
install it).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Container, Sequence
from urllib.parse import parse_qs

from dashboard import config
from dashboard.export.spec import FORMATS, PRESETS, ExportSpec, ExportSpecError, one_line
from dashboard.ingest.tabular import DataFileError
from dashboard.ingest.values import voivodeship_code
from dashboard.model.state import LANGS, MATCHES, METRICS, YEAR_MAX, YEAR_MIN, FilterState

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line arguments (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and sys.exit(2); we want main() to return 2
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m dashboard export",
        description="Export the map of a dashboard view for press, print or social media (PNG/SVG/PDF), "
                    "with its alt text beside the file.",
    )
    p.add_argument("--preset", required=True, choices=list(PRESETS),
                   help="size: a4, a4-landscape, a5 (print, 300 dpi), social 1200×675, square 1080×1080, "
                        "slide 1920×1080")
    p.add_argument("--format", choices=list(FORMATS), help="png, svg or pdf (default: from --out's suffix)")
    p.add_argument("--view", metavar="URL",
                   help="a view exactly as the dashboard's address holds it (the whole URL or its query, e.g. "
                        "'?p=P1&woj=06&town=0602011'); cannot be combined with the other view options")
    p.add_argument("--project", action="append", default=[], metavar="ID",
                   help="project id (e.g. P1 or p1); repeat for several")
    p.add_argument("--match", choices=list(MATCHES), default="any",
                   help="with several projects: cities in any (default) or all of them")
    p.add_argument("--voivodeship", action="append", default=[], metavar="NAME",
                   help="województwo name (e.g. mazowieckie, 'slaskie') or 2-digit TERYT code; repeat for several")
    p.add_argument("--years", metavar="FROM-TO",
                   help="join-year range, e.g. 1990-2020 (or one year); 'unknown' = only members whose join year "
                        "is unknown")
    p.add_argument("--exclude-unknown-year", action="store_true",
                   help="with --years: leave out members whose join year is unknown")
    p.add_argument("--metric", choices=list(METRICS), default="projects", help="what colours the map")
    p.add_argument("--town", metavar="NAME|TERYT",
                   help="zoom on a town (as the dashboard's town search): its name (diacritics and case do not "
                        "matter, e.g. bilgoraj) or its gmina's 7-digit TERYT")
    p.add_argument("--select", action="append", default=[], metavar="TERYT",
                   help="gminy selected on the map (7-digit TERYT, comma-separated or repeated)")
    p.add_argument("--lang", choices=list(LANGS), default=None,
                   help="language of the texts (default: the view's, else pl)")
    p.add_argument("--title", help="title (default: generated from the filters)")
    p.add_argument("--subtitle", help="subtitle (default: generated from the filters)")
    p.add_argument("--logo", action="store_true", help="add assets/logo.svg or assets/logo.png to the footer")
    p.add_argument("--base-url", help="public address of the dashboard for the view's link "
                                      "(default $ATLAS_PUBLIC_URL; none = no link is printed)")
    p.add_argument("--out", metavar="FILE", help="output file")
    p.add_argument("--all-projects", action="store_true", help="one file per project (needs --out-dir)")
    p.add_argument("--out-dir", metavar="DIR", help="output folder for --all-projects")
    return p


def parse_voivodeships(values: Sequence[str], names: dict[str, str]) -> tuple[str, ...]:
    """Names as the office writes them (dashboard.ingest.values.voivodeship_code: diacritics, case, hyphens and a
    'woj.' prefix do not matter) or 2-digit codes -> sorted codes."""
    codes: list[str] = []
    for raw in values:
        code = voivodeship_code(raw.strip())
        if code not in names:
            raise UsageError(f"--voivodeship {raw!r} is not a województwo; use one of: "
                             + ", ".join(names.values()) + " (or its 2-digit TERYT code)")
        if code not in codes:
            codes.append(code)
    return tuple(sorted(codes))


def parse_years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    if text.strip().lower() in ("unknown", "nieznany"):
        from dashboard.model.state import UNKNOWN_ONLY

        return UNKNOWN_ONLY
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*", text)
    if not m:
        raise UsageError(f"--years {text!r} is not a range like 1990-2020 (FROM-TO, four-digit years)")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (YEAR_MIN <= lo <= YEAR_MAX and YEAR_MIN <= hi <= YEAR_MAX):
        raise UsageError(f"--years {text!r}: years must be within {YEAR_MIN}-{YEAR_MAX}")
    if lo > hi:
        raise UsageError(f"--years {text!r}: FROM ({lo}) is after TO ({hi})")
    return (lo, hi)


def within_join_years(years: tuple[int, int] | None, known: tuple[int, int] | None) -> tuple[int, int] | None:
    """--years must meet the join years of the data (`known`, as the dashboard's slider spans them): a range
    outside them (1980-1985) would print a map of the members of unknown year titled with years no one joined in."""
    from dashboard.model.state import UNKNOWN_ONLY

    if years is None or years == UNKNOWN_ONLY or known is None or (years[0] <= known[1] and years[1] >= known[0]):
        return years
    raise UsageError(f"--years {years[0]}-{years[1]}: no member joined in these years; the data's join years are "
                     f"{known[0]}-{known[1]} (or 'unknown')")


def _check_combinations(a: argparse.Namespace) -> str:
    """Validate option combinations that need no data; return the format."""
    if a.all_projects:
        if a.out:
            raise UsageError("--all-projects writes one file per project: give --out-dir DIR, not --out")
        if not a.out_dir:
            raise UsageError("--all-projects needs --out-dir DIR")
        if a.project or (a.view and re.search(r"(^|[?&])p=", a.view)):
            raise UsageError("--all-projects and --project cannot be combined")
        if a.title or a.subtitle:
            raise UsageError("--title/--subtitle cannot be combined with --all-projects "
                             "(each project gets its own generated title)")
        if not a.format:
            raise UsageError("--all-projects needs --format png|svg|pdf")
        return a.format
    if a.out_dir:
        raise UsageError("--out-dir is only for --all-projects; for one file use --out FILE")
    if not a.out:
        raise UsageError("missing --out FILE (or --all-projects --out-dir DIR)")
    suffix = Path(a.out).suffix.lower().lstrip(".")
    if a.format is None:
        if suffix not in FORMATS:
            raise UsageError(f"--out {a.out!r}: cannot tell the format from the suffix; add --format png|svg|pdf")
        return suffix
    if suffix and suffix != a.format:
        raise UsageError(f"--out {a.out!r} has suffix .{suffix} but --format is {a.format}; make them agree")
    if not suffix:
        raise UsageError(f"--out {a.out!r} has no suffix; name it e.g. {a.out}.{a.format}")
    return a.format


def _check_title(a: argparse.Namespace) -> None:
    for opt in ("title", "subtitle"):
        value = getattr(a, opt)
        if value is not None and not value.strip():
            raise UsageError(f"--{opt} is empty; leave it out to get the generated {opt}")


def parse_projects(values: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """Project ids in any case ('p1' -> 'P1'), in the order given, without repeats."""
    by_fold = {k.casefold(): k for k in known}
    unknown = [p for p in values if p.strip().casefold() not in by_fold]
    if unknown:
        raise UsageError(f"--project {', '.join(unknown)}: no such project; known ids: {', '.join(known)}")
    return tuple(dict.fromkeys(by_fold[p.strip().casefold()] for p in values))


def parse_town(text: str | None, atlas) -> str | None:
    """--town: a gmina TERYT or a town's name (as the dashboard's town search finds it) -> 7-digit TERYT."""
    if text is None:
        return None
    v = text.strip()
    gm = set(atlas.gminy["terc"])
    if re.fullmatch(r"\d{6}", v) and "0" + v in gm:   # a TERYT that lost its leading zero in a spreadsheet
        v = "0" + v
    if re.fullmatch(r"\d{6,7}", v):
        if v not in gm:
            raise UsageError(f"--town {text!r}: no gmina has this TERYT (7 digits, e.g. 0201011)")
        return v
    from dashboard.ingest.values import fold
    from dashboard.model import query

    key = fold(v)
    ent = query.derived(atlas).entities
    exact = sorted(set(ent.loc[(ent["folded"] == key) & ent["gmina_teryt"].notna(), "gmina_teryt"]))
    if not exact:
        towns = atlas.gminy[[fold(n) == key for n in atlas.gminy["name"]]]
        towns = towns.sort_values("terc", key=lambda s: s.str[-1].map({"1": 0, "3": 1, "2": 2}))
        exact = list(towns["terc"][:1]) if len(set(towns["terc"].str[:2])) <= 1 else list(towns["terc"])
    if len(exact) == 1:
        return exact[0]
    hits = query.find_towns(atlas, v, limit=8)
    if len(exact) > 1 or hits:
        options = [f"{h.name} ({h.voivodeship}) = {h.terc}" for h in hits] or exact
        raise UsageError(f"--town {text!r} is ambiguous or not exact; give the TERYT of one of: "
                         + "; ".join(options))
    raise UsageError(f"--town {text!r}: no town or gmina of that name")


def parse_selected(values: Sequence[str], places: Container[str]) -> tuple[str, ...]:
    """--select's codes; each must be a gmina (or powiat) of the map (`places`: query.known_places)."""
    codes = [c.strip() for v in values for c in v.split(",") if c.strip()]
    bad = [c for c in codes if not re.fullmatch(r"\d{7}|\d{4}", c)]
    if bad:
        raise UsageError(f"--select {', '.join(bad[:5])}: not a 7-digit gmina (or 4-digit powiat) TERYT")
    unknown = [c for c in codes if c not in places]
    if unknown:
        raise UsageError(f"--select {', '.join(unknown[:5])}: no gmina or powiat of the map has this TERYT")
    return tuple(sorted(dict.fromkeys(codes)))


_VIEW_OPTIONS = ("project", "voivodeship", "years", "town", "select")


def _quoted(text: str, limit: int = 200) -> str:
    """``text`` quoted for a message, cut when long (an error repeated a 15 KB --view in full)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"


# what the page does with a bad value ("…; 2020 used", "…; ignored"): the command does none of it, it refuses
_FALLBACK = re.compile(r";\s*(?:'\w+' ignored|ignored|default used|default view shown|\d+ used)$")


def _refusal(notice: str) -> str:
    """A notice of the address parser as the command's refusal: what is wrong, without the page's fallback."""
    return _FALLBACK.sub("", notice)


def view_state(a: argparse.Namespace, atlas) -> FilterState:
    """The FilterState the options describe (--view, or the single options)."""
    from dashboard.model import query  # here, not at the top: Chromium starts before pandas is imported

    known = [str(p) for p in atlas.projects["id"]]
    if a.view is not None:
        given = [f"--{o}" for o in _VIEW_OPTIONS if getattr(a, o)] + \
            (["--match"] if a.match != "any" else []) + (["--metric"] if a.metric != "projects" else []) + \
            (["--exclude-unknown-year"] if a.exclude_unknown_year else [])
        if given:
            raise UsageError(f"--view cannot be combined with {', '.join(given)}: put everything in the view")
        query_text = a.view.split("?", 1)[1] if "?" in a.view else a.view
        state = query.address_view(atlas, query_text)
        if state.notices:
            raise UsageError(f"--view {_quoted(a.view)}: " + "; ".join(_refusal(n) for n in state.notices))
        asked = (parse_qs(query_text).get("asof") or [""])[-1].strip()
        if asked.isdigit() and int(asked) != state.asof:   # the page shows the nearest year; a command should not
            lo, hi = query.year_range(atlas)
            raise UsageError(f"--view {_quoted(a.view)}: asof={asked} is outside the data's years {lo}–{hi}")
        return state.replace(lang=a.lang) if a.lang else state   # the view's own lang=, unless --lang says
    names = query.voivodeship_names(atlas)
    try:
        return FilterState(projects=parse_projects(a.project, known), match=a.match,
                           voivodeships=parse_voivodeships(a.voivodeship, names),
                           years=within_join_years(parse_years(a.years), query.derived(atlas).known_years),
                           include_unknown_year=not a.exclude_unknown_year, metric=a.metric, lang=a.lang or "pl",
                           selected=parse_selected(a.select, query.known_places(atlas)),
                           focus=parse_town(a.town, atlas))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def make_specs(a: argparse.Namespace, atlas) -> list[tuple[ExportSpec, Path]]:
    """The specs to render, validated against the data (project ids, voivodeship names, towns)."""
    fmt = _check_combinations(a)
    _check_title(a)
    known = [str(p) for p in atlas.projects["id"]]
    state = view_state(a, atlas)
    try:
        if a.all_projects:
            out_dir = Path(a.out_dir)
            specs = []
            for pid in known:
                spec = ExportSpec(state=replace(state, projects=(pid,)), preset=a.preset, format=fmt,
                                  logo=a.logo, base_url=a.base_url)
                specs.append((spec, out_dir / spec.filename()))
            return specs
        spec = ExportSpec(state=state, preset=a.preset,
                          format=fmt, title=one_line(a.title) if a.title else None,
                          subtitle=one_line(a.subtitle) if a.subtitle else None, logo=a.logo, base_url=a.base_url)
    except (ExportSpecError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return [(spec, Path(a.out))]


def _check_writable(path: Path) -> None:
    folder = path.parent
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write {path}: {probe} is not a folder")
    if path.exists() and path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a folder; give a file name")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "export":
        argv = argv[1:]
    parser = build_parser()
    if any(a in ("-h", "--help") for a in argv):
        parser.print_help()
        return EXIT_OK
    try:
        args = parser.parse_args(argv)
        _check_combinations(args)   # before loading any data: cheap errors first
        _check_title(args)
        config.validate()           # the settings the page would refuse to start with (a link, a logo, …)
        from dashboard.model.atlas_cache import cached_atlas

        atlas = cached_atlas()   # stored on disk, keyed by the data, the boundaries and the code (built when missing)
        jobs = make_specs(args, atlas)
        for _, out in jobs:
            _check_writable(out)
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        print(f"usage: see `{parser.prog} --help`", file=sys.stderr)
        return EXIT_USAGE
    except (config.ConfigError, DataFileError) as exc:   # the environment or the office's files: one clear line
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from dashboard.export.render import ChromiumMissing, RenderError, get_renderer, write_export

    # Chromium starts while the first figure is built; never for a command that ends in a usage error (a browser
    # stopped half-started at exit printed its own warnings and tracebacks after the error's one line)
    renderer = get_renderer().start_soon()

    t0 = time.perf_counter()
    try:
        for spec, out in jobs:   # the figure is built before the render waits for Chromium (and raises its error)
            res = write_export(spec, out, atlas, renderer=renderer)
            print(f"wrote {out} ({spec.preset_obj.label('en')}, {len(res.content):,} bytes, "
                  f"{res.seconds:.1f} s) + alt text {out.with_suffix('.txt')}")
    except ChromiumMissing as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (RenderError, OSError, FileNotFoundError) as exc:
        print(f"{parser.prog}: export failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if len(jobs) > 1:
        print(f"{len(jobs)} files in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
