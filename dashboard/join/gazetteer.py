"""The gazetteer of PRG 2020 gminy and powiaty the join looks names and codes up in (built once per process from
geodata), and the parsing of a JST name as offices write it ('m. st. Warszawa', 'Gorzów Wlkp.', 'Krasnystaw
(gmina wiejska)', 'Powiat Pilski')."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from dashboard.ingest.values import VOIVODESHIPS, fold

if TYPE_CHECKING:  # only annotations: the join report's types are read without geopandas (atlas cache)
    import geopandas as gpd

GMINA_KIND = {"1": "gmina miejska", "2": "gmina wiejska", "3": "gmina miejsko-wiejska"}
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
    ("urzad gminy", "gmina", None), ("miasto", "town", None),
    ("gmina", "gmina_prefix", None), ("gm", "gmina_prefix", None),   # 'Gmina X': rural X, or how town X signs
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
        else:   # a known abbreviation written without its dot: 'Grodzisk Maz', 'Nowe Miasto n/Pilicą'
            abbr.append(t == "wlkp" or (bool(toks) and t in _ABBREV_STEMS))
            toks.append(t)
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
        self.by_key_all: dict[str, list[str]] = {}
        for t, k in zip(g.terc, g.key):
            self.by_key_all.setdefault(k, []).append(t)
        self._trigram_index: dict[str, list[str]] = {}
        for k in self.by_key_all:
            for gram in _trigrams(k):
                self._trigram_index.setdefault(gram, []).append(k)
        self._suggestion_cache: dict[tuple, list[str]] = {}

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
        wild = re.compile(re.escape(key).replace(r"\?", "[a-z]")) if "?" in key else None
        for w in wojs:
            hit = self.by_key.get((w, key))
            if hit:
                out.extend(hit)
            elif wild:   # 'Boles?awiec': letters lost to '?' in a non-Polish encoding
                out.extend(t for t, ct in self.keys_by_woj.get(w, []) if wild.fullmatch(" ".join(ct)))
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
        """Close names (the same name in another voivodeship first). Cached: a 10,000-row register repeats them."""
        ck = (_key(name), woj, n)
        if ck not in self._suggestion_cache:
            self._suggestion_cache[ck] = self._suggestions(name, woj, n)
        return list(self._suggestion_cache[ck])

    def _close_keys(self, key: str, woj: str | None, n: int, cutoff: float) -> list[str]:
        """difflib over the keys sharing most letter trigrams with `key` (not over all 2,477: that took ~15 ms)."""
        counts: dict[str, int] = {}
        for g in _trigrams(key):
            for k in self._trigram_index.get(g, ()):
                counts[k] = counts.get(k, 0) + 1
        pool = [k for k in counts if not woj or (woj, k) in self.by_key]
        pool = sorted(pool, key=lambda k: -counts[k])[:60]
        return difflib.get_close_matches(key, pool, n=n, cutoff=cutoff)

    def _suggestions(self, name: str, woj: str | None, n: int) -> list[str]:
        key = _key(name)
        out = []
        if woj:  # the same name in another voivodeship first: the voivodeship may be wrong
            out = [str(self.candidate(t)) for t in self.gminy_named(name, None) if t[:2] != woj]
        words = key.split()
        for i in range(len(words) - 1, 0, -1):   # 'Warszawa-Bemowo' (a district): the gmina it starts with
            out += [str(self.candidate(t)) for t in self.by_key_all.get(" ".join(words[:i]), [])
                    if not woj or t[:2] == woj]
        for c in self._close_keys(key, woj, n, 0.72):
            out += [str(self.candidate(t)) for t in self.by_key_all[c] if not woj or t[:2] == woj]
        if woj and len(out) < 2:  # maybe the voivodeship is wrong: look nationwide
            for c in self._close_keys(key, None, 3, 0.85):
                out.extend(str(self.candidate(t)) for t in self.by_key_all[c] if str(self.candidate(t)) not in out)
        return list(dict.fromkeys(out))[:n]


def _trigrams(key: str) -> set[str]:
    s = f"  {key} "
    return {s[i:i + 3] for i in range(len(s) - 2)}


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
