"""Rebuild the shipped dataset (data/*.csv) from the compiled public sources in ../shared/zmp.

    python data/build.py [--source DIR]        (default: $ATLAS_ZMP_SOURCE or ../shared/zmp)

Deterministic and lossless: every source row becomes one output row (except the one same project x JST pair
that two sources report, which is merged keeping both roles and both sources), every row keeps its source,
gaps stay gaps. What this script changes, and why, is listed in data/README.md ("How data/ was built").
It never looks anything up: no TERYT code and no join year is added here (the join reports TERYT codes;
`python -m dashboard check-data --json` prints them).
"""
from __future__ import annotations

import argparse
import csv
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "zmp"

MEMBERS_COLUMNS = ["name", "voivodeship", "jst_kind", "teryt", "join_year", "join_year_source", "evidence",
                   "source_date", "source", "note"]
EVENTS_COLUMNS = ["name", "voivodeship", "teryt", "event", "date", "quote", "source"]
PARTICIPATION_COLUMNS = ["project_id", "name", "voivodeship", "jst_kind", "teryt", "role_kind", "role_label_pl",
                         "role_label_en", "counts_as_participation", "role", "year", "source", "note"]
PROJECTS_COLUMNS = ["id", "kind", "name_pl", "name_en", "label_pl", "label_en", "years", "funding", "lead",
                    "description", "source"]
TOTALS_COLUMNS = ["year", "as_of", "members", "era", "source"]
SUMMARY_COLUMNS = ["key", "value", "unit", "label_pl", "label_en", "source"]

# Short UI labels. label_pl = the label of the ZMP press release "Związek Miast Polskich podsumowuje 2020 rok"
# (mapping to the 9 projects as in SOURCES.md); label_en = our translation of that label.
LABELS = {
    "P1": ("Rozwój średnich i małych miast", "Medium and small towns"),
    "P2": ("Monitoring usług publicznych", "Public services monitoring"),
    "P3": ("Samorządowy rynek pracy", "Local-government labour market"),
    "P4": ("Udział mieszkańców w planowaniu przestrzennym", "Residents in spatial planning"),
    "P5": ("Zarządzanie oświatą", "Education management"),
    "P6": ("Zarządzanie usługami lokalnymi – nowa jakość", "Local services – new quality"),
    "P7": ("Wsparcie przedsiębiorczości rodzinnej", "Family business support"),
    "P8": ("Nowa jakość w zamówieniach publicznych", "New quality in public procurement"),
    "P9": ("Rozwój małych miast", "Small towns development"),
}
CAMPAIGN_ID = "CAMPAIGN-2020"

# Participants whose source row says they are a gmina as a unit (not a town) without saying it in the name.
GMINA_ROLE_MARKERS = ("(gmina unit)", "rural gmina", "– gmina,", "(gmina/powiat unit", "gmina website",
                      "rural/urban-rural grupa")

# Dates of the membership totals, as written in each row's source text (year-month[-day]).
TOTALS_AS_OF = {
    ("1917", "16"): "1917-11", ("1918", "75"): "1918-12", ("1937", "494"): "1937", ("1939", "515"): "1939",
    ("1991", "64"): "1991-01-20", ("2008", "307"): "2008-02", ("2019", "300"): "2019-01",
    ("2019", "303"): "2019-02-21", ("2019", "321"): "2019-09-19", ("2020", "328"): "2020-02-27",
    ("2020", "333"): "2020-12-31", ("2021", "335"): "2021-02-24", ("2021", "337"): "2021-04-22",
    ("2023", "355"): "2023", ("2024", "356"): "2024", ("2015", "302"): "2015-03-05", ("2024", "373"): "2024-11-15",
}

# A short label for each participation row, read from the research text of its role (the text stays in `role`).
# First match wins; counts_as_participation = "no" for rows that are not taking part in the project (an expert
# visit, a claim of one source only, an implied link), so a view of "participating cities" leaves them out.
# (pattern, role_kind, label_pl, label_en, counts)
ROLE_KINDS = [
    (r"grant recipient", "stage2_funded", "miasto etapu II (dotacja 2021)", "stage-II city (grant 2021)", "yes"),
    (r"OECD review visit", "oecd_visit", "wizyta ekspertów OECD", "OECD expert visit", "no"),
    (r"pilot of the social-dialogue", "pilot", "miasto pilotażowe", "pilot city", "yes"),
    (r"finalist of competition", "finalist", "finalista konkursu", "competition finalist", "yes"),
    (r"EDITION 1\b", "edition1", "uczestnik 1. edycji (2016–2018)", "edition 1 participant (2016–2018)", "yes"),
    (r"edition-2 participant", "edition2", "uczestnik 2. edycji", "edition 2 participant", "yes"),
    (r"EDITION NOT STATED", "edition_unknown", "uczestnik (edycja nieznana)", "participant (edition not stated)",
     "yes"),
    (r"Grupa Wymiany Do", "exchange_group", "grupa wymiany doświadczeń, etap I (2016)",
     "experience-exchange group, stage I (2016)", "yes"),
    (r"Doradztwo dla JST", "advisory", "doradztwo dla JST (etap II)", "advisory for local government (stage II)",
     "yes"),
    (r"stage[- ]II\b", "stage2", "miasto etapu II", "stage-II city", "yes"),
    (r"^project partner", "partner", "partner projektu", "project partner", "yes"),
    (r"selected partner city", "partner_city", "miasto partnerskie (Lokalne Centrum Kompetencji)",
     "partner city (Local Competence Centre)", "yes"),
    (r"listed as a selected .* by .*site", "disputed", "wymienione przez jedno źródło (sporne)",
     "named by one source only (disputed)", "no"),
    (r"member of CWD pilot partnership", "cwd_partnership", "członek partnerstwa pilotażowego CWD",
     "member of a CWD pilot partnership", "yes"),
    (r"IMPLIED only", "implied", "udział domniemany", "implied participation", "no"),
    (r"^campaign participant", "campaign", "uczestnik kampanii", "campaign participant", "yes"),
]


