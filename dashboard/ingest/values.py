"""Single values as the office writes them -> canonical values (pure functions, no I/O).

    fold(text)               case-, diacritics-, hyphen- and whitespace-insensitive key
    voivodeship_code(value)  'DOLNOŚLĄSKIE' / 'woj. dolnośląskie' / 'kuj.-pom.' / '02' -> '02'
    parse_teryt(value)       raw cell -> (possible codes, error)
    parse_year(value)        raw cell -> (year, error, unknown)
    parse_coordinate(value)  raw cell -> (degrees, error)

TERYT read from Excel may have lost its leading zero. Interpretation (see data/README.md, "TERYT codes"):
    7 digits  WWPPGGT (gmina)                    2 digits  WW (województwo)
    6 digits  starting with 0: WWPPGG (gmina without its type digit)
              starting with 2-8: EITHER WWPPGG OR a 7-digit code that lost its zero (201011 -> 0201011); both
              readings are kept and the join decides which one exists (and agrees with name/voivodeship);
              when both exist and nothing disambiguates, the row is reported ambiguous, never guessed.
    5 digits  WWPPGG that lost its zero (20101 -> 020101)     4 digits  WWPP (powiat)
    3 digits  WWPP that lost its zero (201 -> 0201)          1 digit   WW that lost its zero
No other length is a TERYT code. Separators (spaces, '-', '_', '.') and a float tail ('.0') are ignored.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np

VOIVODESHIPS: dict[str, str] = {
    "02": "dolnośląskie", "04": "kujawsko-pomorskie", "06": "lubelskie", "08": "lubuskie", "10": "łódzkie",
    "12": "małopolskie", "14": "mazowieckie", "16": "opolskie", "18": "podkarpackie", "20": "podlaskie",
    "22": "pomorskie", "24": "śląskie", "26": "świętokrzyskie", "28": "warmińsko-mazurskie",
    "30": "wielkopolskie", "32": "zachodniopomorskie",
}
_VOIV_EN = {
    "02": ("lower silesian", "lower silesia"), "04": ("kuyavian pomeranian", "kuyavia pomerania"),
    "06": ("lublin",), "08": ("lubusz", "lubuskie"), "10": ("lodz",), "12": ("lesser poland", "malopolska"),
    "14": ("masovian", "mazovia", "masovia"), "16": ("opole",), "18": ("subcarpathian", "podkarpacie"),
    "20": ("podlaskie", "podlasie"), "22": ("pomeranian", "pomerania"), "24": ("silesian", "silesia"),
    "26": ("holy cross", "swietokrzyskie"), "28": ("warmian masurian", "warmia masuria"),
    "30": ("greater poland", "wielkopolska"), "32": ("west pomeranian", "west pomerania"),
}
JST_KINDS = ("town", "gmina", "powiat")
# How strong the claim of membership is (data/README.md): ZMP's own list, a stated membership or admission, a seat
# on a ZMP body, or weak hints. The office's register needs no column: its rows are the union's own list.
EVIDENCE_LEVELS = ("list", "stated", "role", "weak")
_EVIDENCE_ALIASES = {"lista": "list", "rejestr": "list", "register": "list", "stwierdzone": "stated",
                     "potwierdzone": "stated", "deklaracja": "stated", "oswiadczenie": "stated",
                     "funkcja": "role", "rola": "role", "slaby": "weak", "slabe": "weak", "slaba": "weak"}
MEMBERSHIP_EVENTS = ("joined", "left")
_EVENT_ALIASES = {"przystapienie": "joined", "przystapil": "joined", "przystapila": "joined",
                  "przyjecie": "joined", "przyjety": "joined", "wstapienie": "joined", "dolaczyl": "joined",
                  "join": "joined", "admitted": "joined", "rejoined": "joined", "powrot": "joined",
                  "wystapienie": "left", "wystapil": "left", "wystapila": "left", "rezygnacja": "left",
                  "wykreslenie": "left", "wykreslony": "left", "leave": "left", "departure": "left"}


def parse_evidence(value) -> str | None:
    """'lista', 'Stated', ' weak ' -> a level of EVIDENCE_LEVELS; '' -> 'list'; anything else -> None."""
    key = _header_key(value)
    if not key:
        return "list"
    return key if key in EVIDENCE_LEVELS else _EVIDENCE_ALIASES.get(key)


def parse_event(value) -> str | None:
    """'przystąpienie', 'Joined', 'wystąpienie' -> 'joined' / 'left'; anything else -> None."""
    key = _header_key(value)
    return key if key in MEMBERSHIP_EVENTS else _EVENT_ALIASES.get(key)
_JST_KIND_ALIASES = {
    "town": "town", "miasto": "town", "city": "town", "m": "town", "gmina miejska": "town",
    "gmina": "gmina", "gm": "gmina", "municipality": "gmina", "gmina wiejska": "gmina", "gw": "gmina",
    "gmina miejsko wiejska": "gmina", "rural gmina": "gmina", "miejsko wiejska": "gmina", "gmw": "gmina",
    "wiejska": "gmina", "miejska": "town", "urban rural gmina": "gmina", "urban gmina": "town",
    "miasto na prawach powiatu": "town",
    "powiat": "powiat", "county": "powiat", "pow": "powiat", "starostwo": "powiat", "starostwo powiatowe": "powiat",
}
GMINA_TYPE_OF_KIND = {  # a kind that names the gmina type, too: 'gmina miejsko-wiejska' -> type 3
    "gmina miejska": "1", "miejska": "1", "urban gmina": "1", "miasto na prawach powiatu": "1",
    "gmina wiejska": "2", "wiejska": "2", "gw": "2", "rural gmina": "2",
    "gmina miejsko wiejska": "3", "miejsko wiejska": "3", "gmw": "3", "urban rural gmina": "3",
}
_UNKNOWN_WORDS = {"", "-", "--", "?", "??", "b d", "bd", "brak", "brak danych", "nieznany", "nieznana", "n a", "na",
                  "nan", "none", "null", "unknown", "x"}
MIN_JOIN_YEAR = 1990  # ZMP was re-established in 1990/91 (Restitution Congress, Jan 1991)
POLAND_BBOX = (14.0, 49.0, 24.2, 55.0)  # lon_min, lat_min, lon_max, lat_max


CACHED_TEXT = 200   # longer texts (what a reader types, a long cell) are folded afresh: the caches stay small


def fold(text) -> str:
    """Case-, diacritics-, hyphen- and whitespace-insensitive key: 'Jedlina-Zdrój ' -> 'jedlina zdroj'."""
    s = str(text)
    return _fold(s) if len(s) <= CACHED_TEXT else _fold.__wrapped__(s)


@functools.lru_cache(maxsize=65536)
def _fold(s: str) -> str:   # cached: a table's reading and joining folds the same names and headers many times
    s = s.replace("ł", "l").replace("Ł", "L")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = "".join(c for c in s if unicodedata.category(c) != "Cf")   # soft hyphen, zero-width space, LRM, BOM
    s = re.sub(r"[\u00a0\u2007\u202f]", " ", s)
    s = re.sub(r"[-‐‑‒–—_/]", " ", s)
    return re.sub(r"\s+", " ", s).strip()



# Polish alphabetical order: each letter with a diacritic is a letter of its own, after its base (ą after a, ł after
# l, ż last). Python's default order is by code point, which puts "Góra" before "Głogów" and "Łódź" after "Zabrze";
# the locale module would need the pl_PL locale installed on every server.
_PL_ALPHABET = "aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"
_PL_RANK = {c: i for i, c in enumerate(_PL_ALPHABET)}


def _letter_rank(c: str) -> int:
    """Spaces and punctuation first, then digits, then letters in Polish order (a foreign letter with a diacritic,
    "ü", as its base letter), then anything else."""
    if c in _PL_RANK:
        return 100 + _PL_RANK[c]
    if c.isdigit():
        return 10 + int(c) if c in "0123456789" else 20
    base = unicodedata.normalize("NFD", c)[0]
    if base in _PL_RANK:
        return 100 + _PL_RANK[base]
    return 1000 + ord(c) if c.isalnum() else 1


def collation_key(text: object) -> tuple[tuple[int, ...], str]:
    """Sort key of a text in Polish alphabetical order, case-insensitive (the exact text breaks ties)."""
    s = str(text)
    return tuple(_letter_rank(c) for c in s.casefold()), s


def _header_key(text) -> str:
    s = str(text)
    return _key(s) if len(s) <= CACHED_TEXT else _key.__wrapped__(s)


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    s = fold(text)
    s = re.sub(r"[^a-z0-9 ]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_VOIV_KEYS: dict[str, str] = {}
for _code, _name in VOIVODESHIPS.items():
    _VOIV_KEYS[fold(_name)] = _code
    _VOIV_KEYS[fold(_name).replace(" ", "")] = _code
    for _en in _VOIV_EN[_code]:
        _VOIV_KEYS[_en] = _code
        _VOIV_KEYS[_en + " voivodeship"] = _code
        _VOIV_KEYS[_en + " province"] = _code


_VOIV_COLLOQUIAL = {  # how people say it: 'Mazowsze', 'Dolny Śląsk', 'Warmia i Mazury'
    "dolny slask": "02", "kujawy": "04", "kujawy i pomorze": "04", "lubelszczyzna": "06", "ziemia lubuska": "08",
    "ziemia lodzka": "10", "mazowsze": "14", "opolszczyzna": "16", "slask opolski": "16", "slask": "24",
    "gorny slask": "24", "pomorze": "22", "warmia i mazury": "28", "warmia mazury": "28",
    "pomorze zachodnie": "32",
}
_VOIV_KEYS.update(_VOIV_COLLOQUIAL)
EXCEL_ERROR = re.compile(r"#(N/A|N/D!?|REF!|ADR!|VALUE!|ARG!|DIV/0!|DZIEL/0!|NAME\?|NAZWA\?|NUM!|LICZBA!|NULL!|"
                         r"ZERO!|SPILL!|ROZLANIE!|CALC!|OBL!|GETTING_DATA)", re.IGNORECASE)


def is_excel_error(text) -> bool:
    """'#N/A', '#N/D!', '#ADR!' …: the cell shows a failed formula, not a value."""
    return bool(EXCEL_ERROR.fullmatch(str(text).strip()))


def voivodeship_code(value) -> str | None:
    """'dolnośląskie' / 'DOLNOŚLĄSKIE' / 'Dolnoslaskie' / 'woj. dolnośląskie' / 'dolnośląskie województwo' /
    '02' / 2 / 'Lower Silesian' / 'Dolny Śląsk' / 'kuj.-pom.' / '02 DOLNOŚLĄSKIE' -> its code; None when not
    recognisable or when it fits two voivodeships ('lub.')."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = fold(value)
    s = re.sub(r"\.0$", "", s)
    if re.fullmatch(r"\d{1,2}", s):
        code = s.zfill(2)
        return code if code in VOIVODESHIPS else None
    m = re.fullmatch(r"(\d{1,2})\s*[.:)]?\s*(\D.*)", s)
    if m:  # '02 DOLNOŚLĄSKIE' (a TERYT-style export): the code and the name must agree
        code, by_name = m.group(1).zfill(2), voivodeship_code(m.group(2))
        return code if code == by_name else None
    s = re.sub(r"[,;:()]", " ", s)
    s = re.sub(r"\b(wojewodztwo|woj|voivodeship|province|region)\b\.?", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    if s.endswith(".") and not s[:-1].strip(". "):
        return None
    code = _VOIV_KEYS.get(s.rstrip(".")) or _VOIV_KEYS.get(s.replace(" ", ""))
    return code or _voivodeship_by_abbreviation(s)


def _voivodeship_by_abbreviation(s: str) -> str | None:
    """'kuj.-pom.' / 'warm. maz.' / 'świętokrz.' / 'wlkp.' / 'dolno?l?skie' (letters lost to '?') -> the one
    voivodeship whose words start so; None when none or several fit."""
    toks = [t for t in re.split(r"[\s.]+", s) if t]
    if not toks or (not re.search(r"[.?]", s) and len(toks) == 1 and len(toks[0]) < 4):
        return None
    if toks == ["wlkp"]:
        return "30"
    pattern = re.compile(r"\s?".join(re.escape(t).replace(r"\?", ".") + "[a-z]*" for t in toks))
    hits = [code for code, name in VOIVODESHIPS.items() if pattern.fullmatch(fold(name))]
    return hits[0] if len(hits) == 1 else None


def voivodeship_heading(text) -> str | None:
    """A section row of a register grouped by voivodeship: 'DOLNOŚLĄSKIE' / 'woj. dolnośląskie' /
    'Województwo Dolnośląskie' -> '02'. Only the Polish names (not 'Opole', 'Lublin' — those are cities)."""
    s = re.sub(r"[.:]", " ", fold(text))
    s = re.sub(r"\b(wojewodztwo|woj)\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return next((c for c, n in VOIVODESHIPS.items() if fold(n) == s), None)


def parse_teryt(value) -> tuple[tuple[str, ...], str | None]:
    """Raw cell -> (possible codes, error). See the module docstring for the rules."""
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = re.sub(r"\s", "", s)
    m = re.fullmatch(r'="(.*)"', s)
    if m:  # ="0201011": the CSV trick that keeps leading zeros when Excel opens the file
        s = m.group(1)
    if is_excel_error(s):
        return (), "an Excel error value (the formula that fills this cell failed)"
    if not s.isascii():
        return (), "a TERYT code has digits 0-9 only"
    if re.fullmatch(r"\d+[.,]0+", s):
        s = re.split(r"[.,]", s)[0]
    elif re.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d+", s):
        mant, exp = re.split(r"[eE]\+?", s)
        if len(re.sub(r"\D", "", mant)) < int(exp) + 1:
            return (), (f"Excel wrote the code in scientific notation ({s}) and its last digits are lost; "
                        "format the column as Text and type the codes again")
        try:
            f = float(s.replace(",", "."))
            if f.is_integer():
                s = str(int(f))
        except ValueError:
            pass
    s = re.sub(r"[-_.']", "", s)
    if not s.isdigit():
        return (), "a TERYT code has digits only"
    n = len(s)
    if n == 7:
        codes = (s,)
    elif n == 6:
        codes = (s,) if s[0] == "0" else ((s, "0" + s) if s[0] in "2468" else (s,))
    elif n == 5:
        codes = ("0" + s,)
    elif n in (4, 2):
        codes = (s,)
    elif n in (3, 1):
        codes = ("0" + s,)
    else:
        return (), f"a TERYT code has 7 digits (gmina), 6 (gmina without type digit), 4 (powiat) or 2; this has {n}"
    bad = [c for c in codes if c[:2] not in VOIVODESHIPS]
    if len(bad) == len(codes):
        return (), f"'{codes[0][:2]}' is not a voivodeship code (the first two digits are 02, 04, …, 32)"
    codes = tuple(c for c in codes if c[:2] in VOIVODESHIPS)
    typed = tuple(c for c in codes if len(c) != 7 or c[6] in "1234589")
    if not typed:
        return (), f"the last digit of a 7-digit gmina code is its type (1-5, 8, 9), not {codes[0][6]}"
    return typed, None


def parse_year(value) -> tuple[int | None, str | None, bool]:
    """-> (year, error, unknown). '2019', '2019.0', '2019 r.', 'rok 2019', '2019-05-12', '12.05.2019' -> 2019;
    '', '?', 'b.d.', 'brak' -> unknown (a gap, not an error); ranges and approximations -> error."""
    if isinstance(value, (dt.date, dt.datetime)):
        return _year_from_date(value)
    s = str(value).strip()
    key = _header_key(s)
    if key in _UNKNOWN_WORDS:
        return None, None, True
    s2 = re.sub(r"\s+", " ", s.lower())
    m = re.fullmatch(r"(?:rok\s*)?(\d{4})(?:[.,]0+)?\s*(?:r\.?|rok)?", s2)
    if m:
        return int(m.group(1)), None, False
    if re.fullmatch(r"\d+[.,]\d*[1-9]\d*", s2):   # 2019.5, 2.019: a number, not a year
        return None, "a number with a fraction or a thousands separator, not a year", False
    if re.fullmatch(r"\d{5}(?:[.,]0+)?", s2) and 32874 <= int(s2[:5]) <= 60000:   # 1990 … 2064 as Excel dates
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(s2[:5]))
        return None, (f"an Excel date serial number ({s2[:5]} = {day:%Y-%m-%d}): the date cell lost its date "
                      f"format when saved; write the year ({day.year}) or format the column as a date"), False
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", s2)
    if m:
        return _year_of_date(int(m.group(1)), int(m.group(2)), m.group(3))
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})\s*(?:r\.?)?", s2)
    if m:
        return _year_of_date(int(m.group(3)), int(m.group(2)), m.group(1))
    if re.search(r"\d{4}\s*[-–—/]\s*\d{2,4}", s2):
        return None, "a range of years; the join year is one year", False
    if re.search(r"(ok\.|około|ca\.?|~|circa|przed|po |before|after|\?)", s2):
        return None, "an approximate year", False
    no_comment = re.sub(r"\(.*?\)", " ", s2).strip()
    if no_comment and no_comment != s2:  # '1991 (reaktywacja)'
        y, err, unknown = parse_year(no_comment)
        if y is not None:
            return y, None, False
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", s2)
    if len(years) == 1:  # one year inside a date or a note: '19 września 2019', 'uchwała z 27.11.1992'
        return int(years[0]), None, False
    return None, "not a year", False


