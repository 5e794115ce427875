"""dashboard.model.atlas: the shared contract (names, dtypes, order), the shipped data joined in full, markers from the
town gazetteer, and custom office files (XLSX) through build_atlas."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import shapely

from dashboard.model import atlas as at
from tests.conftest import shipped_rows

README = Path(__file__).resolve().parent.parent / "data" / "README.md"


@pytest.fixture(scope="module")
def atlas():
    return at.get_atlas()


@pytest.fixture(scope="module")
def gminy_geo():
    import geodata

    return geodata.load("gminy")


def test_get_atlas_is_cached(atlas):
    assert at.get_atlas() is atlas
    assert {atlas: 1}[atlas] == 1      # hashable by identity: usable as a cache key


def test_contract_fields(atlas):
    assert [f for f in at.Atlas.__dataclass_fields__] == ["gminy", "entities", "participation", "projects", "totals",
                                                          "summary", "report", "membership"]
    need = {
        "gminy": ["terc", "name", "woj", "powiat", "voivodeship"],
        "entities": ["entity_id", "name", "kind", "teryt", "gmina_teryt", "voivodeship", "woj", "is_member",
                     "join_year", "lon", "lat", "point_source", "member_source"],
        "participation": ["project_id", "entity_id", "teryt", "role", "source"],
        "projects": ["id", "name_pl", "name_en", "label_pl", "label_en", "kind", "years", "funding", "lead",
                     "description", "source"],
        "totals": ["year", "members", "source", "era"],
        "summary": ["key", "value", "unit", "label_pl", "label_en", "source"],
    }
    for name, cols in need.items():
        frame = getattr(atlas, name)
        assert isinstance(frame, pd.DataFrame)
        assert frame.columns[: len(cols)].tolist() == cols or set(cols) <= set(frame.columns), name
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        atlas.gminy = None


def test_gminy_same_order_as_geodata(atlas, gminy_geo):
    g = atlas.gminy
    assert len(g) == 2477 and g["terc"].tolist() == gminy_geo["terc"].tolist()
    assert (g["woj"] == g["terc"].str[:2]).all() and (g["powiat"] == g["terc"].str[:4]).all()
    assert g.loc[g["terc"] == "0201011", "voivodeship"].item() == "dolnośląskie"
    assert g["voivodeship"].nunique() == 16 and (g["voivodeship"] == g["voivodeship"].str.lower()).all()


def test_entity_types(atlas):
    e = atlas.entities
    assert e["entity_id"].is_unique and (e["entity_id"] == e["teryt"]).all()
    assert set(e["kind"]) == {"gmina", "powiat"}
    gm, pw = e[e["kind"] == "gmina"], e[e["kind"] == "powiat"]
    assert gm["teryt"].str.fullmatch(r"\d{7}").all() and (gm["gmina_teryt"] == gm["teryt"]).all()
    assert pw["teryt"].str.fullmatch(r"\d{4}").all() and pw["gmina_teryt"].map(lambda v: v is None).all()
    assert str(e["join_year"].dtype) == "Int64" and e["is_member"].dtype == bool
    assert e["lon"].dtype == float and e["lat"].dtype == float
    assert set(e["point_source"]) <= {"gazetteer", "polygon"}
    assert (e["woj"] == e["teryt"].str[:2]).all()


def test_shipped_members_all_placed(atlas):
    e = atlas.entities
    members = shipped_rows("members.csv")
    listed = {(m["name"], m["voivodeship"]) for m in members}
    events_only = {(r["name"], r["voivodeship"]) for r in shipped_rows("membership_events.csv")} - listed
    assert events_only == {("Szczecin", "zachodniopomorskie")}   # it left in 2016: in the events only
    # every member row of data/members.csv, and the cities known from dated events alone
    assert e["is_member"].sum() == len(members) + len(events_only)
    assert e.loc[e["teryt"] == "0201011", "is_member"].item()
    assert e.loc[e["teryt"] == "1261011", "join_year"].item() == 1990            # Kraków
    assert e["join_year"].notna().sum() == sum(bool(m["join_year"]) for m in members)   # gaps stay gaps
    assert atlas.gminy["is_member"].sum() == len(members) + len(events_only)


def test_participants_that_are_not_towns(atlas):
    e = atlas.entities.set_index("teryt")
    assert e.loc["1211", "kind"] == "powiat" and e.loc["1211", "projects"] == ("P3",)     # powiat nowotarski
    assert e.loc["1601", "kind"] == "powiat"                                              # powiat brzeski
    assert e.loc["3019", "kind"] == "powiat"                                              # powiat pilski
    assert e.loc["2801032", "jst_kind"] == "gmina" and not e.loc["2801032", "is_member"]  # Bartoszyce (gmina)
    assert e.loc["2801032", "name"] == "Bartoszyce (gmina wiejska)"   # never two 'Bartoszyce' in the UI
    assert e.loc["1016102", "name"] == "Ujazd"                          # the only gmina of that name
    assert e.loc["0606052", "projects"] == ("P9",)                                        # Krasnystaw (g. wiejska)


def test_participation_links(atlas):
    p, e = atlas.participation, atlas.entities
    assert set(p["entity_id"]) <= set(e["entity_id"])
    assert set(p["project_id"]) <= set(atlas.projects["id"])
    assert not p.duplicated(["project_id", "entity_id"]).any()
    assert len(p) == len(shipped_rows("participation.csv"))
    assert p["source"].str.len().gt(0).all()
    campaign = p[p["project_id"] == "CAMPAIGN-2020"]
    assert len(campaign) == sum(r["project_id"] == "CAMPAIGN-2020" for r in shipped_rows("participation.csv"))
    # a city's projects are the rows that count as taking part; the others (expert visits, ...) stay in the links
    assert (~p["counts"]).sum() == sum(r["counts_as_participation"] == "no" for r in shipped_rows("participation.csv"))
    counted = p[p["counts"]].groupby("entity_id").size().reindex(e["entity_id"], fill_value=0)
    assert (e["n_projects"].to_numpy() == counted.to_numpy()).all()
    katowice = e.set_index("entity_id").loc["2469011"]
    assert katowice["projects"] == tuple(p.loc[(p["entity_id"] == "2469011") & p["counts"], "project_id"])


def test_projects_and_campaign(atlas):
    pr = atlas.projects.set_index("id")
    assert list(pr.index) == [f"P{i}" for i in range(1, 10)] + ["CAMPAIGN-2020"]
    assert pr.loc["CAMPAIGN-2020", "kind"] == "campaign" and (pr["kind"] == "project").sum() == 9
    assert pr.loc["P2", "label_pl"] == "Monitoring usług publicznych"
    assert pr["source"].str.len().gt(0).all() and pr["label_en"].str.len().gt(0).all()
    assert "170" in pr.loc["CAMPAIGN-2020", "description"]


def test_totals_and_summary(atlas):
    t = atlas.totals
    assert t["year"].dtype.kind == "i" and t["members"].dtype.kind == "i"
    assert t.loc[t["era"] == "interwar", "year"].max() < 1990 <= t.loc[t["era"] == "post1990", "year"].min()
    assert t["source"].str.len().gt(0).all() and t["year"].is_monotonic_increasing
    s = atlas.summary.set_index("key")
    assert s.loc["members", "value"] == 333 and s.loc["campaign_cities", "value"] == 170


def test_markers_use_the_town_gazetteer(atlas, gminy_geo):
    import geodata

    towns = geodata.load("towns").set_index("teryt_gmina_2020")
    e = atlas.entities.set_index("teryt")
    b = e.loc["0201011"]
    pt = towns.loc["0201011", "geometry"]
    assert b["point_source"] == "gazetteer" and (b["lon"], b["lat"]) == (pt.x, pt.y)
    # the marker of a town is not the centroid of its gmina
    poly = gminy_geo.set_index("terc").loc["0201011", "geometry"]
    assert (b["lon"], b["lat"]) != (poly.centroid.x, poly.centroid.y)
    # every marker lies inside its own gmina (or powiat) polygon
    polys = gminy_geo.set_index("terc")["geometry"]
    for teryt, row in e[e["kind"] == "gmina"].iterrows():
        assert shapely.contains_xy(polys[teryt], row["lon"], row["lat"]) or \
            shapely.distance(polys[teryt], shapely.Point(row["lon"], row["lat"])) < 0.01, teryt
    assert (e.loc[e["kind"] == "powiat", "point_source"] == "polygon").all()


def test_report_covers_every_input_row(atlas):
    s = atlas.report.summary()
    assert s["total"] == sum(len(shipped_rows(f)) for f in ("members.csv", "participation.csv",
                                                            "membership_events.csv")) and s["matched"] + s["invalid"] + s["ambiguous"] + s["unmatched"] + \
        s["duplicate"] == s["total"]


def test_shipped_data_resolved_or_explained_in_readme(atlas):
    """Every shipped row that is not a plain match (needs attention, or matched through a fallback) is explained
    in data/README.md by '<table> row <n>'."""
    text = README.read_text(encoding="utf-8")
    for r in atlas.report.rows:
        if r.status != "matched" or r.method in ("name_fallback", "point"):
            assert re.search(rf"{r.table} row {r.row}\b", text), f"{r.table} row {r.row} ({r.name}) not explained"


def test_build_atlas_from_an_office_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Członkowie"
    ws.append(["Rejestr członków (wyciąg)"])
    ws.append(["Miasto", "Woj.", "Kod TERYT", "Rok przystąpienia", "Źródło"])
    ws.append(["Gorzów Wlkp.", "lubuskie", None, 2004.0, "uchwała"])
    ws.append(["Bolesławiec", "DOLNOŚLĄSKIE", 201011, None, "rejestr"])
    ws.append(["Nie Ma Takiego", "mazowieckie", None, None, "?"])
    ws.append(["Kraków", "małopolskie", None, "ok. 1990", "rejestr"])
    p = tmp_path / "rejestr.xlsx"
    wb.save(p)
    a = at.build_atlas(members=f"{p}#Członkowie")
    e = a.entities.set_index("teryt")
    assert e.loc["0861011", "join_year"] == 2004 and e.loc["0861011", "name"] == "Gorzów Wlkp."
    assert e.loc["0201011", "member_source"] == "rejestr"
    assert pd.isna(e.loc["1261011", "join_year"])          # bad year left empty, the city still placed
    assert e["is_member"].sum() == 3
    st = {r.row: r.status for r in a.report.for_table("members")}
    assert st == {3: "matched", 4: "matched", 5: "unmatched", 6: "invalid"}
    assert len(a.participation) == len(shipped_rows("participation.csv"))   # shipped participation still used


# ------------------------------------------------------------------------------------------------ office files
def _office_folder(tmp_path):
    d = tmp_path / "biuro"
    d.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Miasto", "Województwo", "Rok przystąpienia"])
    ws.append(["Gorzów Wlkp.", "lubuskie", 2004])
    ws.append(["Nie Ma Takiego", "mazowieckie", None])
    wb.save(d / "Członkowie.xlsx")
    (d / "~$Członkowie.xlsx").write_bytes(b"lock")          # Excel's lock file beside an open workbook: ignored
    (d / "udzial.csv").write_bytes("Projekt;Miasto;Woj.\nP1;Żary;lubuskie\n".encode("cp1250"))
    return d


def test_data_files_from_the_environment(tmp_path):
    from dashboard.ingest.datafiles import data_files
    from dashboard.ingest.dataset import DataFileError

    d = _office_folder(tmp_path)
    files = data_files({"ATLAS_DATA_DIR": str(d)})
    assert files["members"].path.endswith("Członkowie.xlsx") and files["members"].origin == "ATLAS_DATA_DIR"
    assert files["participation"].path.endswith("udzial.csv")
    assert files["projects"].shipped                                   # none in the folder: data/projects.csv
    one = data_files({"ATLAS_DATA_DIR": str(d), "ATLAS_MEMBERS": f"{d / 'Członkowie.xlsx'}#Sheet"})
    assert one["members"].origin == "ATLAS_MEMBERS"
    assert all(f.shipped for f in data_files({}).values())
    (d / "members.csv").write_text("Miasto\nKraków\n", encoding="utf-8")
    with pytest.raises(DataFileError) as e:
        data_files({"ATLAS_DATA_DIR": str(d)})
    assert "two files for members" in e.value.reason and "members.csv" in e.value.reason
    for env in ({"ATLAS_DATA_DIR": str(tmp_path / "nie-ma")}, {"ATLAS_PROJECTS": str(tmp_path / "p.xlsx")}):
        with pytest.raises(DataFileError) as e:
            data_files(env)
        assert next(iter(env)) in e.value.reason


def test_get_atlas_uses_the_configured_folder(tmp_path, monkeypatch):
    d = _office_folder(tmp_path)
    monkeypatch.setenv("ATLAS_DATA_DIR", str(d))
    at.get_atlas.cache_clear()
    try:
        a = at.get_atlas()
        assert a.entities["is_member"].sum() == 1 and a.report.origins["members"] == "ATLAS_DATA_DIR"
        assert {r.status for r in a.report.for_table("members")} == {"matched", "unmatched"}   # app still starts
        assert a.participation["project_id"].tolist() == ["P1"]
        (d / "udzial.csv").write_bytes(b"%PDF-1.4\n")
        at.get_atlas.cache_clear()
        with pytest.raises(at.DataFileError) as e:
            at.get_atlas()
        assert e.value.path.endswith("udzial.csv") and "PDF" in str(e.value) and "ATLAS_DATA_DIR" in str(e.value)
    finally:
        at.get_atlas.cache_clear()


def test_entity_names_without_footnotes_or_garbling(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes("Miasto;Województwo;TERYT\nNowy Sącz*;małopolskie;\nBoles?awiec;dolnośląskie;\n;;1261011\n"
                  .encode("cp1250"))
    e = at.build_atlas(members=p).entities.set_index("teryt")
    assert e.loc["1262011", "name"] == "Nowy Sącz" and e.loc["0201011", "name"] == "Bolesławiec"
    assert e.loc["1261011", "name"] == "Kraków"


def test_a_citys_projects_have_one_order_everywhere(atlas):
    """Atlas, query, table and details panel list a city's projects in the projects table's order (they were made
    twice, once sorted by id, and disagreed: 'P1, CAMPAIGN-2020' vs 'CAMPAIGN-2020, P1')."""
    from dashboard.model import query
    from dashboard.model.state import FilterState
    from dashboard.view.table import table_frame

    order = {pid: i for i, pid in enumerate(atlas.projects["id"])}
    ent = query.derived(atlas).entities
    assert [tuple(p) for p in ent["project_ids"]] == [tuple(p) for p in atlas.entities["projects"]]
    for ids in atlas.entities["projects"]:
        assert list(ids) == sorted(ids, key=order.__getitem__)
    mixed = ent[ent["project_ids"].map(lambda ids: len(ids) > 1 and list(ids) != sorted(ids))]
    assert len(mixed), "the shipped data has a city whose project order differs from the alphabetical one"
    city = mixed.iloc[0]
    labels = query.project_labels(atlas, "pl")
    rows = table_frame(atlas, FilterState()).set_index("teryt")
    assert rows.at[city["teryt"], "projects"] == "; ".join(labels[p] for p in city["project_ids"])
    if isinstance(city["gmina_teryt"], str):
        details = query.gmina_details(atlas, city["gmina_teryt"])
        shown = next(e for e in details["entities"] if e["teryt"] == city["teryt"])
        assert [p["id"] for p in shown["projects"]] == sorted({p["id"] for p in shown["projects"]},
                                                             key=order.__getitem__)


def test_check_data_and_the_atlas_read_and_join_alike(atlas):
    """check-data reuses the atlas's read-and-join step: the same report, all three files described in both."""
    from dashboard.model.check import check

    report = check()
    assert set(report.tables) == set(atlas.report.tables) == {"members", "participation", "projects", "events"}
    assert report.summary() == atlas.report.summary() and report.files == atlas.report.files
