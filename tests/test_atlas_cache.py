"""The atlas on disk for cold readers (dashboard.model.atlas_cache): every field of a built atlas read back the
same (frames with their dtypes and the Python types of their cells, the join report with its rows); the key
follows the data files, the boundaries and the code; a damaged folder is rebuilt; a field the format cannot carry
is never cached; a cold reader needs neither pandera, geopandas nor mapclassify."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.model import atlas_cache
from dashboard.model.atlas import Atlas

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built() -> Atlas:
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.fixture(scope="module")
def stored(built, tmp_path_factory) -> Atlas:
    folder = tmp_path_factory.mktemp("atlas") / "k"
    atlas_cache.write(built, folder)
    return atlas_cache.read(folder)


def _cells(series: pd.Series) -> list:
    """Each cell as (type, value), recursively, NaN comparable: a None that came back as NaN (or a tuple as a list,
    an int as a float) is a difference."""
    def typed(v):
        if isinstance(v, (tuple, list)):
            return type(v).__name__, tuple(typed(e) for e in v)
        if isinstance(v, float) and v != v:
            return "float", "nan"
        return type(v).__name__, "<NA>" if v is pd.NA else v

    return [typed(v) for v in series]


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Atlas)])
def test_every_field_of_the_atlas_reads_back_the_same(built, stored, field):
    """One case per field of Atlas as it is now: a field added later is compared too, and fails here until the
    cache carries it."""
    a, b = getattr(built, field), getattr(stored, field)
    assert type(a) is type(b)
    if isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns)
        assert a.dtypes.astype(str).to_dict() == b.dtypes.astype(str).to_dict()
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True)
        for column in a.columns:
            if pd.api.types.is_object_dtype(a[column].dtype):
                assert _cells(a[column]) == _cells(b[column]), column
        assert a.attrs == b.attrs
    else:
        assert a == b
        assert json.dumps(dataclasses.asdict(a), sort_keys=True) == json.dumps(dataclasses.asdict(b), sort_keys=True)


def test_the_fields_are_not_empty_and_differences_finds_none(built, stored):
    assert len(built.membership) and len(built.report.rows) and built.participation["counts"].dtype == bool
    assert {"role_label_pl", "role_label_en", "counts"} <= set(stored.participation.columns)
    assert {"evidence", "member_note"} <= set(stored.entities.columns)
    assert isinstance(stored.entities["projects"].iloc[0], tuple)
    assert stored.gminy["entity_id"].map(type).isin([str, type(None)]).all()
    assert type(stored.report.rows[0].candidates) is list
    assert atlas_cache.differences(built, stored) == []


def test_differences_sees_what_a_lax_comparison_would_not(built):
    ent = built.entities.copy()
    ent["projects"] = [list(p) for p in ent["projects"]]      # tuples -> lists: equal to pandas' eye
    report = dataclasses.replace(built.report, origins={**built.report.origins, "members": "elsewhere"})
    gminy = built.gminy.copy()
    gminy["entity_id"] = gminy["entity_id"].where(gminy["entity_id"].notna(), float("nan"))   # None -> NaN
    found = atlas_cache.differences(built, dataclasses.replace(built, entities=ent, report=report, gminy=gminy))
    assert [d.split(":")[0] for d in found] == ["gminy", "entities", "report"], found


def test_a_hand_made_atlas_reads_back_the_same(mini_atlas, tmp_path):
    """No report (None), an empty membership frame with its columns only, other dtypes than the built one's."""
    atlas_cache.write(mini_atlas, tmp_path / "k")
    back = atlas_cache.read(tmp_path / "k")
    assert back.report is None and back.membership.empty
    assert atlas_cache.differences(mini_atlas, back) == []


def test_object_cells_of_every_kind_read_back_the_same(built, tmp_path):
    odd = pd.DataFrame({
        "mixed": pd.Series([None, "a", 1, 2.5, float("nan"), True, ("x", ("y",)), ["z", None], pd.NA,
                            float("inf")], dtype=object),
        "n": range(10),
    }, index=pd.RangeIndex(10, 20))
    atlas = dataclasses.replace(built, totals=odd)
    atlas_cache.write(atlas, tmp_path / "k")
    back = atlas_cache.read(tmp_path / "k")
    assert _cells(back.totals["mixed"]) == _cells(odd["mixed"])
    assert atlas_cache.differences(atlas, back) == []