def _year_of_date(year: int, month: int, day: str | None) -> tuple[int | None, str | None, bool]:
    """The year of a written date, or an error when the date does not exist ('2020-13-45', '31.02.2019')."""
    try:
        dt.date(year, month, int(day or 1))
    except ValueError as e:
        return None, f"not a date ({e})", False
    return year, None, False


def first_day(iso: str) -> dt.date:
    """The first day an ISO date, month or year ('2019-05-12', '2019-05', '2019') can mean."""
    parts = [int(p) for p in iso.split("-")]
    return dt.date(parts[0], *(parts[1:] + [1, 1])[:2])


_LATER = re.compile(r"\s+(or later|lub p[oó]źniej|i p[oó]źniej)\s*$", re.I)


def is_lower_bound(value) -> bool:
    """A date written as a lower bound ('2025-06-18 or later', '18.06.2025 lub później'): a dated list whose
    snapshot is of that day or later."""
    return not isinstance(value, (dt.date, dt.datetime)) and bool(_LATER.search(str(value or "").strip()))


def parse_date(value) -> tuple[str, str | None]:
    """A membership date -> (ISO text 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; '' when unknown, error). Accepts what
    parse_year accepts, keeping the month and day when the cell has them ('17.10.1990', a date cell, '2019-02');
    a trailing 'or later' / 'lub później' (a lower bound, as a dated list gives) is dropped."""
    if isinstance(value, (dt.date, dt.datetime)):
        year, err, _ = _year_from_date(value)
        if err or year is None or year != year:   # year != year: NaT, Excel's empty date
            return "", err
        return f"{value:%Y-%m-%d}", None
    s = _LATER.sub("", str(value or "").strip())
    m = re.fullmatch(r"(\d{1,2})[./](\d{4})\s*(?:r\.?)?", s)   # '10.1990': a month
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{m.group(2)}-{int(m.group(1)):02d}", None
    year, err, unknown = parse_year(s)
    if err or unknown or year is None:
        return "", err
    m = (re.fullmatch(r"\d{4}-(\d{1,2})(?:-(\d{1,2}))?", s)
         or re.fullmatch(r"(?:(\d{1,2})[./])?(\d{1,2})[./]\d{4}\s*(?:r\.?)?", s))
    if not m:
        return str(year), None
    if s[:4].isdigit():
        month, day = m.group(1), m.group(2)
    else:
        day, month = m.group(1), m.group(2)
    try:
        d = dt.date(year, int(month), int(day or 1))
    except ValueError as e:
        return "", f"not a date ({e})"
    return (f"{d:%Y-%m-%d}" if day else f"{d:%Y-%m}"), None