class SourceRowError(ValueError):
    """A source row build.py cannot place: names the file, the row and what to do."""


def role_kind(role: str, where: str) -> dict[str, str]:
    """The role's kind and short PL/EN labels; a role no rule knows stops the build (never a silent default)."""
    for pattern, kind, label_pl, label_en, counts in ROLE_KINDS:
        if re.search(pattern, role):
            return {"role_kind": kind, "role_label_pl": label_pl, "role_label_en": label_en,
                    "counts_as_participation": counts}
    raise SourceRowError(f"{where}: no role label for role {role[:80]!r}; add a rule to ROLE_KINDS in data/build.py")


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def split_jst(name: str, role: str = "") -> tuple[str, str, str]:
    """("Nowy Targ (powiat nowotarski)", role) -> ("powiat nowotarski", "powiat", note). Never drops text."""
    m = re.fullmatch(r"\s*(.+?)\s*\(\s*(powiat\s+\S+)\s*\)\s*", name, flags=re.I)
    if m:
        return m.group(2).lower(), "powiat", f"source name: '{name}' (the powiat, seat {m.group(1)})"
    m = re.fullmatch(r"\s*powiat\s+(\S+)\s*", name, flags=re.I)
    if m:
        return f"powiat {m.group(1).lower()}", "powiat", f"source name: '{name}'"
    m = re.fullmatch(r"\s*(.+?)\s*\(\s*gmina[^)]*\)\s*", name, flags=re.I)
    if m:
        return m.group(1), "gmina", f"source name: '{name}' (the rural gmina, not the town)"
    if any(k in role.lower() for k in GMINA_ROLE_MARKERS):
        return name, "gmina", ""
    return name, "town", ""


def years_stated(*texts: str) -> str:
    """The year (or range) the row's own text states for the participation; '' when none or several."""
    text = " ".join(texts)
    if re.search(r"year not stated|likely|probably", text, flags=re.I):
        return ""
    rng = re.findall(r"\b((?:19|20)\d\d)\s*[-–]\s*(?:c\.\s*)?((?:19|20)\d\d)\b", text)
    if len(rng) == 1:
        return f"{rng[0][0]}-{rng[0][1]}"
    ys = set(re.findall(r"\b(20[12]\d)\b", text))
    return ys.pop() if len(ys) == 1 else ""


EVIDENCE_LEVELS = ("list", "stated", "role", "weak")
EVENTS = ("joined", "left")


def build_members(source: Path) -> list[dict]:
    rows = []
    for line, r in enumerate(_read(source / "members.csv"), start=2):
        if r["evidence"] not in EVIDENCE_LEVELS:
            raise SourceRowError(f"{source / 'members.csv'} row {line}: evidence {r['evidence']!r} is not one of "
                                 f"{', '.join(EVIDENCE_LEVELS)}")
        rows.append({"name": r["name"], "voivodeship": r["voivodeship"], "jst_kind": "town", "teryt": "",
                     "join_year": r["join_year"], "join_year_source": r["join_year_source"],
                     "evidence": r["evidence"], "source_date": r["source_date"], "source": r["list_source"],
                     "note": r["note"]})
    return rows


# an event whose source is the city's row of members.csv ("members.csv row (Kraków BIP)", "members.csv
# join_year_source"): the card showed that file's name
MEMBERS_ROW = re.compile(r"^members\.csv\b")


def build_events(source: Path, members: list[dict]) -> list[dict]:
    rows = []
    for line, r in enumerate(_read(source / "membership_events.csv"), start=2):
        where = f"{source / 'membership_events.csv'} row {line}"
        if r["event"] not in EVENTS or not re.fullmatch(r"\d{4}(-\d\d){0,2}", r["date"]):
            raise SourceRowError(f"{where}: event {r['event']!r} on {r['date']!r}: expected joined/left on YYYY, "
                                 "YYYY-MM or YYYY-MM-DD")
        src = _member_source(members, r, where) if MEMBERS_ROW.match(r["source"]) else r["source"]
        rows.append({"name": r["name"], "voivodeship": r["voivodeship"], "teryt": "", "event": r["event"],
                     "date": r["date"], "quote": r["quote"], "source": src})
    return rows