def test_what_the_format_cannot_carry_is_never_stored(built, tmp_path, monkeypatch, caplog):
    bad_cell = dataclasses.replace(built, totals=pd.DataFrame({"s": pd.Series([{1, 2}], dtype=object)}))
    with pytest.raises(atlas_cache.CacheError, match="totals.*set"):
        atlas_cache.write(bad_cell, tmp_path / "a")
    bad_report = dataclasses.replace(built, report=dataclasses.replace(built.report, files={"x": Path("p")}))
    with pytest.raises(atlas_cache.CacheError, match="report.*PosixPath"):
        atlas_cache.write(bad_report, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []   # nothing written, no temporary folder left

    import dashboard.model.atlas as atlas_module  # and the CLI's path: the built atlas, one warning, no folder

    monkeypatch.setattr(atlas_cache, "cache_root", lambda: tmp_path / "root")
    monkeypatch.setattr(atlas_module, "get_atlas", lambda: bad_cell)
    with caplog.at_level(logging.WARNING, logger=atlas_cache.__name__):
        assert atlas_cache.cached_atlas() is bad_cell
    assert "was not cached" in caplog.text
    assert not (tmp_path / "root").exists() or not list((tmp_path / "root").iterdir())


@pytest.mark.parametrize("damage", ["truncated parquet", "one byte changed", "report missing", "meta garbage",
                                    "meta of another format", "meta missing a field"])
def test_a_damaged_cache_is_rebuilt(built, tmp_path, monkeypatch, caplog, damage):
    monkeypatch.setattr(atlas_cache, "cache_root", lambda: tmp_path)
    first = atlas_cache.cached_atlas()
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert first is built   # built (get_atlas) and stored
    assert atlas_cache.differences(built, atlas_cache.cached_atlas()) == []   # now read from the folder
    meta = json.loads((folder / "meta.json").read_text())
    if damage == "truncated parquet":
        data = (folder / "entities.parquet").read_bytes()
        (folder / "entities.parquet").write_bytes(data[: len(data) // 2])
    elif damage == "one byte changed":
        data = bytearray((folder / "participation.parquet").read_bytes())
        data[len(data) // 2] ^= 0x01
        (folder / "participation.parquet").write_bytes(bytes(data))
    elif damage == "report missing":
        (folder / "report.json").unlink()
    elif damage == "meta garbage":
        (folder / "meta.json").write_text("{not json")
    elif damage == "meta of another format":
        (folder / "meta.json").write_text(json.dumps({**meta, "format": "0"}))
    else:
        del meta["fields"]["membership"]
        (folder / "meta.json").write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger=atlas_cache.__name__):
        again = atlas_cache.cached_atlas()
    assert "rebuilding the atlas" in caplog.text
    assert again is built   # rebuilt (get_atlas) ...
    assert atlas_cache.differences(built, atlas_cache.read(folder)) == []   # ... and stored again, intact


def test_a_cached_atlas_gives_the_same_press_figures(built, stored):
    from dashboard.export.press import ExportSpec, press_figure
    from dashboard.model.state import FilterState

    for state in (FilterState(), FilterState(projects=("P1", "P4"), metric="membership"),
                  FilterState(voivodeships=("14",), years=(1990, 2010)), FilterState(asof=2005, metric="membership"),
                  FilterState(evidence=("list", "stated", "role", "weak"), lang="en")):
        spec = ExportSpec(state=state, preset="a4", format="pdf")
        a = press_figure(built, spec, "file:///g.geojson", outline="file:///w.geojson", today=None)
        b = press_figure(stored, spec, "file:///g.geojson", outline="file:///w.geojson", today=None)
        assert a.figure.to_json() == b.figure.to_json()


def _copies(tmp_path: Path):
    from dashboard.ingest import datafiles

    real = datafiles.data_files()
    copies = {}
    for table, f in real.items():
        copy = tmp_path / "data" / Path(str(f.path)).name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(Path(str(f.path)).read_bytes())
        copies[table] = copy
    return {table: datafiles.DataFile(path=str(copies[table]), origin="ATLAS_DATA_DIR") for table in real}, copies


def test_the_key_follows_the_data_files_the_boundaries_and_the_code(tmp_path, monkeypatch):
    import geodata
    from dashboard.ingest import datafiles

    fake, copies = _copies(tmp_path)
    monkeypatch.setattr(datafiles, "data_files", lambda environ=None: fake)
    geo = tmp_path / "geodata"
    shutil.copytree(geodata.geodata_dir(), geo, ignore=shutil.ignore_patterns("web", "downloads", ".lock"))
    monkeypatch.setattr(geodata, "geodata_dir", lambda cache_dir=None: geo)
    repo = tmp_path / "repo"
    for item in atlas_cache.CODE:
        (shutil.copytree if (ROOT / item).is_dir() else shutil.copy)(ROOT / item, repo / item)
    monkeypatch.setattr(atlas_cache, "_REPO", repo)

    keys = [atlas_cache.cache_key()]
    assert atlas_cache.cache_key() == keys[0]   # stable

    def changed() -> bool:
        keys.append(atlas_cache.cache_key())
        return keys[-1] not in keys[:-1]

    events = copies["events"]
    events.write_bytes(events.read_bytes() + b"\n")
    assert changed(), "a data file's bytes"
    fake["members"] = datafiles.DataFile(path=fake["members"].path, origin="ATLAS_MEMBERS")
    assert changed(), "where a data file came from"
    manifest = json.loads((geo / "manifest.json").read_text())
    (geo / "manifest.json").write_text(json.dumps({**manifest, "prepared_at": "later"}))
    assert changed(), "the boundaries' manifest"
    os.utime(geo / "gminy.parquet", ns=(0, 0))
    assert changed(), "a boundary layer's file"
    for source in ("dashboard/model/membership.py", "dashboard/join/resolve.py", "dashboard/config.py",
                   "geodata/__init__.py"):
        (repo / source).write_text((repo / source).read_text() + "\n# changed\n")
        assert changed(), source


def test_the_shipped_totals_and_summary_are_in_the_key(tmp_path, monkeypatch):
    from dashboard.ingest import datafiles

    data = tmp_path / "data"
    shutil.copytree(datafiles.DATA_DIR, data)
    monkeypatch.setattr(datafiles, "DATA_DIR", data)
    before = atlas_cache.cache_key()
    (data / "summary_2020.csv").write_text((data / "summary_2020.csv").read_text() + "\n")
    assert atlas_cache.cache_key() != before


def test_a_cold_reader_needs_no_pandera_geopandas_or_mapclassify():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("from dashboard.model.atlas_cache import cached_atlas; import sys; a = cached_atlas(); "
            "import dashboard.export.cli, dashboard.export.press, dashboard.export.render, dashboard.view.figures; "
            "print(len(a.gminy), len(a.report.rows) > 0, "
            "*[m in sys.modules for m in ('pandera', 'geopandas', 'mapclassify')])")
    atlas_cache.cached_atlas()   # stored (built here when missing), so the reader below reads it cold
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["2477", "True", "False", "False", "False"], out
