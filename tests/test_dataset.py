"""dashboard.ingest.dataset reads the office's files as they are: encodings, separators, XLSX, PL/EN headers, junk rows,
numbers where text was meant — and names every problem (file, Excel row, column, value, what, how to fix)."""
from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from dashboard.ingest import dataset as ds
from dashboard.ingest.dataset import DataFileError

HEADER_PL = ["Miasto", "Województwo", "TERYT", "Rok przystąpienia"]
ROWS = [["Bolesławiec", "dolnośląskie", "0201011", "2019"],
        ["Nowy Targ", "małopolskie", "", ""],
        ["Łódź", "łódzkie", "", "1991"]]


def write_csv(path, rows, encoding="utf-8", sep=",", bom=False):
    text = "\r\n".join(sep.join(c if (sep not in c and '"' not in c) else '"' + c.replace('"', '""') + '"'
                                for c in r) for r in rows) + "\r\n"
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(path, rows, sheet="Arkusz1", extra_first_sheet=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_first_sheet:
        ws.title = extra_first_sheet
        ws.append(["to nie jest rejestr"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# ------------------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding,bom,sep", [("utf-8", False, ","), ("utf-8", True, ","), ("cp1250", False, ";"),
                                              ("utf-8", True, ";"), ("cp1250", False, ","), ("utf-8", False, "\t")])
def test_encodings_and_separators_give_the_same_rows(tmp_path, encoding, bom, sep):
    p = write_csv(tmp_path / "m.csv", [HEADER_PL, *ROWS], encoding=encoding, sep=sep, bom=bom)
    t = ds.read_members(p)
    assert list(t.frame["name"]) == ["Bolesławiec", "Nowy Targ", "Łódź"]
    assert list(t.frame["woj"]) == ["02", "12", "10"]
    assert list(t.frame["join_year"].astype("object").where(t.frame["join_year"].notna(), None)) == [2019, None, 1991]
    assert list(t.frame["row"]) == [2, 3, 4]
    assert t.delimiter == sep
    assert t.problems == []


def test_cp1250_is_detected_not_mangled(tmp_path):
    p = write_csv(tmp_path / "m.csv", [["Miasto", "Woj."], ["Żagań", "lubuskie"], ["Świdnica", "dolnośląskie"]],
                  encoding="cp1250", sep=";")
    t = ds.read_members(p)
    assert t.encoding == "cp1250"
    assert list(t.frame["name"]) == ["Żagań", "Świdnica"]


def test_bad_encoding_is_a_file_error(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes("Miasto;Woj.\n".encode() + b"Bad\x81\x83\x88\x90\x98\xc3;lubuskie\n")
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert "encoding" in e.value.reason and str(p) in str(e.value)


@pytest.mark.parametrize("content,needle", [
    (b"", "empty"), (b"%PDF-1.4\n...", "not a table"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    (b"PK\x03\x04garbage", "not a table"), (b"just one line of text\nand another\n", "not a table"),
    (b"PK\x03\x04" + b"\0" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "OpenDocument"),
    ("Nazwisko,Telefon\nKowalski,123\n".encode(), "required column missing"),
])
def test_unreadable_files_say_which_and_why(tmp_path, content, needle):
    p = tmp_path / "x.csv"
    p.write_bytes(content)
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert needle in str(e.value) and e.value.path == str(p)


def test_missing_required_column_lists_accepted_headers(tmp_path):
    p = write_csv(tmp_path / "p.csv", [["Miasto", "Rola"], ["Kraków", "partner"]])
    with pytest.raises(DataFileError) as e:
        ds.read_participation(p)
    assert "project_id" in e.value.reason and "projekt" in e.value.reason


# ------------------------------------------------------------------------------------------------ headers
@pytest.mark.parametrize("headers", [
    ["Miasto", "Województwo", "TERYT", "Rok przystąpienia"],
    ["  NAZWA ", "woj.", "Kod TERYT", "Rok przyjęcia"],
    ["JST", "WOJEWODZTWO", "TERC", "rok przystapienia"],
    ["Gmina", "Województwo", "Kod TERYT (7 cyfr)", "Członek od"],
    ["name", "voivodeship", "teryt", "join_year"],
    ["City", "Province", "TERYT code", "Member since"],
])
def test_header_aliases(tmp_path, headers):
    t = ds.read_members(write_csv(tmp_path / "m.csv", [headers, *ROWS]))
    assert set(t.columns_found) == {"name", "voivodeship", "teryt", "join_year"}
    assert t.frame["teryt"].iloc[0] == "0201011"


def test_coordinates_headers_and_decimal_comma(tmp_path):
    rows = [["Miasto", "Długość geograficzna", "Szerokość geograficzna"], ["Bolesławiec", "15,5647", "51,2631"]]
    t = ds.read_members(write_csv(tmp_path / "m.csv", rows, sep=";"))
    assert t.frame["lon"].iloc[0] == pytest.approx(15.5647) and t.frame["lat"].iloc[0] == pytest.approx(51.2631)


def test_swapped_coordinates_are_reported(tmp_path):
    rows = [["Miasto", "lon", "lat"], ["Bolesławiec", "51.2631", "15.5647"]]
    t = ds.read_members(write_csv(tmp_path / "m.csv", rows))
    (prob,) = t.problems
    assert prob.message.startswith("longitude and latitude look swapped") and prob.fix == "swap the two columns"


def test_junk_rows_above_header_keep_excel_row_numbers(tmp_path):
    rows = [["Rejestr członków ZMP – stan na 31.12.2020", "", "", ""], ["", "", "", ""], HEADER_PL, *ROWS]
    t = ds.read_members(write_csv(tmp_path / "m.csv", rows, sep=";", encoding="cp1250"))
    assert t.header_row == 3
    assert list(t.frame["row"]) == [4, 5, 6]


def test_empty_rows_are_skipped_and_counted(tmp_path):
    rows = [["Lp.", *HEADER_PL], ["1", *ROWS[0]], ["", "", "", "", ""], ["", " ", "", "", "  "], ["3", *ROWS[1]],
            ["4", "", "", "", ""]]   # a pre-numbered row with nothing else is empty too
    t = ds.read_members(write_csv(tmp_path / "m.csv", rows))
    assert list(t.frame["row"]) == [2, 5]
    assert t.skipped_empty_rows == [3, 4, 6]


def test_unknown_columns_are_ignored_and_listed(tmp_path):
    t = ds.read_members(write_csv(tmp_path / "m.csv", [["Miasto", "Telefon"], ["Kraków", "12 345"]]))
    assert t.ignored_columns == ["Telefon"]


def test_trailing_spaces_and_nbsp(tmp_path):
    t = ds.read_members(write_csv(tmp_path / "m.csv", [["Miasto ", "Woj."], ["Nowy\u00a0Targ  ", " małopolskie "]]))
    assert t.frame["name"].iloc[0] == "Nowy Targ" and t.frame["woj"].iloc[0] == "12"


# ------------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("raw,year", [("2019", 2019), ("2019.0", 2019), ("2019,0", 2019), ("2019 r.", 2019),
                                      ("2019r", 2019), ("rok 2019", 2019), ("2019-05-12", 2019),
                                      ("12.05.2019", 2019), ("", None), ("b.d.", None), ("?", None),
                                      ("brak", None), ("1991 (reaktywacja)", 1991), ("19 września 2019", 2019),
                                      ("uchwała z 27.11.1992", 1992)])
def test_years_parsed(raw, year):
    y, err, _ = ds.parse_year(raw)
    assert (y, err) == (year, None)


@pytest.mark.parametrize("raw,needle", [("2019-2020", "range"), ("2019–2021", "range"), ("ok. 1995", "approximate"),
                                        ("ca 1995", "approximate"), ("dawno", "not a year"), ("19", "not a year"),
                                        ("1995 lub 1996", "not a year"), ("przed 2000", "approximate")])
def test_bad_years_reported(raw, needle):
    y, err, _ = ds.parse_year(raw)
    assert y is None and needle in err


def test_year_out_of_range_is_reported_by_the_schema(tmp_path):
    rows = [HEADER_PL, ["Kraków", "małopolskie", "", "1890"], ["Kielce", "świętokrzyskie", "", "2999"]]
    t = ds.read_members(write_csv(tmp_path / "m.csv", rows))
    assert [(p.row, p.column, p.value) for p in t.problems] == [(2, "Rok przystąpienia", "1890"),
                                                                (3, "Rok przystąpienia", "2999")]
    assert all("1990" in p.message and p.fix for p in t.problems)
    assert t.frame["join_year"].isna().all()


@pytest.mark.parametrize("raw,codes", [
    ("0201011", ("0201011",)), ("201011", ("201011", "0201011")), ("201011.0", ("201011", "0201011")),
    ("020101", ("020101",)), ("20101", ("020101",)), ("1211011", ("1211011",)), ("02 01 01 1", ("0201011",)),
    ("020101_1", ("0201011",)), ("0201", ("0201",)), ("201", ("0201",)), ("2", ("02",)), ("2.01011E+05",
                                                                                           ("201011", "0201011")),
    ("146501", ("146501",)), ("3201011", ("3201011",)),
    ("245296", ("245296",)),     # the lost-zero reading 0245296 has no valid type digit: only WWPPGG remains
    ("０２０１０１１", ("0201011",)),  # full-width digits
])
def test_teryt_readings(raw, codes):
    assert ds.parse_teryt(raw) == (codes, None)


@pytest.mark.parametrize("raw", ["12610111", "abc", "0101011", "3301011", "0201017", "12-3a", "99", "1.5"])
def test_bad_teryt(raw):
    codes, err = ds.parse_teryt(raw)
    assert codes == () and err


@pytest.mark.parametrize("raw", ["dolnośląskie", "DOLNOŚLĄSKIE", "Dolnoslaskie", "dolnośląskie województwo",
                                 "woj. dolnośląskie", "Województwo Dolnośląskie", "02", "2", "2.0", "Lower Silesian",
                                 " dolnośląskie ", "woj.dolnośląskie"])
def test_voivodeship_spellings(raw):
    assert ds.voivodeship_code(raw) == "02"


@pytest.mark.parametrize("raw", ["Mordor", "03", "dolny śląsk x", "", "33"])
def test_unknown_voivodeship(raw):
    assert ds.voivodeship_code(raw) is None


def test_every_problem_names_file_row_column_value_and_fix(tmp_path):
    rows = [HEADER_PL, ["Kraków", "Mordor", "12610111", "ok. 1990"], ["", "mazowieckie", "", ""]]
    p = write_csv(tmp_path / "m.csv", rows)
    t = ds.read_members(p)
    got = {(pr.row, pr.column, pr.value) for pr in t.problems}
    assert got == {(2, "Województwo", "Mordor"), (2, "TERYT", "12610111"), (2, "Rok przystąpienia", "ok. 1990"),
                   (3, "Miasto", "")}
    for pr in t.problems:
        assert pr.file == str(p) and pr.message and pr.fix
        assert f"row {pr.row}" in str(pr) and "Fix:" in str(pr)


# ------------------------------------------------------------------------------------------------ XLSX
def test_xlsx_numbers_dates_and_named_sheet(tmp_path):
    rows = [["Rejestr", None, None, None], ["Miasto", "Woj.", "Kod TERYT", "Rok przystąpienia"],
            ["Bolesławiec", "dolnośląskie", 201011, 2019.0],          # numeric TERYT lost its zero; float year
            ["Kraków", "małopolskie", 1261011, dt.datetime(1990, 10, 17)],  # a real date
            [None, None, None, None],
            ["Kielce", 26, "2601011", dt.datetime(1905, 7, 11)]]        # 2019 typed into a date-formatted cell
    p = write_xlsx(tmp_path / "rejestr.xlsx", rows, sheet="Członkowie", extra_first_sheet="Info")
    t = ds.read_members(f"{p}#Członkowie")
    assert t.header_row == 2 and list(t.frame["row"]) == [3, 4, 6] and t.skipped_empty_rows == [5]
    assert t.frame["teryt_codes"].iloc[0] == ("201011", "0201011")
    assert t.frame["join_year"].iloc[0] == 2019 and t.frame["join_year"].iloc[1] == 1990
    assert t.frame["woj"].tolist() == ["02", "12", "26"]
    (prob,) = t.problems
    assert prob.row == 6 and "2019" in prob.message and "date" in prob.message
    assert ds.read_members(p, sheet="Członkowie").frame.shape == t.frame.shape


def test_xlsx_first_sheet_by_default_and_unknown_sheet(tmp_path):
    p = write_xlsx(tmp_path / "r.xlsx", [HEADER_PL, *ROWS])
    assert len(ds.read_members(p).frame) == 3
    with pytest.raises(DataFileError) as e:
        ds.read_members(f"{p}#Nie ma")
    assert "Arkusz1" in e.value.reason


def test_xlsx_saved_with_csv_extension_is_still_read(tmp_path):
    p = write_xlsx(tmp_path / "r.xlsx", [HEADER_PL, *ROWS])
    q = tmp_path / "r.csv"
    q.write_bytes(p.read_bytes())
    assert len(ds.read_members(q).frame) == 3


# ------------------------------------------------------------------------------------------------ other tables
def test_participation_project_ids_are_normalised(tmp_path):
    rows = [["Projekt", "Miasto", "Woj.", "Rola"],
            ["CAMPAIGN-2020 (Jedno dla wszystkich, wszystkie dla jednego; 170 member cities)", "Rumia", "pomorskie",
             "uczestnik"], [" p1 ", "Żary", "lubuskie", ""], ["Przestrzeń dla partycypacji", "Kielce", "", ""]]
    t = ds.read_participation(write_csv(tmp_path / "p.csv", rows))
    assert list(t.frame["project_id"]) == ["CAMPAIGN-2020", "P1", "Przestrzeń dla partycypacji"]


def test_shipped_tables_read_clean():
    for t in (ds.read_members(), ds.read_participation(), ds.read_projects()):
        assert t.problems == [], t.problems
    members = ds.read_members().frame
    with open(ds.DATA_DIR / "members.csv", encoding="utf-8", newline="") as fh:
        assert len(members) == sum(1 for _ in csv.DictReader(fh))
    assert set(members["evidence"]) == {"list", "stated", "role", "weak"}
    proj = ds.read_projects().frame
    assert set(proj["kind"]) == {"project", "campaign"} and (proj["kind"] == "project").sum() == 9
    assert proj["label_pl"].str.len().max() < 60 and proj["label_en"].ne("").all()
    tot = ds.read_totals()
    assert set(tot["era"]) == {"interwar", "post1990"} and tot["members"].dtype.kind == "i"


def test_excel_sep_line_totals_row_and_header_only(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("sep=,\nMiasto,Woj.,Uwagi\nKraków,małopolskie,a;b;c\nRazem:,1,\n", encoding="utf-8")
    t = ds.read_members(p)   # the hint line wins over sniffing (';' is more frequent here); Excel hides it
    assert t.delimiter == "," and t.header_row == 1 and list(t.frame["name"]) == ["Kraków"]
    (note,) = t.problems
    assert note.row == 3 and "totals" in note.message and not note.blocking
    q = tmp_path / "h.csv"
    q.write_text("Miasto,Woj.\n", encoding="utf-8")
    (prob,) = ds.read_members(q).problems
    assert "no data rows" in prob.message and prob.blocking


def test_mixed_encodings_are_refused(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes("Miasto;Woj.\nBolesławiec;dolnośląskie\nŁódź;łódzkie\n".encode() + "Żagań;lubuskie\n".encode("cp1250"))
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert "mixed" in e.value.reason and "line 4" in e.value.reason
    # too few Polish letters to tell which encoding is the odd one: still the line, and what probably happened
    p.write_bytes("name;voivodeship\nŁódź;łódzkie\n".encode() + "Świdnica;dolnośląskie\n".encode("cp1250"))
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert "line 3" in e.value.reason and "mixed" in e.value.reason and "offset" not in e.value.reason


def test_iso_8859_2_is_read(tmp_path):
    p = write_csv(tmp_path / "m.csv", [["Miasto", "Woj."], ["Świętochłowice", "śląskie"], ["Łódź", "łódzkie"]],
                  encoding="iso8859_2", sep=";")
    t = ds.read_members(p)
    assert list(t.frame["name"]) == ["Świętochłowice", "Łódź"] and t.encoding == "iso8859_2"


def test_utf16_excel_unicode_text(tmp_path):
    p = tmp_path / "m.txt"
    p.write_bytes("Miasto\tWojewództwo\r\nŻagań\tlubuskie\r\n".encode("utf-16"))
    t = ds.read_members(p)
    assert t.frame["name"].tolist() == ["Żagań"] and t.frame["woj"].tolist() == ["08"]


def test_several_projects_in_one_cell(tmp_path):
    t = ds.read_participation(write_csv(tmp_path / "p.csv", [["Projekt", "Miasto"], ["P1, P4", "Kielce"],
                                                             ["P1 i P4", "Radom"]]))
    assert [p.message for p in t.problems] == ["several projects in one cell"] * 2


def test_xlsx_hidden_first_sheet_and_empty_sheet(tmp_path):
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "Ukryty"
    hidden.append(["Nazwisko"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("Rejestr")
    for r in [HEADER_PL, *ROWS]:
        ws.append(r)
    wb.create_sheet("Pusty")
    p = tmp_path / "r.xlsx"
    wb.save(p)
    assert len(ds.read_members(p).frame) == 3
    with pytest.raises(DataFileError) as e:
        ds.read_members(f"{p}#Pusty")
    assert "empty" in e.value.reason


def test_missing_column_names_only_what_is_missing(tmp_path):
    with pytest.raises(DataFileError) as e:
        ds.read_participation(write_csv(tmp_path / "p.csv", [["Miasto", "Woj."], ["Kraków", "12"]]))
    assert "'project_id'" in e.value.reason and "'name'" not in e.value.reason


def test_repeated_header_row_is_skipped_with_a_note(tmp_path):
    t = ds.read_members(write_csv(tmp_path / "m.csv", [HEADER_PL, ROWS[0], HEADER_PL, ROWS[1]]))
    assert list(t.frame["row"]) == [2, 4]
    (note,) = t.problems
    assert note.row == 3 and "header repeated" in note.message and not note.blocking


def test_separator_sniffing_on_a_tiny_ambiguous_file(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("Miasto,Uwagi;x\nKraków,a;b\n", encoding="utf-8")   # ';' and ',' both give 2 fields per line
    assert ds._sniff_delimiter(p.read_text()) == ";"                   # the tie goes to ';' ...
    t = ds.read_members(p)                                              # ... but only ',' gives a known header
    assert t.delimiter == "," and t.frame["name"].tolist() == ["Kraków"]


def test_projects_file_in_polish(tmp_path):
    rows = [["ID", "Nazwa projektu", "Rodzaj", "Etykieta"], ["p1", "Projekt pierwszy", "projekt", "Pierwszy"],
            ["P 2", "Drugi", "Kampania", ""], ["P3", "Trzeci", "inna", ""]]
    t = ds.read_projects(write_csv(tmp_path / "pr.csv", rows, sep=";"))
    assert t.frame["id"].tolist() == ["P1", "P2", "P3"]
    assert t.frame["kind"].tolist() == ["project", "campaign", "inna"]
    assert t.frame["label_pl"].tolist() == ["Pierwszy", "Drugi", "Trzeci"]     # label defaults to the name
    (prob,) = t.problems
    assert (prob.row, prob.column, prob.value) == (4, "Rodzaj", "inna")
