"""Whatever the office types, reading and joining never crash: every row ends with a status and a reason."""
from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.ingest import dataset as ds
from dashboard.join import resolve as jn

_n = itertools.count()
PIECES = ["Bolesławiec", "Nowy Targ", "powiat", "gmina", "(", ")", "m. st.", "Wlkp.", "-", "–", ".", ",", ";", '"',
          "0201011", "201011", "20101", "1211", "02", "dolnośląskie", "WOJ.", "2019", "2019.0", "ok.", "?", " ", "\u00a0",
          "Łódź", "ąęśćżźńół", "#N/A", "1e5", "51,26", "15.56", "NaN", "None", "\t", "x" * 300,
          "DOLNOŚLĄSKIE", "woj. lubuskie", "#N/D!", '="0201011"', "Boles?awiec", "BolesĹ‚awiec", "\r", "\n",
          "52°13'47\"N", "kuj.-pom.", "Gmina ", "*", "1)", "\u00ad", "43721", "1,46E+06", "Razem"]
cell = st.lists(st.sampled_from(PIECES), max_size=4).map("".join) | st.text(max_size=12)
row = st.tuples(cell, cell, cell, cell, cell, cell)


@pytest.fixture(scope="module")
def gaz():
    return jn.get_gazetteer()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=8), encoding=st.sampled_from(["utf-8", "cp1250"]),
       sep=st.sampled_from([",", ";"]))
def test_never_crashes(tmp_path, gaz, rows, encoding, sep):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    w.writerow(["Miasto", "Województwo", "TERYT", "Rok przystąpienia", "lon", "lat"])
    w.writerows(rows)
    path = tmp_path / f"f{next(_n)}.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    try:
        table = ds.read_members(path)
    except ds.DataFileError as e:       # a clear refusal is fine
        assert e.reason and e.path == str(path)
        return
    report = jn.join(table, gaz=gaz)
    assert len(report.rows) == len(table.frame)
    for r in report.rows:
        assert r.status in jn.STATUSES and r.reason
        assert r.teryt is None or (r.teryt.isdigit() and len(r.teryt) in (4, 7))
    for p in table.problems:
        assert p.message and p.fix


typed = st.one_of(st.none(), st.integers(-10**8, 10**8), st.floats(allow_nan=True, allow_infinity=False, width=32),
                  st.booleans(), st.datetimes(min_value=__import__("datetime").datetime(1900, 1, 2)), cell)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(typed, typed, typed, typed, typed, typed), min_size=1, max_size=6))
def test_never_crashes_on_typed_xlsx_cells(tmp_path, gaz, rows):
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Miasto", "Woj.", "Kod TERYT", "Rok przyjęcia", "lon", "lat"])
    try:
        for r in rows:
            ws.append(list(r))
    except IllegalCharacterError:   # openpyxl itself refuses control characters; not our input
        return
    path = tmp_path / f"x{next(_n)}.xlsx"
    wb.save(path)
    try:
        table = ds.read_members(path)
    except ds.DataFileError as e:
        assert e.reason
        return
    report = jn.join(table, gaz=gaz)
    assert all(r.status in jn.STATUSES and r.reason for r in report.rows)
