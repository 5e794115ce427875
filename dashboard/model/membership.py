"""Who was a member when: a city's membership read from its dated joins and departures and from the dated
sources that list it (data/README.md, "membership_events.csv"). Pure functions over atlas.membership.

For a day D each city with any membership record is exactly one of
    member          a dated join on or before D and no later departure before D;
    member_undated  listed by a source with no dated event deciding D (a member at some date, status at D unknown):
                    no dated event at all, or the first dated event after D is a departure, or a listing falls
                    between its last departure and D (it rejoined at an unknown date);
    not_member      its first dated event after D is a join, or its last event before D is a departure.
Cities that were never members (project participants only) have no status (''). Nothing else is inferred.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from dashboard.ingest.values import collation_key

STATUSES = ("member", "member_undated", "not_member")
FIRST_YEAR = 1990   # ZMP was re-established in 1990/91: the "as of" control starts there


@dataclass(frozen=True)
class Fact:
    event: str      # "joined" | "left" | "listed"
    date: str       # ISO 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; '' = a listing of unknown date


def year_end(year: int) -> str:
    return f"{int(year):04d}-12-31"


def _start(iso: str) -> str:
    """The first day a partial date can mean: '2004' -> '2004-01-01' (an event 'in 2004' is before 2004-12-31)."""
    return (iso + "-01-01")[:10] if len(iso) == 4 else (iso + "-01")[:10] if len(iso) == 7 else iso


def status_at(facts: Iterable[Fact], day: str) -> str:
    """The status (see the module doc) on `day` (ISO 'YYYY-MM-DD'); '' when there is no membership fact."""
    facts = list(facts)
    if not facts:
        return ""
    dated = sorted((f for f in facts if f.event in ("joined", "left")), key=lambda f: _start(f.date))
    before = [f for f in dated if _start(f.date) <= day]
    after = [f for f in dated if _start(f.date) > day]
    if before:
        last = before[-1]
        if last.event == "joined":
            return "member"
        relisted = any(f.event == "listed" and f.date and _start(last.date) < _start(f.date) <= day for f in facts)
        return "member_undated" if relisted else "not_member"
    if after:
        return "member_undated" if after[0].event == "left" else "not_member"
    return "member_undated"


def records(atlas) -> pd.DataFrame:
    """atlas.membership; for an atlas built without it (only members with join years), the same facts read from
    its entities: each member listed at an unknown date, joined in its join year when known."""
    m = getattr(atlas, "membership", None)
    if m is not None and len(m):
        return m
    ent = atlas.entities[atlas.entities["is_member"].astype(bool)]
    rows = [{"entity_id": e, "event": "listed", "date": "", "quote": "", "source": "", "origin": "members"}
            for e in ent["entity_id"]]
    rows += [{"entity_id": e, "event": "joined", "date": str(int(y)), "quote": "", "source": "", "origin": "members"}
             for e, y in zip(ent["entity_id"], ent["join_year"]) if pd.notna(y)]
    return pd.DataFrame(rows, columns=["entity_id", "event", "date", "quote", "source", "origin"]).assign(open=False)


def facts_by_entity(membership: pd.DataFrame) -> dict[str, tuple[Fact, ...]]:
    out: dict[str, list[Fact]] = {}
    for eid, event, date in zip(membership["entity_id"], membership["event"], membership["date"]):
        out.setdefault(eid, []).append(Fact(event, date))
    return {eid: tuple(f) for eid, f in out.items()}


def statuses(atlas, year: int) -> pd.Series:
    """Every entity's status at the end of `year`, indexed by entity_id ('' for never-members)."""
    facts = facts_by_entity(records(atlas))
    day = year_end(year)
    return pd.Series({eid: status_at(facts.get(eid, ()), day) for eid in atlas.entities["entity_id"]},
                     dtype=object)


def last_year(atlas) -> int:
    """The newest year any source speaks of (dated facts, totals): the end of the "as of" range."""
    years = [int(d[:4]) for d in records(atlas)["date"] if d]
    years += [int(y) for y in atlas.totals["year"]] if len(atlas.totals) else []
    return max([FIRST_YEAR, *years])


