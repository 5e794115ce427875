"""Resolve each city/JST of the union's tables to a 2020 gmina (7-digit TERYT) or a powiat (4-digit), with
geopandas — and never pick one of several candidates silently.

Order (first that applies wins):
  a. TERYT when given: 7 digits; 6 without the type digit; a 6-digit number that lost its leading zero (both
     readings tried, see dashboard.dataset); 2026 codes through the crosswalk; a town-part code (type 4) or a
     code whose type digit changed after 2020 through its first 6 digits. A TERYT that contradicts the row's
     name or voivodeship makes the row ambiguous (both candidates listed).
  b. normalised name + voivodeship among town gminy (types 1 and 3) — case, diacritics, hyphen vs space and
     abbreviations (Wlkp., Maz., Podl., Śl., Kuj., Pom., Lub., Gd., n., m. st., …) are folded; when no town gmina
     has the name, other gmina types are used only when exactly one candidate remains, and the reason says so.
     jst_kind "gmina" looks at rural/urban-rural gminy first; "powiat" at powiaty (by name, or the powiat of
     the named town). No voivodeship: the name must be unique in Poland.
  c. point-in-polygon (geopandas.sjoin) when coordinates are given: picks among ambiguous candidates, or
     places a row whose name was not found (and says so).
  d. otherwise ambiguous (candidates with TERYT and kind) or unmatched (why + close names from difflib).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import geopandas as gpd
import pandas as pd

from .dataset import VOIVODESHIPS, Problem, Table, fold

GMINA_KIND = {"1": "gmina miejska", "2": "gmina wiejska", "3": "gmina miejsko-wiejska"}
STATUSES = ("matched", "ambiguous", "unmatched", "invalid", "duplicate")
TOWN_TYPES = frozenset("13")

# abbreviation -> the stem a full word starts with ("Gorzów Wlkp." = "Gorzów Wielkopolski")
_ABBREV_STEMS = {"wlkp": "wielkopol", "wlk": "wielk", "gd": "gdansk", "maz": "mazow", "mazow": "mazow",
                 "podl": "podlas", "sl": "slas", "kuj": "kujaw", "pom": "pomor", "lub": "lub", "n": "nad",
                 "tryb": "trybunal", "odrz": "odrzan", "zdr": "zdroj", "sw": "swi", "gorn": "gorn",
                 "wlkp.": "wielkopol"}
_NAME_PREFIXES = [  # (folded prefix, jst_kind, gmina types)
    ("miasto stoleczne", "town", None), ("m st", "town", None), ("gmina miejsko wiejska", "gmina", "3"),
    ("gmina miejska", "town", "1"), ("gmina miasto", "town", "1"), ("gmina wiejska", "gmina", "2"),
    ("gmina i miasto", "gmina", "3"),
    ("miasto i gmina", "gmina", "3"), ("urzad miasta", "town", None), ("urzad miejski w", "town", None),
    ("urzad gminy", "gmina", None), ("miasto", "town", None), ("gmina", "gmina", None), ("gm", "gmina", None),
    ("starostwo powiatowe w", "powiat_seat", None), ("powiat", "powiat", None), ("pow", "powiat", None),
]


@dataclass(frozen=True)
class Candidate:
    teryt: str
    name: str
    kind: str            # "gmina miejska" | "gmina wiejska" | "gmina miejsko-wiejska" | "powiat"
    voivodeship: str

    def __str__(self) -> str:
        return f"{self.name} {self.teryt} ({self.kind}, {self.voivodeship})"


@dataclass
class RowResult:
    table: str                   # "members" | "participation"
    file: str
    row: int                     # row number as Excel shows it
    name: str
    voivodeship: str             # as written in the file
    status: str                  # matched | ambiguous | unmatched | invalid | duplicate
    teryt: str | None = None     # 7-digit gmina or 4-digit powiat, when resolved
    entity_kind: str | None = None   # "gmina" | "powiat"
    method: str | None = None    # teryt | teryt6 | crosswalk | name | name_fallback | point | None
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    project_id: str | None = None
    index: int | None = None     # position in the Table frame
    woj: str | None = None       # the row's voivodeship as a 2-digit code, when recognised

    def to_dict(self) -> dict:
        d = {"row": self.row, "name": self.name, "voivodeship": self.voivodeship, "woj": self.woj,
             "status": self.status,
             "teryt": self.teryt, "kind": self.entity_kind, "method": self.method, "reason": self.reason,
             "candidates": [asdict(c) for c in self.candidates], "suggestions": self.suggestions,
             "problems": [p.to_dict() for p in self.problems], "file": self.file}
        if self.table == "participation":
            d["project_id"] = self.project_id
        return d


@dataclass
class JoinReport:
    rows: list[RowResult] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)     # not tied to one member/participation row
    files: dict[str, str] = field(default_factory=dict)            # table -> path
    skipped_empty_rows: dict[str, list[int]] = field(default_factory=dict)
    tables: dict[str, dict] = field(default_factory=dict)          # table -> how it was read (encoding, …)

    def for_table(self, table: str) -> list[RowResult]:
        return [r for r in self.rows if r.table == table]

    def summary(self) -> dict:
        out = {s: 0 for s in STATUSES}
        for r in self.rows:
            out[r.status] += 1
        out["total"] = len(self.rows)
        out["skipped_empty_rows"] = sum(len(v) for v in self.skipped_empty_rows.values())
        out["file_problems"] = len(self.file_problems)
        return out

    def summary_by_table(self) -> dict[str, dict]:
        out = {}
        for t in dict.fromkeys(r.table for r in self.rows):
            c = {s: 0 for s in STATUSES}
            for r in self.for_table(t):
                c[r.status] += 1
            out[t] = c
        return out

    @property
    def needs_attention(self) -> list[RowResult]:
        return [r for r in self.rows if r.status != "matched"]

    @property
    def ok(self) -> bool:
        """Every row matched and no file-level problem that blocks (notes such as a skipped totals row don't)."""
        return not self.needs_attention and not any(p.blocking for p in self.file_problems)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{**r.to_dict(), "table": r.table} for r in self.rows])

    def to_json_dict(self) -> dict:
        return {"summary": self.summary(), "files": self.files, "tables": self.tables,
                "file_problems": [p.to_dict() for p in self.file_problems],
                "members": [r.to_dict() for r in self.for_table("members")],
                "participation": [r.to_dict() for r in self.for_table("participation")]}


