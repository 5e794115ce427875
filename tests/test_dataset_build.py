"""data/build.py reproduces the shipped CSVs byte for byte from ../shared/zmp and loses no source row."""
from __future__ import annotations

import csv
import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ../shared/zmp beside the checkout; from a git worktree elsewhere, beside the geodata mirror (../shared/geodata)
SOURCE = next((p for p in (ROOT.parent / "shared" / "zmp",
                           Path(os.environ.get("ATLAS_GEODATA_MIRROR") or ROOT.parent / "shared" / "geodata").parent
                           / "zmp") if p.is_dir()), ROOT.parent / "shared" / "zmp")
FILES = ["members.csv", "membership_events.csv", "participation.csv", "projects.csv", "membership_totals.csv",
         "summary_2020.csv"]


@pytest.fixture(autouse=True)
def _sources():
    """No skip: without the compiled sources the shipped data cannot be checked, which is a failure to see."""
    assert SOURCE.is_dir(), f"{SOURCE} (the compiled sources, ../shared/zmp) is missing"


def _build_module():
    spec = importlib.util.spec_from_file_location("data_build", ROOT / "data" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_build_reproduces_the_shipped_files(tmp_path):
    _build_module().build(SOURCE, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name


def test_no_source_row_lost():
    members, src_members = _rows(ROOT / "data" / "members.csv"), _rows(SOURCE / "members.csv")
    assert [(m["name"], m["voivodeship"], m["join_year"], m["source"]) for m in members] == \
        [(m["name"], m["voivodeship"], m["join_year"], m["list_source"]) for m in src_members]
    part = _rows(ROOT / "data" / "participation.csv")
    src = _rows(SOURCE / "participation.csv")
    # every source row's source URL survives (the one merged pair keeps both)
    joined = " ".join(p["source"] for p in part)
    assert all(s["source"] in joined for s in src)
    assert len(part) == len(src) - 1 and sum("merged" in p["note"] for p in part) == 1
    assert all(p["project_id"] and p["name"] and p["source"] for p in part)
    campaign_src = {s["city"] for s in src if s["project_id"].startswith("CAMPAIGN-2020")}
    assert {p["name"] for p in part if p["project_id"] == "CAMPAIGN-2020"} == campaign_src
    projects = _rows(ROOT / "data" / "projects.csv")
    assert [p["id"] for p in projects] == [p["id"] for p in _rows(SOURCE / "projects.csv")] + ["CAMPAIGN-2020"]


def test_split_jst_names():
    b = _build_module()
    assert b.split_jst("Nowy Targ (powiat nowotarski)")[:2] == ("powiat nowotarski", "powiat")
    assert b.split_jst("Powiat Pilski")[:2] == ("powiat pilski", "powiat")
    assert b.split_jst("Krasnystaw (gmina wiejska)")[:2] == ("Krasnystaw", "gmina")
    assert b.split_jst("Tarnowo Podgórne", "finalist … – rural gmina")[:2] == ("Tarnowo Podgórne", "gmina")
    assert b.split_jst("Rumia", "campaign participant")[:2] == ("Rumia", "town")


def test_an_event_sourced_to_a_members_row_gets_that_rows_source(tmp_path):
    """Kraków's joining cited "members.csv row (Kraków BIP)": the card showed the file's name. The build writes the
    row's own source (the council's resolution, with its address); a pointer to no such row stops the build."""
    build = _build_module()
    events = {(e["name"], e["event"]): e for e in _rows(ROOT / "data" / "membership_events.csv")}
    assert "bip.krakow.pl" in events[("Kraków", "joined")]["source"]
    assert not [e for e in events.values() if "members.csv" in e["source"]]
    source = tmp_path / "zmp"
    source.mkdir()
    (source / "members.csv").write_bytes((SOURCE / "members.csv").read_bytes())
    (source / "membership_events.csv").write_text(
        "name,voivodeship,event,date,quote,source\nNowhere,małopolskie,joined,1990,x,members.csv row (BIP)\n",
        encoding="utf-8")
    with pytest.raises(build.SourceRowError, match=r"membership_events.csv row 2: .*Nowhere"):
        build.build_events(source, build.build_members(source))