def _member_source(members: list[dict], event: dict, where: str) -> str:
    """The source of the members.csv row an event points to (its join year's source, else its listing's)."""
    row = next((m for m in members if (m["name"], m["voivodeship"]) == (event["name"], event["voivodeship"])), None)
    if row is None or not (row["join_year_source"] or row["source"]):
        raise SourceRowError(f"{where}: its source {event['source']!r} points to a members.csv row of "
                             f"{event['name']} ({event['voivodeship']}) with a source, and there is none; "
                             "write the source itself")
    return row["join_year_source"] or row["source"]


def build(source: Path, out: Path) -> dict[str, int]:
    members = build_members(source)
    _write(out / "members.csv", MEMBERS_COLUMNS, members)
    events = build_events(source, members)
    _write(out / "membership_events.csv", EVENTS_COLUMNS, events)
    participation, campaign_text = build_participation(source)
    _write(out / "participation.csv", PARTICIPATION_COLUMNS, participation)
    summary = _read(source / "summary_2020.csv")
    projects = build_projects(source, summary, campaign_text)
    _write(out / "projects.csv", PROJECTS_COLUMNS, projects)
    totals = build_totals(source)
    _write(out / "membership_totals.csv", TOTALS_COLUMNS, totals)
    _write(out / "summary_2020.csv", SUMMARY_COLUMNS, summary)
    return {"members": len(members), "membership_events": len(events), "participation": len(participation),
            "projects": len(projects), "membership_totals": len(totals), "summary_2020": len(summary)}


def build_participation(source: Path) -> tuple[list[dict], str]:
    """(the participation rows, the campaign's project string as the source writes it)."""
    participation: list[dict] = []
    seen: dict[tuple, dict] = {}
    campaign_text = ""
    for line, r in enumerate(_read(source / "participation.csv"), start=2):
        pid_raw = r["project_id"].strip()
        pid = re.match(r"[A-Za-z0-9_-]+", pid_raw).group(0)
        note = ""
        if pid != pid_raw:
            campaign_text = pid_raw
            note = f"source project_id: '{pid_raw}'"
        name, kind, name_note = split_jst(r["city"], r["role"])
        note = "; ".join(n for n in (note, name_note) if n)
        row = {"project_id": pid, "name": name, "voivodeship": r["voivodeship"], "jst_kind": kind, "teryt": "",
               **role_kind(r["role"], f"{source / 'participation.csv'} row {line}"),
               "role": r["role"], "year": years_stated(r["role"], pid_raw if pid != pid_raw else ""),
               "source": r["source"], "note": note}
        key = (pid, name, r["voivodeship"], kind)
        if key in seen:  # the same link reported by two sources: one row, both roles and both sources kept
            first = seen[key]
            first["role"] = f"{first['role']} | {row['role']}"
            first["source"] = f"{first['source']} | {row['source']}"
            first["year"] = first["year"] if first["year"] == row["year"] else ""
            first["note"] = "; ".join(n for n in (first["note"], "merged: two source rows report this link") if n)
            continue
        seen[key] = row
        participation.append(row)
    return participation, campaign_text


def build_projects(source: Path, summary: list[dict], campaign_text: str) -> list[dict]:
    projects = []
    for r in _read(source / "projects.csv"):
        label_pl, label_en = LABELS[r["id"]]
        projects.append({"id": r["id"], "kind": "project", "name_pl": r["name_pl"], "name_en": r["name_en"],
                         "label_pl": label_pl, "label_en": label_en, "years": r["years"], "funding": r["funding"],
                         "lead": r["lead"], "description": r["description_short"], "source": r["source"]})
    campaign_fig = next(s for s in summary if s["key"] == "campaign_cities")
    projects.append({
        "id": CAMPAIGN_ID, "kind": "campaign",
        "name_pl": "Kampania „Jedno dla wszystkich, wszystkie dla jednego”",
        "name_en": "Campaign 'One for all, all for one'",
        "label_pl": "Kampania „Jedno dla wszystkich”", "label_en": "'One for all' campaign",
        "years": "24 Feb – 10 Mar 2020", "funding": "", "lead": "Związek Miast Polskich",
        "description": (f"Members-only campaign of ZMP, {campaign_fig['value']} member cities "
                        f"(summary_2020.csv: campaign_cities). Source project string: '{campaign_text}'"),
        "source": ("https://rumia.eu/jedno-dla-wszystkich-wszystkie-dla-jednego-miasta-mowia-wspolnym-glosem ; "
                   + campaign_fig["source"]),
    })
    return projects


def build_totals(source: Path) -> list[dict]:
    return [{"year": r["year"], "as_of": TOTALS_AS_OF[(r["year"], r["members"])], "members": r["members"],
             "era": "interwar" if int(r["year"]) < 1990 else "post1990", "source": r["source"]}
            for r in _read(source / "membership_totals.csv")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=Path(os.environ.get("ATLAS_ZMP_SOURCE", DEFAULT_SOURCE)))
    ap.add_argument("--out", type=Path, default=HERE)
    a = ap.parse_args(argv)
    counts = build(a.source, a.out)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