# ---------------------------------------------------------------------------------------------- gazetteer
def _tokens(name: str) -> tuple[list[str], list[bool]]:
    """fold + split; returns tokens and whether each was abbreviated (ended with '.')."""
    s = fold(name).replace(".", ". ")
    s = re.sub(r"[,;:\"'„”()\[\]]", " ", s)
    toks, abbr = [], []
    for t in s.split():
        if t.endswith("."):
            t = t.rstrip(".")
            if t:
                toks.append(t)
                abbr.append(True)
        else:
            toks.append(t)
            abbr.append(t in ("wlkp",))
    return toks, abbr


def _key(name: str) -> str:
    return " ".join(_tokens(name)[0])


def _tokens_match(toks, abbr, cand_toks) -> bool:
    if len(toks) != len(cand_toks):
        return False
    for t, a, c in zip(toks, abbr, cand_toks):
        if t == c:
            continue
        if not a:
            return False
        stem = _ABBREV_STEMS.get(t, t)
        if not (c.startswith(stem) or c.startswith(t)):
            return False
    return True


class Gazetteer:
    """Lookup structures over geodata (built once per process, see get_gazetteer())."""

    def __init__(self, gminy: gpd.GeoDataFrame, powiaty: gpd.GeoDataFrame, towns, crosswalk):
        g = gminy[["terc", "name", "geometry"]].copy()
        g["woj"] = g["terc"].str[:2]
        g["type"] = g["terc"].str[6]
        g["key"] = [_key(n) for n in g["name"]]
        self.gminy = g
        self.gmina_by_code = {t: (n, w, ty) for t, n, w, ty in zip(g["terc"], g["name"], g["woj"], g["type"])}
        self.by_six: dict[str, list[str]] = {}
        for t in g.terc:
            self.by_six.setdefault(t[:6], []).append(t)
        self.by_powiat: dict[str, list[str]] = {}
        for t in g.terc:
            self.by_powiat.setdefault(t[:4], []).append(t)
        self.by_key: dict[tuple[str, str], list[str]] = {}
        for t, w, k in zip(g.terc, g.woj, g.key):
            self.by_key.setdefault((w, k), []).append(t)
        self.keys_by_woj: dict[str, list[tuple[str, list[str]]]] = {}
        for t, w, n in zip(g.terc, g.woj, g.name):
            self.keys_by_woj.setdefault(w, []).append((t, _tokens(n)[0]))
        p = powiaty[["terc", "name", "geometry"]].copy()
        p["key"] = [_key(n) for n in p["name"]]
        self.powiaty = p
        self.powiat_by_code = dict(zip(p.terc, p.name))
        self.powiat_by_key: dict[tuple[str, str], list[str]] = {}
        for t, k in zip(p.terc, p.key):
            self.powiat_by_key.setdefault((t[:2], k), []).append(t)
        self.gmina_geom = dict(zip(g.terc, g.geometry))
        self.powiat_geom = dict(zip(p.terc, p.geometry))
        self.town_point: dict[str, tuple[float, float]] = {}
        if towns is not None:
            for t, geom in zip(towns["teryt_gmina_2020"], towns.geometry):
                if t and t not in self.town_point:
                    self.town_point[t] = (float(geom.x), float(geom.y))
        self.cw_2026: dict[str, tuple[str, str]] = {}
        self.new_2026: dict[str, str] = {}
        self.became_town: dict[str, str] = {}
        self.renamed: dict[str, str] = {}
        if crosswalk is not None:
            for r in crosswalk.itertuples(index=False):
                if r.change == "new_after_2020_no_polygon":
                    self.new_2026[r.teryt_2026] = r.name_2026
                elif r.teryt_2026 and r.teryt_2020 and r.teryt_2026 != r.teryt_2020:
                    self.cw_2026[r.teryt_2026] = (r.teryt_2020, r.change)
                if r.change == "type_2_to_3":
                    self.became_town[r.teryt_2020] = r.teryt_2026
                if r.change == "renamed" and r.teryt_2020 in self.gmina_by_code:  # the 2026 name finds it too
                    self.renamed[r.teryt_2020] = r.name_2026
                    self.by_key.setdefault((r.teryt_2020[:2], _key(r.name_2026)), []).append(r.teryt_2020)
        self.all_names = sorted(set(g["name"]))

    # -- descriptions
    def candidate(self, code: str) -> Candidate:
        if len(code) == 4:
            return Candidate(code, self.powiat_by_code[code], "powiat", VOIVODESHIPS[code[:2]])
        n, w, ty = self.gmina_by_code[code]
        return Candidate(code, n, GMINA_KIND.get(ty, f"gmina typ {ty}"), VOIVODESHIPS[w])

    def point(self, code: str) -> tuple[float, float, str]:
        if code in self.town_point:
            x, y = self.town_point[code]
            return x, y, "gazetteer"
        geom = self.gmina_geom.get(code) if len(code) == 7 else self.powiat_geom.get(code)
        rp = geom.representative_point()
        return float(rp.x), float(rp.y), "polygon"

    # -- name lookups
    def gminy_named(self, name: str, woj: str | None) -> list[str]:
        toks, abbr = _tokens(name)
        key = " ".join(toks)
        wojs = [woj] if woj else list(VOIVODESHIPS)
        out: list[str] = []
        for w in wojs:
            hit = self.by_key.get((w, key))
            if hit:
                out.extend(hit)
            elif any(abbr):
                out.extend(t for t, ct in self.keys_by_woj.get(w, []) if _tokens_match(toks, abbr, ct))
        return out

    def powiaty_named(self, name: str, woj: str | None) -> list[str]:
        k = _key(name)
        k = re.sub(r"^(powiat|pow)\s+", "", k)
        k = re.sub(r"^(miasto na prawach powiatu|m)\s+", "", k)
        wojs = [woj] if woj else list(VOIVODESHIPS)
        return [t for w in wojs for t in self.powiat_by_key.get((w, k), [])]

    def suggestions(self, name: str, woj: str | None, n: int = 5) -> list[str]:
        key = _key(name)
        out = []
        if woj:  # the same name in another voivodeship first: the voivodeship may be wrong
            out = [str(self.candidate(t)) for t in self.gminy_named(name, None) if t[:2] != woj]
        pool = self.gminy if not woj else self.gminy[self.gminy.woj == woj]
        keys = dict(zip(pool.key, pool.terc))
        close = difflib.get_close_matches(key, list(keys), n=n, cutoff=0.72)
        out += [str(self.candidate(keys[c])) for c in close]
        if woj and len(out) < 2:  # maybe the voivodeship is wrong: look nationwide
            allkeys = {}
            for k, t in zip(self.gminy.key, self.gminy.terc):
                allkeys.setdefault(k, []).append(t)
            for c in difflib.get_close_matches(key, list(allkeys), n=3, cutoff=0.85):
                out.extend(str(self.candidate(t)) for t in allkeys[c] if str(self.candidate(t)) not in out)
        return out[:n]


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    import geodata

    towns = crosswalk = None
    try:
        towns = geodata.load("towns")
    except Exception as e:  # geodata.EnrichmentUnavailable: markers fall back to polygon points
        _warn(f"town gazetteer unavailable ({e}); town markers use representative points of the polygons")
    try:
        crosswalk = geodata.load("crosswalk")
    except Exception as e:
        _warn(f"TERYT crosswalk unavailable ({e}); 2026 codes cannot be translated")
    return Gazetteer(geodata.load("gminy"), geodata.load("powiaty"), towns, crosswalk)


