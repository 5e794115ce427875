"""`python -m dashboard check-data`: exit codes 0/1/2, the human report and the JSON shape — run as the real CLI
on the shipped data and on messy office-like files (tests/fixtures/data/)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dashboard.__main__ import main as dashboard_main
from dashboard.model import check as check_data
from tests.conftest import shipped_rows

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "data"


def cli(*args):
    """The CLI in this process (`python -m dashboard check-data ...` through dashboard.__main__.main): its exit
    code, stdout and stderr as subprocess.run would give them. test_shipped_data_exit_0 runs the real process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = dashboard_main(["check-data", *args])
    return subprocess.CompletedProcess(["check-data", *args], code, out.getvalue(), err.getvalue())


def subprocess_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dashboard", "check-data", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120)


def test_shipped_data_exit_0():
    """The one run of the real process (the others call main() in this process)."""
    p = subprocess_cli()
    assert p.returncode == 0, p.stdout + p.stderr
    total = sum(len(shipped_rows(f)) for f in ("members.csv", "participation.csv", "membership_events.csv"))
    assert f"matched: {total}" in p.stdout and "OK: every row matched" in p.stdout


def test_messy_office_files_exit_1_and_json_shape():
    p = cli("--members", str(FIX / "members_cp1250_semicolon.csv"),
            "--participation", str(FIX / "participation_cp1250.csv"), "--json")
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= {"summary", "members", "participation"}
    s = out["summary"]
    assert {k: s[k] for k in ("matched", "ambiguous", "unmatched", "invalid", "duplicate")} == \
        {"matched": 10, "ambiguous": 2, "unmatched": 1, "invalid": 4, "duplicate": 2}
    rows = {r["row"]: r for r in out["members"]}
    for r in out["members"] + out["participation"]:
        assert set(r) >= {"row", "name", "voivodeship", "status", "teryt", "reason", "candidates"}
        assert r["status"] in ("matched", "ambiguous", "unmatched", "invalid", "duplicate") and r["reason"]
        assert r["teryt"] is None or (isinstance(r["teryt"], str) and len(r["teryt"]) in (4, 7))
    assert rows[4]["teryt"] == "0201011" and "lost its leading zero" in rows[4]["reason"]  # 201011 in the file
    assert (rows[4]["voivodeship"], rows[4]["woj"]) == ("DOLNOŚLĄSKIE", "02")     # as written + recognised code
    assert rows[14]["woj"] is None                                                 # 'Mordor'
    assert rows[5]["teryt"] == "0861011"                      # Gorzów Wlkp., woj. lubuskie, '2004 r.'
    assert rows[10]["status"] == "duplicate"
    assert rows[11]["status"] == "invalid" and rows[11]["problems"][0]["column"] == "Kod TERYT"
    assert rows[13]["status"] == "ambiguous" and {c["teryt"] for c in rows[13]["candidates"]} == {"0401092",
                                                                                                "3031072"}
    assert all(set(c) == {"teryt", "name", "kind", "voivodeship"} for c in rows[13]["candidates"])
    assert rows[12]["status"] == "unmatched" and rows[12]["suggestions"]
    part = {r["row"]: r for r in out["participation"]}
    assert part[2]["teryt"] == "1211" and part[2]["kind"] == "powiat"
    assert part[3]["teryt"] == "2801032" and part[4]["teryt"] == "0606052"
    assert part[5]["project_id"] == "P4"                      # given by the project's name


def test_human_report_lists_each_problem_row():
    p = cli("--members", str(FIX / "members_cp1250_semicolon.csv"))
    assert p.returncode == 1
    for needle in ("members row 11: 'Krakow'", "INVALID", "Fix:", "members row 13: 'Zakrzewo'", "AMBIGUOUS",
                   "candidates: Zakrzewo 0401092", "did you mean: Nowe Miasto", "empty rows skipped: 1",
                   "read as cp1250, separator ';', header in row 3", "Rok przystąpienia → join_year",
                   "ignored columns: Lp."):
        assert needle in p.stdout, needle


@pytest.mark.parametrize("fixture,needle", [
    ("not_a_table.csv", "not a table"), ("members_missing_column.csv", "required column missing"),
    ("members_bad_encoding.csv", "bad encoding"), ("no_such_file.csv", "file not found"),
])
def test_unreadable_file_exit_2_names_file_and_reason(fixture, needle):
    p = cli("--members", str(FIX / fixture))
    assert p.returncode == 2
    assert fixture in p.stderr and needle in p.stderr