def published_total(atlas, year: int) -> tuple[int, str] | None:
    """The union's own member count latest in `year` (post-1990 figures only) and its date, or None."""
    t = atlas.totals
    if not len(t):
        return None
    era = t["era"] if "era" in t else pd.Series(["post1990"] * len(t), index=t.index)
    rows = t[(t["year"] == int(year)) & (era == "post1990")]
    if not len(rows):
        return None
    as_of = rows["as_of"] if "as_of" in rows else rows["year"].astype(str)
    last = rows.assign(_k=[_start(str(a)) for a in as_of]).sort_values("_k", kind="stable").iloc[-1]
    return int(last["members"]), str(last.get("as_of", last["year"]))


def history(atlas, entity_id: str) -> list[dict]:
    """A city's dated facts, oldest first (listings of unknown date last), each with its quote and source."""
    m = records(atlas)
    rows = m[m["entity_id"] == entity_id].to_dict("records")
    # a register's join year that a dated event already tells (Wrocław: 2019 and 02.2019) is shown once
    event_years = {(r["event"], r["date"][:4]) for r in rows if r["origin"] == "events"}
    rows = [r for r in rows if r["origin"] == "events" or (r["event"], r["date"][:4]) not in event_years]
    return sorted(rows, key=lambda r: (r["date"] == "", _start(r["date"]), r["event"] != "joined"))


def _period_dates(facts: Iterable[Fact], day: str) -> tuple[str | None, str | None]:
    """(the latest join on or before `day`, the latest departure after it and on or before `day`)."""
    dated = sorted((f for f in facts if f.event in ("joined", "left") and _start(f.date) <= day),
                   key=lambda f: _start(f.date))
    joined = next((f.date for f in reversed(dated) if f.event == "joined"), None)
    left = next((f.date for f in reversed(dated) if f.event == "left"
                 and (joined is None or _start(f.date) > _start(joined))), None)
    return joined, left


def summary(atlas, year: int, evidence: Iterable[str] = ("list", "stated", "role", "weak")) -> dict:
    """Who was a member at the end of `year` (the press office's command): counts, the published total and
    every city with a membership record at the chosen evidence levels."""
    facts = facts_by_entity(records(atlas))
    day = year_end(year)
    wanted = set(evidence)
    counts = dict.fromkeys(STATUSES, 0)
    cities = []
    ent = atlas.entities
    evidence = ent["evidence"] if "evidence" in ent else pd.Series("list", index=ent.index)
    shown = ent[evidence.isin(wanted)].assign(evidence=evidence).sort_values(["voivodeship", "name"], kind="stable",
                                                                            key=lambda col: col.map(collation_key))
    for e in shown.itertuples():
        f = facts.get(e.entity_id, ())
        status = status_at(f, day)
        if not status:
            continue
        counts[status] += 1
        joined, left = _period_dates(f, day)
        cities.append({"name": e.name, "voivodeship": e.voivodeship, "teryt": e.teryt, "status": status,
                       "evidence": e.evidence, "joined": joined, "left": left})
    total = published_total(atlas, year)
    return {"as_of": day, "evidence": [lv for lv in ("list", "stated", "role", "weak") if lv in wanted],
            "counts": counts, "published_total": total[0] if total else None,
            "published_total_as_of": total[1] if total else None, "cities": cities}


def valid_year(text: str, atlas) -> int:
    """A year of the "as of" range from user text; ValueError saying the range otherwise."""
    lo, hi = FIRST_YEAR, last_year(atlas)
    try:
        year = int(str(text).strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a year: give a year from {lo} to {hi}") from None
    if not lo <= year <= hi:
        raise ValueError(f"{year} is outside the data: give a year from {lo} to {hi} (the newest source is from "
                         f"{hi}; ZMP was re-established in {lo})")
    return year


def data_date(atlas) -> str:
    """The date of the data shown: its newest dated fact — the "as of" of the union's latest published membership
    figure, or a later dated membership event (a member list of 2025 is newer than a total of 2024). ISO text
    ("2025-06-24", "2024-07", "2024"): later dates sort after earlier ones, a month or a year before its days."""
    dates: list[str] = []
    totals = getattr(atlas, "totals", None)
    if totals is not None and len(totals) and "year" in totals:
        latest = totals.sort_values("year").iloc[-1]
        as_of = latest.get("as_of") if hasattr(latest, "get") else None
        dates.append(str(as_of) if isinstance(as_of, str) and as_of.strip() else str(int(latest["year"])))
    events = getattr(atlas, "membership", None)
    if events is not None and "date" in events:
        dates += [d for d in events["date"].astype(str) if d[:4].isdigit()]
    return max(dates, default="–")