def _warn(msg: str) -> None:
    import warnings

    warnings.warn(msg, stacklevel=3)


# ---------------------------------------------------------------------------------------------- name parsing
def parse_jst_name(name: str, jst_kind: str = "") -> tuple[str, str, str | None]:
    """-> (name to look up, jst_kind, gmina type filter or None).
    'Nowy Targ (powiat nowotarski)' -> ('powiat nowotarski', 'powiat', None); 'Bartoszyce (gmina)' ->
    ('Bartoszyce', 'gmina', None); 'Krasnystaw (gmina wiejska)' -> ('Krasnystaw', 'gmina', '2');
    'm. st. Warszawa' -> ('Warszawa', 'town', None). An explicit jst_kind column wins over the name."""
    kind, types = "", None
    s = name.strip()
    m = re.fullmatch(r"(.+?)\s+[-–—]\s+((?:gmina|gm\.?|miasto|powiat|pow\.?)\b.*)", s, flags=re.I)
    if m:  # 'Bolesławiec - miasto', 'Bolesławiec – gmina wiejska'
        s = f"{m.group(1)} ({m.group(2)})"
    m = re.fullmatch(r"(.+?)\s*[(,]\s*([^()]+?)\s*\)?\s*", s)
    if m:
        inner = fold(m.group(2)).replace(".", " ").strip()
        inner = re.sub(r"\s+", " ", inner)
        if re.match(r"(powiat|pow)\b", inner):
            rest = re.sub(r"^(powiat|pow)\s*", "", inner)
            s, kind = (f"powiat {rest}" if rest else m.group(1)), "powiat"
        elif re.match(r"(gmina|gm)\b", inner) or inner in ("gw", "gmw", "gm w"):
            s, kind = m.group(1), "gmina"
            if "miejsko" in inner:
                types = "3"
            elif "wiejska" in inner or inner in ("gw", "gm w"):
                types = "2"
            elif "miejska" in inner:
                kind, types = "town", "1"
        elif inner in ("miasto", "m", "gmina miejska"):
            s, kind = m.group(1), "town"
    f = fold(s).replace(".", " ")
    f = re.sub(r"\s+", " ", f)
    for prefix, k, t in _NAME_PREFIXES:
        if f.startswith(prefix + " ") and len(f) > len(prefix) + 1:
            n_words = len(prefix.split())
            words = re.sub(r"\.", ". ", s).split()
            # drop as many written words as the folded prefix has (abbreviated forms may glue: 'm.st.')
            rest = " ".join(words[n_words:]) if len(words) > n_words else s
            if k == "powiat_seat":    # 'Starostwo Powiatowe w X': the powiat of the town X
                s, k = rest, "powiat"
            elif k != "powiat":       # 'powiat X' stays whole for the powiat lookup
                s = rest
            kind = kind or k
            types = types or t
            break
    if jst_kind:
        kind = jst_kind
    return s.strip(), kind or "town", types