def test_unreadable_file_json(capsys):
    assert check_data.main(["--members", str(FIX / "not_a_table.csv"), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["error"]["file"].endswith("not_a_table.csv") and "not a table" in out["error"]["reason"]


def test_clean_office_file_with_bom_exit_0(capsys):
    assert check_data.main(["--members", str(FIX / "members_utf8bom_ok.csv")]) == 0
    # 5 members + the shipped participation rows
    assert f"matched: {5 + len(shipped_rows('participation.csv'))}" in capsys.readouterr().out


def test_xlsx_participation_in_process(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Udział"
    ws.append(["ID projektu", "JST", "Województwo", "TERC"])
    ws.append(["P6", "Jasło", "podkarpackie", 1805011])
    ws.append(["P6", "Radom", None, None])
    ws.append([None, None, None, None])
    ws.append(["P9", "Powiat Pilski", "WIELKOPOLSKIE", None])
    p = tmp_path / "udzial.xlsx"
    wb.save(p)
    code = check_data.main(["--participation", f"{p}#Udział", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert [(r["row"], r["teryt"]) for r in out["participation"]] == [(2, "1805011"), (3, "1463011"), (5, "3019")]
    assert out["summary"]["skipped_empty_rows"] == 1


def test_dispatcher_export_and_unknown_command():
    p = subprocess.run([sys.executable, "-m", "dashboard", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_no_options_checks_what_the_app_uses(tmp_path, monkeypatch):
    d = tmp_path / "dane"
    d.mkdir()
    (d / "members.csv").write_text("Miasto;Województwo\nBolesławiec;dolnośląskie\nAtlantyda;\n", encoding="utf-8")
    monkeypatch.setenv("ATLAS_DATA_DIR", str(d))
    env_cli = cli
    p = env_cli("--json")
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["origins"]["members"] == "ATLAS_DATA_DIR"
    assert [r["status"] for r in out["members"]] == ["matched", "unmatched"]
    assert out["origins"]["participation"] == "data/" and len(out["participation"]) == len(shipped_rows("participation.csv"))
    p = env_cli("--members", str(FIX / "members_utf8bom_ok.csv"))     # the command line wins
    assert p.returncode == 0, p.stdout
    (d / "members.csv").write_bytes(b"")
    p = env_cli()
    assert p.returncode == 2 and "members.csv" in p.stderr and "empty" in p.stderr and "ATLAS_DATA_DIR" in p.stderr


def test_human_report_separates_notes_from_problems(tmp_path, capsys):
    p = tmp_path / "m.csv"
    p.write_text("Miasto;Rok\nDOLNOŚLĄSKIE;\nBolesławiec;1991\nRazem: 1;\n", encoding="utf-8")
    assert check_data.main(["--members", str(p)]) == 0          # notes alone do not need attention
    out = capsys.readouterr().out
    assert "Notes (" in out and "row 2" in out and "section heading" in out and "File problems" not in out


def test_the_report_says_when_a_teryt_was_repaired():
    """A TERYT stored as a number (201011) is read as 0201011: matched, and the text report says so and how to fix
    the file, not only the JSON."""
    p = cli("--members", str(FIX / "members_cp1250_semicolon.csv"))
    note = next(line for line in p.stdout.splitlines() if "lost its leading zero" in line)
    assert "members row 4" in note and "0201011" in note and "store TERYT as text" in note


def test_a_workbook_whose_first_sheet_is_not_the_register_names_its_other_sheets(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Instrukcja"
    book.active.append(["Wpisz miasta w arkuszu Dane."])
    data = book.create_sheet("Dane")
    data.append(["Miasto", "Województwo"])
    data.append(["Bolesławiec", "dolnośląskie"])
    path = tmp_path / "czlonkowie.xlsx"
    book.save(path)
    p = cli("--members", str(path))
    assert p.returncode == 2 and "czlonkowie.xlsx#<sheet>" in p.stderr + p.stdout and "Dane" in p.stderr + p.stdout
    assert cli("--members", f"{path}#Dane").returncode == 0
