"""FilterState: the one validated object behind every view of the dashboard.

Everything the user can choose lives here; every chart, the map, the table and the exports are pure functions of
(atlas, state). The state round-trips losslessly through a URL query string (shareable links) and a plain dict
(dcc.Store). Parsing never raises on user input: an invalid or tampered field falls back to its default and a
human-readable notice is recorded in ``state.notices`` (not part of equality, never serialised).

No Dash imports here (house rule): this module is used by the export too.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Container, Iterable, Mapping
from urllib.parse import parse_qs, quote, urlencode

from dashboard.ingest.values import VOIVODESHIPS, fold, voivodeship_code

MATCHES = ("any", "all")
METRICS = ("projects", "membership")
LANGS = ("pl", "en")
# The 16 województwa (TERYT 2-digit codes, PRG 2020).
VOIVODESHIP_CODES = tuple(f"{c:02d}" for c in range(2, 33, 2))
YEAR_MIN, YEAR_MAX = 1900, 2100
# state.years sentinel: "only members whose join year is unknown" (with include_unknown_year). In the URL it is
# `years=unknown`; old links with years=1900-1900 mean the same and are rewritten to it.
UNKNOWN_ONLY = (YEAR_MIN, YEAR_MIN)
UNKNOWN_YEARS = "unknown"
# "As of" year: the end of that year is the date the view shows (membership, key figures, exports). The state
# knows only the widest range; the atlas's own range (1990 … its newest source) clamps it in the view.
ASOF_DEFAULT, ASOF_MIN, ASOF_MAX = 2020, 1990, 2100
EVIDENCE_LEVELS = ("list", "stated", "role", "weak")
EVIDENCE_DEFAULT = ("list", "stated", "role")   # weak evidence is off by default
MAX_PROJECTS = 50
MAX_SELECTED = 2477          # every gmina (plus powiat codes never exceed that in practice)
MAX_QUERY_CHARS = 40_000     # a query longer than this is rejected as a whole

_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TERYT = re.compile(r"^(\d{7}|\d{4})$")
_GMINA = re.compile(r"^\d{7}$")

# URL keys: short but readable.
_KEYS = {
    "projects": "p",
    "match": "match",
    "voivodeships": "woj",
    "years": "years",
    "include_unknown_year": "unknown",
    "selected": "sel",
    "metric": "metric",
    "lang": "lang",
    "focus": "town",
    "asof": "asof",
    "evidence": "ev",
}


@dataclass(frozen=True)
class FilterState:
    """What the user is looking at.

    projects             project ids (e.g. "P1"); empty = no project filter
    match                "any" (in at least one chosen project) | "all" (in every chosen project)
    voivodeships         2-digit TERYT codes of województwa; empty = all of Poland
    years                inclusive join-year range (lo, hi), or None = no year filter
    include_unknown_year with a year range: keep cities whose join year is unknown
    selected             TERYT codes picked on the map (box/lasso); empty = no selection
    metric               what colours the map: "projects" (number of projects) | "membership"
    lang                 "pl" | "en"
    focus                7-digit TERYT of the gmina found by the town search (highlight + zoom), or None
    asof                 the year whose end the view shows (membership status, key figures, exports)
    evidence             membership evidence levels shown (list, stated, role, weak); weak is off by default
    notices              what was wrong with the input this state was parsed from (not compared, not serialised)
    """

    projects: tuple[str, ...] = ()
    match: str = "any"
    voivodeships: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    include_unknown_year: bool = True
    selected: tuple[str, ...] = ()
    metric: str = "projects"
    lang: str = "pl"
    focus: str | None = None
    asof: int = ASOF_DEFAULT
    evidence: tuple[str, ...] = EVIDENCE_DEFAULT
    notices: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Direct construction is strict (a programming error should be loud); parsing user input is lenient and
        # goes through from_dict/from_query, which never raise.
        problems = _problems(self)
        if problems:
            raise ValueError("invalid FilterState: " + "; ".join(problems))

    # -- derived ---------------------------------------------------------------------------------------------
    @property
    def is_unknown_only(self) -> bool:
        """Only members whose join year is unknown (the growth chart's "year unknown" bar)."""
        return self.years == UNKNOWN_ONLY and self.include_unknown_year

    @property
    def notice_fields(self) -> tuple[str, ...]:
        """The settings the input got wrong (each notice's prefix: "years", "unknown parameter ignored", ...), in a
        fixed order: what a notice about it names."""
        return tuple(sorted({notice.split(":", 1)[0].strip() for notice in self.notices}))

    @property
    def is_default(self) -> bool:
        return self == FilterState(lang=self.lang)

    def replace(self, **changes: Any) -> "FilterState":
        """A copy with some fields changed, re-validated leniently (bad values -> defaults + notices)."""
        d = self.to_dict()
        d.update(changes)
        return FilterState.from_dict(d)

    def cleared(self) -> "FilterState":
        """Clear all filters, keep language, metric and the "as of" year."""
        return FilterState(metric=self.metric, lang=self.lang, asof=self.asof)

    # -- serialisation ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for dcc.Store and export presets)."""
        return {
            "projects": list(self.projects),
            "match": self.match,
            "voivodeships": list(self.voivodeships),
            "years": list(self.years) if self.years is not None else None,
            "include_unknown_year": self.include_unknown_year,
            "selected": list(self.selected),
            "metric": self.metric,
            "lang": self.lang,
            "focus": self.focus,
            "asof": self.asof,
            "evidence": list(self.evidence),
        }

    def to_query(self) -> str:
        """URL query (without the leading '?'); only non-default fields, stable order. '' for the default view."""
        default = FilterState()
        pairs: list[tuple[str, str]] = []
        if self.projects:
            pairs.append((_KEYS["projects"], ",".join(self.projects)))
        if self.match != default.match:
            pairs.append((_KEYS["match"], self.match))
        if self.voivodeships:
            pairs.append((_KEYS["voivodeships"], ",".join(self.voivodeships)))
        if self.is_unknown_only:
            pairs.append((_KEYS["years"], UNKNOWN_YEARS))
        elif self.years is not None:
            pairs.append((_KEYS["years"], f"{self.years[0]}-{self.years[1]}"))
        if self.include_unknown_year != default.include_unknown_year:
            pairs.append((_KEYS["include_unknown_year"], "1" if self.include_unknown_year else "0"))
        if self.selected:
            pairs.append((_KEYS["selected"], ",".join(self.selected)))
        if self.metric != default.metric:
            pairs.append((_KEYS["metric"], self.metric))
        if self.lang != default.lang:
            pairs.append((_KEYS["lang"], self.lang))
        if self.focus:
            pairs.append((_KEYS["focus"], self.focus))
        if self.asof != default.asof:
            pairs.append((_KEYS["asof"], str(self.asof)))
        if self.evidence != default.evidence:
            pairs.append((_KEYS["evidence"], ",".join(self.evidence) or "none"))
        return urlencode(pairs, safe=",", quote_via=quote)

    @classmethod
    def from_dict(cls, data: Any, *, known_projects: Iterable[str] | None = None,
                  known_places: Container[str] | None = None) -> "FilterState":
        """Lenient: anything invalid -> that field's default, with a notice. Never raises. `known_places`: the
        TERYT codes of the map (gminy and powiaty; query.known_places) that a selection or a town may name."""
        if not isinstance(data, Mapping):
            return cls(notices=("state: not a mapping; default view shown",)) if data is not None else cls()
        notices: list[str] = []
        known = set(known_projects) if known_projects is not None else None
        default = cls()
        unknown_keys = sorted(str(k) for k in data if k not in {f.name for f in fields(cls)} - {"notices"})
        if unknown_keys:
            notices.append("unknown fields ignored: " + ", ".join(unknown_keys[:5]))

        projects = _parse_list(data.get("projects"), "projects", notices, _valid_project(known), MAX_PROJECTS)
        voivodeships = _parse_list(data.get("voivodeships"), "voivodeships", notices,
                                   lambda v: v in VOIVODESHIP_CODES, 16)
        selected = _parse_list(data.get("selected"), "selected", notices,
                               lambda v: bool(_TERYT.match(v)) and (known_places is None or v in known_places),
                               MAX_SELECTED)
        kw: dict[str, Any] = {
            "projects": projects,
            "voivodeships": tuple(sorted(voivodeships)),
            "selected": tuple(sorted(selected)),
            "match": _parse_choice(data.get("match", default.match), "match", MATCHES, notices),
            "metric": _parse_choice(data.get("metric", default.metric), "metric", METRICS, notices),
            "lang": _parse_choice(data.get("lang", default.lang), "lang", LANGS, notices),
            "years": _parse_years(data.get("years"), notices),
            "include_unknown_year": _parse_bool(data.get("include_unknown_year", True), "include_unknown_year",
                                                notices),
            "focus": _parse_focus(data.get("focus"), notices, known_places),
            "asof": _parse_asof(data.get("asof", default.asof), notices),
            "evidence": _parse_evidence(data.get("evidence", list(default.evidence)), notices),
        }
        return cls(**kw, notices=tuple(notices))

    @classmethod
    def from_query(cls, query: str | None, *, known_projects: Iterable[str] | None = None,
                   known_places: Container[str] | None = None) -> "FilterState":
        """Parse a URL query ('?p=P1,P2&woj=02' or without '?'). Never raises; problems -> notices."""
        if not query:
            return cls()
        if not isinstance(query, str):
            return cls(notices=("query: not text; default view shown",))
        if len(query) > MAX_QUERY_CHARS:   # the default view, in the language the address asks for
            lang = re.search(r"(?:^|[?&])lang=(pl|en)(?:&|$)", query)
            return cls(lang=lang.group(1) if lang else cls.lang,
                       notices=(f"query: longer than {MAX_QUERY_CHARS} characters; default view shown",))
        q = query[1:] if query.startswith("?") else query
        try:
            raw = parse_qs(q, keep_blank_values=True, strict_parsing=False, max_num_fields=64)
        except ValueError as exc:  # too many fields
            return cls(notices=(f"query: {exc}; default view shown",))
        notices: list[str] = []
        by_key = {v: k for k, v in _KEYS.items()}
        data: dict[str, Any] = {}
        for key, values in raw.items():
            name = by_key.get(key)
            if name is None:
                notices.append(f"unknown parameter ignored: {key[:20]!r}")
                continue
            if name in _LIST_KEYS:   # given twice (woj=02&woj=24): one list of both, as a comma would make it
                value = ",".join(v for v in values if v)
            else:
                value = values[-1]   # a setting given twice: the last counts, as in any address
                if name in ("lang", "metric", "match"):
                    value = value.strip().lower()   # lang=EN
            if name == "evidence":
                data[name] = [] if value.strip().lower() == "none" else value.split(",")
            elif name == "voivodeships":   # codes, or names as a reader writes them ("śląskie", "Slaskie")
                data[name] = [voivodeship_code(v) or v for v in value.split(",")] if value else []
            elif name in ("projects", "selected"):
                data[name] = [v for v in value.split(",")] if value else []
            elif name == "years":
                data[name] = list(UNKNOWN_ONLY) if value.strip().lower() == UNKNOWN_YEARS else value
            elif name == "include_unknown_year":
                data[name] = {"1": True, "0": False}.get(value, value)
            else:
                data[name] = value
        if data.get("years") == list(UNKNOWN_ONLY) and data.get("include_unknown_year", True) is not True:
            notices.append("include_unknown_year: years=unknown shows the unknown join year; 'unknown' ignored")
            data["include_unknown_year"] = True
        state = cls.from_dict(data, known_projects=known_projects, known_places=known_places)
        return replace(state, notices=tuple(notices) + state.notices)


_LIST_KEYS = ("projects", "voivodeships", "selected", "evidence")


# --- validation helpers --------------------------------------------------------------------------------------
def _valid_project(known: set[str] | None):
    def ok(v: str) -> bool:
        return bool(_PROJECT_ID.match(v)) and (known is None or v in known)
    return ok


def _parse_list(value: Any, name: str, notices: list[str], ok, limit: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        notices.append(f"{name}: expected a list; ignored")
        return ()
    if len(value) > 4 * limit:  # crafted: reject before doing any per-item work
        notices.append(f"{name}: more than {limit} values; ignored")
        return ()
    out: list[str] = []
    seen: set[str] = set()  # O(n) de-duplication (a list here made 100,000 codes take 40 s)
    bad: list[str] = []
    for v in value:
        v = v.strip() if isinstance(v, str) else v
        if isinstance(v, str) and ok(v):
            if v not in seen:
                seen.add(v)
                out.append(v)
        else:
            bad.append(repr(v)[:24])
    if bad:
        notices.append(f"{name}: invalid value(s) ignored: {', '.join(bad[:5])}")
    if len(out) > limit:
        notices.append(f"{name}: more than {limit} values; ignored")
        return ()
    return tuple(out)


def _parse_choice(value: Any, name: str, choices: tuple[str, ...], notices: list[str]) -> str:
    if value in choices:
        return value
    notices.append(f"{name}: {str(value)[:24]!r} is not one of {', '.join(choices)}; default used")
    return choices[0]


def _parse_bool(value: Any, name: str, notices: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    notices.append(f"{name}: {str(value)[:24]!r} is not true/false; default used")
    return True


def _parse_years(value: Any, notices: list[str]) -> tuple[int, int] | None:
    if value is None or value == "":
        return None
    pair: Any = value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", value)
        if not m:
            notices.append(f"years: {value[:24]!r} is not a range like 1990-2020; ignored")
            return None
        pair = (m.group(1), m.group(2) or m.group(1))
    try:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and not any(isinstance(p, bool) for p in pair):
            lo, hi = (int(p) for p in pair)
            if isinstance(pair[0], float) and not float(pair[0]).is_integer():
                raise ValueError
            if YEAR_MIN <= lo <= hi <= YEAR_MAX:
                return (lo, hi)
    except (TypeError, ValueError, OverflowError):
        pass
    notices.append(f"years: {str(value)[:24]!r} is not a valid range within {YEAR_MIN}-{YEAR_MAX}; ignored")
    return None


def _parse_asof(value: Any, notices: list[str]) -> int:
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        year = int(str(value).strip()) if isinstance(value, str) else int(value)
        if 1000 <= year <= 9999:   # a year out of the range: its nearest end, as the year box does
            return min(max(year, ASOF_MIN), ASOF_MAX)
    except (TypeError, ValueError, OverflowError):
        pass
    notices.append(f"asof: {str(value)[:24]!r} is not a year from {ASOF_MIN}; {ASOF_DEFAULT} used")
    return ASOF_DEFAULT


def _parse_evidence(value: Any, notices: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or len(value) > 4 * len(EVIDENCE_LEVELS):
        notices.append("evidence: expected a list of levels; default used")
        return EVIDENCE_DEFAULT
    wanted = {v.strip().lower() for v in value if isinstance(v, str)}
    bad = sorted(str(v)[:12] for v in value if not isinstance(v, str) or v.strip().lower() not in EVIDENCE_LEVELS)
    kept = tuple(lv for lv in EVIDENCE_LEVELS if lv in wanted)
    if bad:
        notices.append(f"evidence: unknown level(s) ignored: {', '.join(bad[:4])} (levels: "
                       f"{', '.join(EVIDENCE_LEVELS)})" + ("; default used" if not kept else ""))
    # nothing usable asked for ("ev=q", an empty "ev="): the default levels, not none ("ev=none" asks for none)
    return EVIDENCE_DEFAULT if bad and not kept else kept


def _parse_focus(value: Any, notices: list[str], known_places: Container[str] | None = None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and _GMINA.match(value):
        if known_places is None or value in known_places:
            return value
        notices.append(f"town: no gmina of the map has the TERYT {value}; ignored")
        return None
    notices.append(f"town: {str(value)[:24]!r} is not a 7-digit gmina TERYT; ignored")
    return None


def _problems(s: FilterState) -> list[str]:
    p: list[str] = []
    if not isinstance(s.projects, tuple) or not all(isinstance(v, str) and _PROJECT_ID.match(v) for v in s.projects):
        p.append(f"projects must be a tuple of ids, got {s.projects!r}")
    if s.match not in MATCHES:
        p.append(f"match must be one of {MATCHES}, got {s.match!r}")
    if not isinstance(s.voivodeships, tuple) or not all(v in VOIVODESHIP_CODES for v in s.voivodeships):
        p.append(f"voivodeships must be a tuple of 2-digit codes, got {s.voivodeships!r}")
    if s.years is not None and not (
        isinstance(s.years, tuple) and len(s.years) == 2 and all(type(y) is int for y in s.years)
        and YEAR_MIN <= s.years[0] <= s.years[1] <= YEAR_MAX
    ):
        p.append(f"years must be None or (lo, hi) ints with lo <= hi, got {s.years!r}")
    if not isinstance(s.include_unknown_year, bool):
        p.append("include_unknown_year must be a bool")
    if not isinstance(s.selected, tuple) or not all(isinstance(v, str) and _TERYT.match(v) for v in s.selected):
        p.append(f"selected must be a tuple of TERYT codes, got {s.selected!r:.60}")
    if s.metric not in METRICS:
        p.append(f"metric must be one of {METRICS}, got {s.metric!r}")
    if s.lang not in LANGS:
        p.append(f"lang must be one of {LANGS}, got {s.lang!r}")
    if s.focus is not None and not (isinstance(s.focus, str) and _GMINA.match(s.focus)):
        p.append(f"focus must be None or a 7-digit TERYT, got {s.focus!r}")
    if type(s.asof) is not int or not ASOF_MIN <= s.asof <= ASOF_MAX:
        p.append(f"asof must be a year from {ASOF_MIN} to {ASOF_MAX}, got {s.asof!r}")
    if not isinstance(s.evidence, tuple) or list(s.evidence) != [v for v in EVIDENCE_LEVELS if v in s.evidence]:
        p.append(f"evidence must be a tuple of levels in the order {EVIDENCE_LEVELS}, got {s.evidence!r}")
    return p


def view_slug(state: FilterState, town: str | None = None) -> str:
    """The view in a file name, safe ASCII only: <projects>[-all]_<voivodeships>_<town>_<selection>_<as-of>_
    <years>[-known]_<metric>_<evidence> — only the parts the view sets ("P1_lubelskie_bilgoraj"; "" for the default
    view). Every setting that changes what the file holds is named, so two views never share a file name."""
    def safe(text: Any) -> str:
        return re.sub(r"[^A-Za-z0-9.]+", "-", fold(str(text))).strip("-.")

    parts: list[str] = []
    if state.projects:
        parts.append("-".join(re.sub(r"[^A-Za-z0-9-]+", "", p) for p in state.projects)
                     + ("-all" if state.match == "all" and len(state.projects) > 1 else ""))
    if state.voivodeships:
        names = [safe(VOIVODESHIPS.get(c, c)) for c in state.voivodeships]
        parts.append("-".join(names) if len(names) <= 3 else "woj-" + "-".join(state.voivodeships))
    if state.focus:
        parts.append(safe(town) if town and safe(town) else state.focus)
    if state.selected:
        # which gminy, not only how many: two selections of three are two files
        digest = hashlib.sha256(",".join(sorted(state.selected)).encode()).hexdigest()[:6]
        parts.append(f"sel{len(state.selected)}-{digest}")
    if state.asof != ASOF_DEFAULT:
        parts.append(f"asof-{state.asof}")
    if state.years is not None:
        parts.append("year-unknown" if state.is_unknown_only
                     else f"{state.years[0]}-{state.years[1]}" + ("" if state.include_unknown_year else "-known"))
    elif not state.include_unknown_year:   # without a range it still leaves out the unknown join years
        parts.append("year-known")
    if state.metric != "projects":
        parts.append(state.metric)
    if state.evidence != EVIDENCE_DEFAULT:
        parts.append("ev-" + ("-".join(state.evidence) or "none"))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts))