# ---------------------------------------------------------------------------------------------- resolution
def _name_ok(gaz: Gazetteer, code: str, name: str) -> bool:
    if not name:
        return True
    want, kind, _ = parse_jst_name(name)
    if len(code) == 4:
        return code in gaz.powiaty_named(want, code[:2]) or any(
            t[:4] == code for t in gaz.gminy_named(want, code[:2]))
    return code in gaz.gminy_named(want, code[:2])


def _resolve_teryt(gaz: Gazetteer, res: RowResult, codes, name: str, woj: str, kind: str, raw: str = "") -> None:
    found: dict[str, tuple[str, str]] = {}   # code -> (method, note)
    notes_unmatched = []
    for c in codes:
        if len(c) == 7:
            if c in gaz.gmina_by_code:
                found[c] = ("teryt", "")
            elif c in gaz.cw_2026:
                t2020, change = gaz.cw_2026[c]
                found[t2020] = ("crosswalk", f"{c} is a 2026 code ({change.replace('_', ' ')}); 2020 code {t2020}")
            elif c in gaz.new_2026:
                notes_unmatched.append(f"{c} ({gaz.new_2026[c]}) is a gmina created after 2020: the 2020 "
                                       "boundaries have no polygon for it (its territory belonged to a "
                                       "neighbouring gmina)")
            elif len(gaz.by_six.get(c[:6], [])) == 1:
                t = gaz.by_six[c[:6]][0]
                what = {"4": "the town part (type 4) of", "5": "the rural part (type 5) of"}.get(c[6], "")
                found[t] = ("teryt6", f"{c} has type digit {c[6]}; read as {what or 'the 2020 gmina'} "
                                      f"{t} by its first 6 digits")
            elif c[6] in "89" and len(gaz.by_powiat.get(c[:4], [])) == 1:
                t = gaz.by_powiat[c[:4]][0]
                found[t] = ("teryt6", f"{c} is a district/delegatura code; its city is the gmina {t}")
            else:
                notes_unmatched.append(f"{c} is not a gmina code in PRG 2020 nor in the 2026 list")
        elif len(c) == 6:
            hits = gaz.by_six.get(c, [])
            for t in hits:
                found[t] = ("teryt6", f"6-digit code {c} (without type digit) -> {t}")
            if not hits:
                notes_unmatched.append(f"no gmina has the first 6 digits {c}")
        elif len(c) == 4:
            if kind == "powiat":
                if c in gaz.powiat_by_code:
                    found[c] = ("teryt", "")
                else:
                    notes_unmatched.append(f"{c} is not a powiat code")
            elif len(gaz.by_powiat.get(c, [])) == 1:
                t = gaz.by_powiat[c][0]
                found[t] = ("teryt", f"4-digit code {c} is a city powiat; its gmina is {t}")
            elif c in gaz.powiat_by_code:
                res.status, res.reason = "invalid", (
                    f"TERYT {c} is a powiat ({gaz.powiat_by_code[c]}), not a town; give the 7-digit gmina code "
                    "or set jst_kind to powiat")
                res.candidates = [gaz.candidate(t) for t in gaz.gminy_named(name, c[:2]) if t[:4] == c][:5]
                return
            else:
                notes_unmatched.append(f"{c} is not a powiat code")
        else:
            res.status, res.reason = "invalid", f"TERYT {c} is a voivodeship code, not a gmina or powiat"
            return
    if kind == "powiat":  # a gmina code given for a powiat row: take its powiat
        found = {k[:4] if len(k) == 7 else k: v for k, v in found.items()}
    if not found:
        res.status = "unmatched"
        res.reason = "; ".join(notes_unmatched) or "TERYT not found"
        res.suggestions = [str(gaz.candidate(t)) for t in gaz.gminy_named(name, woj or None)] or \
            gaz.suggestions(name, woj or None)
        return
    if len(found) > 1:  # only a 6-digit number can read two ways: let name/voivodeship decide
        agree = [c for c in found if (not woj or c[:2] == woj) and _name_ok(gaz, c, name)]
        if len(agree) == 1:
            c = agree[0]
            m, note = found[c]
            others = ", ".join(x for x in found if x != c)
            found = {c: (m, f"{note}; the other reading ({others}) does not fit the row's name/voivodeship")}
        else:
            res.status = "ambiguous"
            res.candidates = [gaz.candidate(c) for c in found]
            res.reason = ("the TERYT can be read as " + " or ".join(found) +
                          " (a 6-digit number: a 7-digit code that lost its leading zero, or a code without its "
                          "type digit); give all 7 digits as text")
            return
    code, (method, note) = next(iter(found.items()))
    digits = re.sub(r"\D", "", re.sub(r"[.,]0+$", "", raw.strip()))
    if len(digits) in (1, 3, 5) or (len(digits) == 6 and len(code) == 7 and method == "teryt"):
        note = "; ".join(x for x in (f"'{raw}' read as {code if method == 'teryt' else '0' + digits} (a number "
                                     "that lost its leading zero; store TERYT as text)", note) if x)
    problems = []
    if woj and code[:2] != woj:
        problems.append(f"the TERYT is in {VOIVODESHIPS[code[:2]]}, the row says {VOIVODESHIPS[woj]}")
    if name and not _name_ok(gaz, code, name):
        official = gaz.candidate(code).name
        want = parse_jst_name(name)[0]
        if len(code) == 7 and difflib.SequenceMatcher(None, _key(want), _key(official)).ratio() >= 0.85:
            note = "; ".join(x for x in (note, f"the row spells the name '{name}', PRG 2020 '{official}'") if x)
        else:
            problems.append(f"the TERYT is {official}, the row says '{name}'")
    if problems:
        res.status = "ambiguous"
        by_name = _name_candidates(gaz, name, woj, kind)
        res.candidates = [gaz.candidate(code)] + [gaz.candidate(c) for c in by_name if c != code]
        res.reason = "TERYT and the row disagree: " + "; ".join(problems) + ". Fix the TERYT or the name."
        return
    res.status, res.teryt, res.method = "matched", code, method
    res.entity_kind = "powiat" if len(code) == 4 else "gmina"
    res.reason = note or "by TERYT"