def _year_from_date(d) -> tuple[int | None, str | None, bool]:
    if d.year < 1910:  # Excel shows a number typed into a date-formatted cell as a date: 2019 -> 1905-07-11
        serial = (dt.datetime(d.year, d.month, d.day) - dt.datetime(1899, 12, 30)).days
        if 1900 <= serial <= 2100:
            return None, f"a date cell holding the number {serial} (Excel shows it as {d:%Y-%m-%d})", False
    return d.year, None, False


_NUM = r"\d+(?:[.,]\d+)?"
_DMS = re.compile(rf"([+-]?{_NUM})°(?:({_NUM})['′’])?(?:({_NUM})(?:\"|″|''|”))?([NESWnesw])?")


def parse_coordinate(value) -> tuple[float | None, str | None]:
    """Decimal degrees ('52.2297', '52,2297', '52.2297°N') or degrees-minutes-seconds ('52°13'47"N')."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, None
    s = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if s == "":
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    m = re.fullmatch(rf"([+-]?{_NUM})°?[NESWnesw]?", s)
    if m:
        return float(m.group(1).replace(",", ".")), None
    m = _DMS.fullmatch(s)
    if m:
        deg, mins, secs = (float((g or "0").replace(",", ".")) for g in m.groups()[:3])
        if mins < 60 and secs < 60:
            sign = -1 if (m.group(4) or "").upper() in ("S", "W") or deg < 0 else 1
            return sign * (abs(deg) + mins / 60 + secs / 3600), None
    return None, "not a decimal-degree number (nor degrees°minutes'seconds\")"


def parse_point(value) -> tuple[tuple[float, float] | None, str | None]:
    """One cell holding both coordinates, as copied from a map: '52.2297, 21.0122' (lat, lon) or '21.0122 52.2297'.
    In Poland latitudes (49–55) and longitudes (14–24.2) never overlap, so the order is told by the values."""
    s = str(value or "").strip()
    if not s:
        return None, None
    nums = re.findall(r"[+-]?\d+(?:\.\d+)?" if "." in s else r"[+-]?\d+(?:,\d+)?", s)
    if len(nums) == 2:
        a, b = (float(n.replace(",", ".")) for n in nums)
        x0, y0, x1, y1 = POLAND_BBOX
        for lon, lat in ((b, a), (a, b)):
            if x0 <= lon <= x1 and y0 <= lat <= y1:
                return (lon, lat), None
        return None, "not a point in Poland"
    return None, "not two numbers (latitude, longitude)"