def _name_candidates(gaz: Gazetteer, name: str, woj: str, kind: str) -> list[str]:
    want, k, types = parse_jst_name(name, kind)
    if k == "powiat":
        return gaz.powiaty_named(want, woj or None)
    return gaz.gminy_named(want, woj or None)


def _renamed_note(gaz: Gazetteer, code: str) -> str:
    if code in gaz.renamed:
        return f" (PRG 2020 name '{gaz.candidate(code).name}', renamed '{gaz.renamed[code]}' by 2026)"
    return ""


def _powiat_fits(gaz: Gazetteer, code: str, hint: str) -> bool:
    h = re.sub(r"^(powiat|pow|m|miasto)\s+", "", _key(hint))
    if re.fullmatch(r"\d{3,4}", h):
        return code[:4] == h.zfill(4)
    p = _key(gaz.powiat_by_code.get(code[:4], ""))
    return h == p or (len(h) >= 6 and p[:6] == h[:6])


def _resolve_name(gaz: Gazetteer, res: RowResult, name: str, woj: str, jst_kind: str, powiat: str = "") -> None:
    want, kind, types = parse_jst_name(name, jst_kind)
    where = VOIVODESHIPS[woj] if woj else "Poland (no voivodeship given)"
    nowoj = "" if woj else "; no voivodeship given (searched all of Poland)"
    if kind == "powiat":
        hits = gaz.powiaty_named(want, woj or None)
        method, note = "name", f"powiat by name in {where}{nowoj}"
        if not hits:  # 'Nowy Targ' as a powiat: the powiat of that town
            seat = re.sub(r"^(powiat|pow\.?)\s+", "", want, flags=re.I)
            towns = [t for t in gaz.gminy_named(seat, woj or None) if t[6] in TOWN_TYPES]
            hits = sorted({t[:4] for t in towns})
            note = f"the powiat of the town {seat}{nowoj}"
        if len(hits) == 1:
            res.status, res.teryt, res.method, res.entity_kind, res.reason = "matched", hits[0], method, "powiat", note
        elif hits:
            res.status, res.candidates = "ambiguous", [gaz.candidate(h) for h in hits]
            res.reason = f"{len(hits)} powiaty match '{want}' in {where}; add the voivodeship or the TERYT"
        else:
            res.status = "unmatched"
            res.reason = f"no powiat named '{want}' in {where}"
            pool = gaz.powiaty if not woj else gaz.powiaty[gaz.powiaty.terc.str[:2] == woj]
            key = re.sub(r"^(powiat|pow)\s+", "", _key(want))
            res.suggestions = [str(gaz.candidate(t)) for k, t in zip(pool.key, pool.terc)
                               if k in difflib.get_close_matches(key, list(pool.key), n=3, cutoff=0.7)]
        return
    hits = gaz.gminy_named(want, woj or None)
    if powiat and len(hits) > 1:  # the row's powiat column narrows same-named gminy
        narrowed = [t for t in hits if _powiat_fits(gaz, t, powiat)]
        if narrowed:
            hits = narrowed
            nowoj += f"; narrowed by the powiat '{powiat}'"
    if not hits:
        res.status = "unmatched"
        res.reason = f"no gmina named '{want}' in {where}"
        res.suggestions = gaz.suggestions(want, woj or None)
        return
    if types:
        first, label = [t for t in hits if t[6] in types], f"gminy of type {types} ({GMINA_KIND.get(types, types)})"
    elif kind == "gmina":
        first, label = [t for t in hits if t[6] in "23"], "rural or urban-rural gminy"
    else:
        first, label = [t for t in hits if t[6] in TOWN_TYPES], "town gminy (type 1 or 3)"
    if len(first) == 1:
        code = first[0]
        res.status, res.teryt, res.method, res.entity_kind = "matched", code, "name", "gmina"
        res.reason = f"by name among {label} in {where}{nowoj}"
        if len(hits) > 1:
            res.reason += "; not " + ", ".join(str(gaz.candidate(t)) for t in hits if t != code)
        res.reason += _renamed_note(gaz, code)
        return
    if len(first) > 1:
        res.status, res.candidates = "ambiguous", [gaz.candidate(t) for t in first]
        res.reason = (f"{len(first)} {label} named '{want}' in {where}; add the voivodeship, the TERYT or "
                      "coordinates")
        return
    if len(hits) == 1:  # fallback: exactly one gmina of another type remains — say so
        code = hits[0]
        c = gaz.candidate(code)
        res.status, res.teryt, res.method, res.entity_kind = "matched", code, "name_fallback", "gmina"
        res.reason = f"no {label} named '{want}' in {where}{nowoj}; the only gmina of that name is {c}"
        res.reason += _renamed_note(gaz, code)
        if code in gaz.became_town:
            res.reason += (f" — it became an urban-rural gmina (a town) after 2020 (2026 TERYT "
                           f"{gaz.became_town[code]}); the 2020 boundaries still show it as rural")
        elif kind == "town":
            res.reason += " — check that the row means this gmina"
        return
    res.status, res.candidates = "ambiguous", [gaz.candidate(t) for t in hits]
    res.reason = (f"no {label} named '{want}' in {where}, and {len(hits)} other gminy have that name; "
                  "give the TERYT or set jst_kind")


def _points_in_polygons(gaz: Gazetteer, frame: pd.DataFrame, idx: list[int]) -> dict[int, str]:
    if not idx:
        return {}
    sub = frame.loc[idx]
    pts = gpd.GeoDataFrame({"i": idx}, geometry=gpd.points_from_xy(sub["lon"], sub["lat"]), crs=4326)
    hit = gpd.sjoin(pts, gaz.gminy[["terc", "geometry"]], how="left", predicate="within")
    return {int(i): t for i, t in zip(hit["i"], hit["terc"]) if isinstance(t, str)}


def resolve_table(table: Table, gaz: Gazetteer | None = None, project_ids: dict[str, str] | None = None
                  ) -> list[RowResult]:
    """Resolve every row of a members or participation Table. project_ids: folded id/name/label -> id."""
    gaz = gaz or get_gazetteer()
    f = table.frame
    by_row = table.problems_by_row()
    with_coords = [i for i in f.index if pd.notna(f.at[i, "lon"]) and pd.notna(f.at[i, "lat"])]
    pip = _points_in_polygons(gaz, f, with_coords)
    out: list[RowResult] = []
    for i, r in f.iterrows():
        row = int(r["row"])
        res = RowResult(table=table.kind, file=table.path, row=row, name=r["name"],
                        voivodeship=r["voivodeship_input"], status="matched", index=int(i), woj=r["woj"] or None)
        if table.kind == "participation":
            res.project_id = r["project_id"]
        probs = by_row.get(row, [])
        res.problems = list(probs)
        pcol = table.columns_found.get("project_id", "project_id")
        if table.kind == "participation" and project_ids is not None and r["project_id"] and \
                not any(p.column == pcol for p in probs):
            pid = project_ids.get(fold(r["project_id"]))
            if pid:
                res.project_id = pid
            else:
                res.problems.append(Problem(table.path, row, table.columns_found.get("project_id", "project_id"),
                                            r["project_input"], "unknown project",
                                            "use one of the project ids of the projects file: " +
                                            ", ".join(sorted(set(project_ids.values())))))
        blocking = [p for p in res.problems if p.blocking]
        if blocking:
            res.status = "invalid"
            res.reason = "; ".join(f"{p.column}: {p.message}" for p in blocking)
            if r["name"]:
                res.suggestions = [str(gaz.candidate(t)) for t in _name_candidates(gaz, r["name"], r["woj"],
                                                                                    r["jst_kind"])][:5]
            out.append(res)
            continue
        name, powiat_hint = r["name"], r.get("powiat", "")
        m = re.fullmatch(r"(.+?)\s*\(\s*pow\.\s*([^)]+?)\s*\)\s*", name)
        if m and not powiat_hint:  # 'Biskupiec (pow. olsztyński)': a town qualified by its powiat
            name, powiat_hint = m.group(1), m.group(2)
        codes = r["teryt_codes"]
        if codes:
            _resolve_teryt(gaz, res, codes, name, r["woj"], parse_jst_name(name, r["jst_kind"])[1], r["teryt"])
        else:
            _resolve_name(gaz, res, name, r["woj"], r["jst_kind"], powiat_hint)
            if i in pip and res.status in ("ambiguous", "unmatched") and res.entity_kind != "powiat":
                t = pip[i]
                cands = [c.teryt for c in res.candidates]
                if res.status == "ambiguous" and t in cands:
                    res.status, res.teryt, res.method, res.entity_kind = "matched", t, "point", "gmina"
                    res.reason = f"the coordinates fall in {gaz.candidate(t)}, one of the {len(cands)} candidates"
                    res.candidates = []
                elif res.status == "unmatched":
                    res.status, res.teryt, res.method, res.entity_kind = "matched", t, "point", "gmina"
                    res.reason = (f"name not found ({res.reason}); placed by its coordinates in "
                                  f"{gaz.candidate(t)} — check the name")
            elif i in pip and res.status == "matched" and res.entity_kind == "gmina" and pip[i] != res.teryt:
                res.status = "ambiguous"
                res.candidates = [gaz.candidate(res.teryt), gaz.candidate(pip[i])]
                res.reason = (f"the name gives {gaz.candidate(res.teryt)} but the coordinates fall in "
                              f"{gaz.candidate(pip[i])}; fix one of them")
                res.teryt = None
            elif i in with_coords and i not in pip and res.status != "matched":
                res.reason += "; the coordinates fall in no gmina"
        if res.status == "matched" and res.problems:  # identified, but an attribute is unusable
            res.status = "invalid"
            res.reason = "; ".join(f"{p.column}: {p.message}" for p in res.problems) + \
                f" (identified as {gaz.candidate(res.teryt)}; the bad value is left empty)"
        out.append(res)
    _mark_duplicates(out, table)
    return out


def _mark_duplicates(results: list[RowResult], table: Table) -> None:
    seen: dict[tuple, RowResult] = {}
    f = table.frame
    for res in results:
        if res.status not in ("matched", "invalid", "ambiguous", "unmatched") or res.index is None:
            continue
        r = f.loc[res.index]
        ident = res.teryt or ("?", fold(r["name"]), r["woj"])
        if res.teryt is None and res.status == "invalid":
            continue
        key = (res.project_id, ident) if table.kind == "participation" else (ident,)
        if key in seen:
            first = seen[key]
            what = f"the same {'project and ' if table.kind == 'participation' else ''}" + \
                (f"JST ({res.teryt})" if res.teryt else "name and voivodeship")
            res.reason = f"duplicate of row {first.row}: {what}; this row is not used — merge the two rows " \
                         f"(keep both sources in one row)"
            res.status = "duplicate"
        else:
            seen[key] = res


def table_info(t: Table) -> dict:
    """How a file was read — shown to the office so a wrong guess (encoding, separator, header) is visible."""
    return {"encoding": t.encoding, "delimiter": t.delimiter, "header_row": t.header_row,
            "columns": dict(t.columns_found), "ignored_columns": list(t.ignored_columns), "rows": len(t.frame),
            "skipped_empty_rows": list(t.skipped_empty_rows)}


def project_lookup(projects: pd.DataFrame) -> dict[str, str]:
    """folded id / name / label (PL, EN; also the name without its parenthesis or ' – ' tail) -> id."""
    out = {}
    for r in projects.itertuples(index=False):
        for v in (r.id, r.name_pl, r.name_en, r.label_pl, r.label_en):
            if not v:
                continue
            for form in (v, re.sub(r"\s*\(.*$", "", v), re.split(r"\s+[–-]\s+", v)[0]):
                if form.strip():
                    out.setdefault(fold(form), r.id)
    return out


def join(members: Table | None = None, participation: Table | None = None,
         projects: pd.DataFrame | None = None, gaz: Gazetteer | None = None) -> JoinReport:
    gaz = gaz or get_gazetteer()
    report = JoinReport()
    lookup = project_lookup(projects) if projects is not None else None
    for t in (members, participation):
        if t is None:
            continue
        report.files[t.kind] = t.path
        report.skipped_empty_rows[t.kind] = list(t.skipped_empty_rows)
        report.tables[t.kind] = table_info(t)
        in_rows = set(t.frame["row"]) if "row" in t.frame else set()
        report.file_problems.extend(p for p in t.problems if p.row not in in_rows)
        report.rows.extend(resolve_table(t, gaz, lookup if t.kind == "participation" else None))
    return report
