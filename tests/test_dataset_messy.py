"""Red-team inputs for dashboard.ingest.dataset: the files a Polish municipal office really produces (Excel 'Save as' in
every flavour, formulas, merged cells, hidden rows, sections per voivodeship, garbled encodings). Each case was a
crash, a misleading message, a silent drop or a silent guess before it was fixed."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from dashboard.ingest import dataset as ds
from dashboard.ingest.dataset import DataFileError


def csv_file(tmp_path, text, name="m.csv", encoding="utf-8", bom=b""):
    p = tmp_path / name
    p.write_bytes(bom + text.encode(encoding))
    return p


def problems(t):
    return [(p.row, p.column, p.value, p.message, p.blocking) for p in t.problems]


# ------------------------------------------------------------------------------------------------ CSV shapes
def test_unquoted_decimal_comma_in_a_comma_csv_is_reported_not_misread(tmp_path):
    p = csv_file(tmp_path, "Miasto,Województwo,Szerokość,Długość\nWarszawa,mazowieckie,52,2297,21,0122\n"
                           "Kraków,małopolskie,\"50,0614\",\"19,9368\"\n")
    t = ds.read_members(p)
    (prob,) = t.problems
    assert prob.row == 2 and prob.blocking
    assert "6 cells" in prob.message and "header has 4" in prob.message and "decimal comma" in prob.message
    assert t.frame["lat"].iloc[1] == pytest.approx(50.0614)


def test_swapped_coordinates_do_not_block_a_row_identified_by_name(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;lon;lat\nŁódź;51,76;19,45\n"))
    (prob,) = t.problems
    assert "swapped" in prob.message and not prob.blocking
    assert t.frame["lon"].isna().all()


@pytest.mark.parametrize("raw,value", [("52°13'47\"N", 52.229722), ("52° 13′ 47″", 52.229722),
                                       ("21°0'44\"E", 21.012222), ("52°13,5'", 52.225), ("52,2297", 52.2297),
                                       ("52.2297°", 52.2297)])
def test_degrees_minutes_seconds(raw, value):
    got, err = ds.parse_coordinate(raw)
    assert err is None and got == pytest.approx(value, abs=1e-5)


def test_one_coordinates_column_lat_lon_pair(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Współrzędne\nWarszawa;52.2297, 21.0122\nSopot;\n"
                                           "Kraków;19.9368 50.0614\nX;abc\n"))
    assert t.frame["lat"].iloc[0] == pytest.approx(52.2297) and t.frame["lon"].iloc[0] == pytest.approx(21.0122)
    assert t.frame["lat"].iloc[2] == pytest.approx(50.0614)    # order told by the ranges: Poland's lat ∉ lon range
    assert [(p.row, p.column) for p in t.problems] == [(5, "Współrzędne")]


# ------------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("raw,code", [("kuj.-pom.", "04"), ("warm.-maz.", "28"), ("zach.-pom.", "32"),
                                      ("Mazowsze", "14"), ("Dolny Śląsk", "02"), ("02 DOLNOŚLĄSKIE", "02"),
                                      ("02 - dolnośląskie", "02"), ("woj. śl.", "24"), ("świętokrz.", "26"),
                                      ("Wielkopolska", "30"), ("Warmia i Mazury", "28"), ("24.0", "24")])
def test_voivodeship_abbreviations_and_colloquial_names(raw, code):
    assert ds.voivodeship_code(raw) == code


@pytest.mark.parametrize("raw", ["lub.", "02 lubuskie", "pom"])   # two voivodeships fit / code and name disagree
def test_voivodeship_that_fits_two_is_not_guessed(raw):
    assert ds.voivodeship_code(raw) is None


def test_excel_text_formula_wrapper_around_teryt():
    assert ds.parse_teryt('="2661011"') == (("2661011",), None)


def test_scientific_notation_that_lost_digits_says_so():
    codes, err = ds.parse_teryt("1,46E+06")
    assert codes == () and "scientific notation" in err


def test_excel_error_values_are_named(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Województwo;TERYT\nTarnów;małopolskie;#N/D!\n#ADR!;;\n"))
    msgs = {(p.row, p.column): p.message for p in t.problems}
    assert "Excel error" in msgs[(2, "TERYT")] and "Excel error" in msgs[(3, "Miasto")]


def test_year_that_is_an_excel_date_serial(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Rok przystąpienia\nOpole;43721\n"))
    (prob,) = t.problems
    assert "2019-09-13" in prob.message and not prob.blocking


# ------------------------------------------------------------------------------------------------ not tables
@pytest.mark.parametrize("content,needle", [
    ("\ufeff<!DOCTYPE html><html><body><p>Brak danych</p></body></html>".encode(), "HTML"),
    (b"<html><body><table></table></body></html>", "HTML"),
    (b"%PDF-1.7\n%\xe2\xe3\n", "PDF"),
    (b"\xef\xbb\xbf", "empty"),
    (b"\xef\xbb\xbf \r\n\r\n", "empty"),
])
def test_renamed_or_empty_files(tmp_path, content, needle):
    p = tmp_path / "rejestr.xlsx"
    p.write_bytes(content)
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert needle in e.value.reason and "#<sheet" not in e.value.fix


@pytest.mark.parametrize("part,needle", [("word/document.xml", "Word"), ("xl/workbook.bin", ".xlsb")])
def test_other_office_zips(tmp_path, part, needle):
    p = tmp_path / "r.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr(part, "x")
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert needle in e.value.reason


def test_a_file_without_a_header_row_says_so(tmp_path):
    with pytest.raises(DataFileError) as e:
        ds.read_members(csv_file(tmp_path, "Bolesławiec;dolnośląskie\nKraków;małopolskie\n"))
    assert "looks like data" in e.value.reason and "header row" in e.value.fix
    with pytest.raises(DataFileError) as e:
        ds.read_members(csv_file(tmp_path, "Bolesławiec\nKraków\nŁódź\n", name="n.csv"))
    assert "header row" in e.value.fix


# ------------------------------------------------------------------------------------------------ encodings
def test_mojibake_is_repaired_with_a_note(tmp_path):
    text = "Miasto;Województwo\nBolesławiec;dolnośląskie\nŁódź;łódzkie\n"
    garbled = text.encode().decode("cp1250", "replace")
    t = ds.read_members(csv_file(tmp_path, garbled))
    assert t.frame["name"].tolist() == ["Bolesławiec", "Łódź"] and t.frame["woj"].tolist() == ["02", "10"]
    (note,) = t.problems
    assert note.row is None and "garbled" in note.message and not note.blocking


def test_letters_lost_to_question_marks_are_reported(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Województwo\nBoles?awiec;dolno?l?skie\nKraków;małopolskie\n",
                                 encoding="cp1250"))
    file_notes = [p for p in t.problems if p.row is None]
    assert len(file_notes) == 1 and "'?'" in file_notes[0].message and "UTF-8" in file_notes[0].fix
    assert t.frame["woj"].iloc[0] == "02"     # 'dolno?l?skie' fits one voivodeship only


# ------------------------------------------------------------------------------------------------ sections
@pytest.mark.parametrize("text", [
    "Lp.;Miasto;Rok\nDOLNOŚLĄSKIE;;\n1;Bolesławiec;1991\n2;Bielawa;\nLUBUSKIE;;\n3;Żary;\n",
    "Miasto;Rok\nwoj. dolnośląskie;\nBolesławiec;1991\nBielawa;\nwoj. lubuskie;\nŻary;\n",
])
def test_voivodeship_section_rows_apply_to_the_rows_below(tmp_path, text):
    t = ds.read_members(csv_file(tmp_path, text))
    assert t.frame["name"].tolist() == ["Bolesławiec", "Bielawa", "Żary"]
    assert t.frame["woj"].tolist() == ["02", "02", "08"]
    notes = [p for p in t.problems if "section" in p.message]
    assert [p.row for p in notes] == [2, 5] and not any(p.blocking for p in notes)


def test_section_does_not_override_a_written_voivodeship(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Woj.\nDOLNOŚLĄSKIE;\nBolesławiec;\nŻary;lubuskie\n"))
    assert t.frame["woj"].tolist() == ["02", "08"]


# ------------------------------------------------------------------------------------------------ XLSX
@pytest.fixture
def messy_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Instrukcja"
    info.append(["nie ruszać"])
    info.sheet_state = "hidden"
    ws = wb.create_sheet("Rejestr")
    ws.append(["Rejestr członków ZMP"])
    ws.merge_cells("A1:F1")
    ws.append([None, "Miasto", None, "Województwo", "TERYT", "Rok przystąpienia"])
    ws.append([None, "Bolesławiec ", None, "dolnośląskie", None, 2019.0])       # row 3
    ws.append([None, "Bielawa\u00a0", None, None, None, None])                 # row 4: D3:D4 merged
    ws.append([None, '="Kra"&"ków"', None, "małopolskie", None, None])        # row 5: formula, no cached value
    ws.append([None, "Tarnów", None, "małopolskie", "=VLOOKUP(B6,X:Y,2,0)", None])   # row 6
    ws.append([None, "Bolesławiec", None, "dolnośląskie", 201011, None])       # row 7: format 0000000
    ws["E7"].number_format = "0000000"
    ws.append([None, "Legnica", None, "dolnośląskie", None, None, None, None, "uwaga"])   # row 8: hidden, I8
    ws.merge_cells("D3:D4")
    ws.row_dimensions[8].hidden = True
    ws.column_dimensions["E"].hidden = True
    p = tmp_path / "rejestr.xlsx"
    wb.save(p)
    return p


def test_xlsx_merged_cells_are_filled_and_noted(messy_xlsx):
    t = ds.read_members(messy_xlsx)
    assert t.frame.set_index("row").loc[4, "woj"] == "02"
    (merged,) = [p for p in t.problems if "merged" in p.message]
    assert merged.row == 3 and "D3:D4" in merged.message and merged.note and not merged.blocking


def test_xlsx_formulas_without_a_computed_value_are_reported(messy_xlsx):
    t = ds.read_members(messy_xlsx)
    by = {(p.row, p.column): p for p in t.problems}
    assert "formula" in by[(5, "Miasto")].message and "B5" in by[(5, "Miasto")].message
    assert "formula" in by[(6, "TERYT")].message and by[(6, "TERYT")].blocking
    assert "Excel" in by[(5, "Miasto")].fix


def test_xlsx_number_format_keeps_the_leading_zero(messy_xlsx):
    t = ds.read_members(messy_xlsx)
    assert t.frame.set_index("row").loc[7, "teryt_codes"] == ("0201011",)   # not also '201011' (podlaskie)


def test_xlsx_hidden_rows_and_values_without_header_are_noted(messy_xlsx):
    t = ds.read_members(messy_xlsx)
    assert 8 in t.frame["row"].tolist()                     # read like any other row (Excel's CSV keeps it too)
    notes = [p.message for p in t.problems if p.row == 8]
    assert any("hidden" in m for m in notes) and any("no header" in m and "I8" in m for m in notes)
    (col,) = [p for p in t.problems if "column is hidden" in p.message]
    assert (col.row, col.column, col.note) == (2, "TERYT", True)


def test_old_mac_line_endings_and_a_stray_nul(tmp_path):
    t = ds.read_members(csv_file(tmp_path, "Miasto;Województwo\rBolesławiec;dolnośląskie\rKraków;małopolskie\r"))
    assert t.frame["name"].tolist() == ["Bolesławiec", "Kraków"] and t.frame["row"].tolist() == [2, 3]
    p = tmp_path / "nul.csv"
    p.write_bytes("Miasto;Województwo\n".encode() + b"Krak\x00w;ma\n" * 3000)
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert "line 2" in e.value.reason


def test_projects_file_duplicate_and_empty_ids_and_names(tmp_path):
    t = ds.read_projects(csv_file(tmp_path, "ID;Nazwa\nP1;Pierwszy\nP1;Drugi\nP-3;Trzeci\n;Bez id\nP4;\n"))
    msgs = {p.row: (p.message, p.blocking) for p in t.problems}
    assert "duplicate" in msgs[3][0] and "row 2" in msgs[3][0] and msgs[3][1]
    assert "id is empty" in msgs[5][0] and "name is empty" in msgs[6][0]
    assert t.frame["id"].tolist() == ["P1", "P1", "P3", "", "P4"]
    assert ds.usable_projects(t)["id"].tolist() == ["P1", "P3", "P4"]      # what the atlas may show
    assert t.frame["label_pl"].iloc[4] == "P4"


@pytest.mark.parametrize("raw", ["2019.5", "2.019"])
def test_year_with_a_fraction_is_not_read_as_a_year(raw):
    y, err, _ = ds.parse_year(raw)
    assert y is None and err


@pytest.mark.parametrize("raw,pid", [("P-1", "P1"), ("p.2", "P2"), ("P 2", "P2"), ("p1", "P1")])
def test_project_id_spellings(tmp_path, raw, pid):
    t = ds.read_participation(csv_file(tmp_path, f"Projekt;Miasto\n{raw};Kielce\n"))
    assert t.frame["project_id"].tolist() == [pid]


def _ods(path, rows, hidden_row=None):
    """A minimal OpenDocument spreadsheet as LibreOffice writes it (typed cells, repeated empty cells/rows)."""
    def cell(v):
        if v is None:
            return '<table:table-cell/>'
        if isinstance(v, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                    f'<text:p>{v}</text:p></table:table-cell>')
        if isinstance(v, str) and v.startswith("date:"):
            return f'<table:table-cell office:value-type="date" office:date-value="{v[5:]}"/>'
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
    hide = ' table:visibility="collapse"'
    body = "".join(f'<table:table-row{hide if i == hidden_row else ""}>'
                   + "".join(cell(v) for v in r) + "</table:table-row>" for i, r in enumerate(rows, 1))
    body += '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               f'<table:table table:name="Arkusz1">{body}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
    return path


def test_ods_from_libreoffice(tmp_path):
    p = _ods(tmp_path / "rejestr.ods", [["Rejestr"], [], ["Miasto", "Województwo", "TERYT", "Rok przystąpienia"],
                                        ["Bolesławiec", "dolnośląskie", 201011, 2019],
                                        ["Łódź", "łódzkie", None, "date:2005-03-01T00:00:00"],
                                        ["Kraków", "małopolskie", "1261011", None]], hidden_row=6)
    t = ds.read_members(p)
    assert t.encoding == "ods" and t.header_row == 3 and t.frame["row"].tolist() == [4, 5, 6]
    assert t.frame["teryt_codes"].iloc[0] == ("201011", "0201011") and t.frame["join_year"].iloc[1] == 2005
    assert [p.row for p in t.problems if "hidden" in p.message] == [6]
    with pytest.raises(DataFileError) as e:
        ds.read_members(f"{p}#Nie ma")
    assert "Arkusz1" in e.value.reason


def test_huge_cell_and_a_long_title_block(tmp_path):
    with pytest.raises(DataFileError) as e:
        ds.read_members(csv_file(tmp_path, "Miasto;Uwagi\nKraków;" + "x" * 200_000 + "\n"))
    assert "field" in e.value.reason and "line" in e.value.reason
    t = ds.read_members(csv_file(tmp_path, "\n".join(["Rejestr;"] + ["uwagi;"] * 20 + ["Miasto;Woj.", "Kraków;12"]),
                                 name="t.csv"))
    assert t.header_row == 22 and t.frame["row"].tolist() == [23]


def test_an_unclosed_quote_is_reported(tmp_path):
    t = ds.read_members(csv_file(tmp_path, 'Miasto;Województwo\n"Kraków;małopolskie\nTarnów;małopolskie\n'))
    (prob,) = t.problems
    assert prob.row == 2 and prob.blocking and "quote" in prob.message


def test_invisible_characters_are_ignored():
    assert ds.fold("Rzesz\u00f3w\u00ad") == ds.fold("\u200bRzeszów\u200e") == "rzeszow"


def test_sheet_name_loosely_and_a_csv_of_separators_only(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Arkusz 1"
    wb.active.append(["Miasto"])
    wb.active.append(["Kraków"])
    p = tmp_path / "r.xlsx"
    wb.save(p)
    assert ds.read_members(f"{p}#arkusz1").frame["name"].tolist() == ["Kraków"]
    with pytest.raises(DataFileError) as e:
        ds.read_members(csv_file(tmp_path, ";;;\r\n;;;\r\n"))
    assert "empty" in e.value.reason and "xlsx" not in e.value.fix


def test_html_table_saved_as_xls_is_read(tmp_path):
    html = ('<html><head><meta charset="windows-1250"></head><body><h1>Rejestr</h1><table border=1>'
            '<tr><th colspan="2">Rejestr członków</th></tr>'
            '<tr><th>Lp.</th><th>Miasto</th><th>Województwo</th><th>TERYT</th>'
            '<tr><td>1<td>Bolesławiec<td>dolnośląskie<td>0201011'
            '<tr><td>2</td><td>Nowy&nbsp;Targ</td><td>ma&#322;opolskie</td><td></td></tr></table></body></html>')
    p = tmp_path / "eksport.xls"
    p.write_bytes(html.encode("cp1250"))
    t = ds.read_members(p)
    assert t.header_row == 2 and t.frame["name"].tolist() == ["Bolesławiec", "Nowy Targ"]
    assert t.frame["woj"].tolist() == ["02", "12"] and t.frame["teryt_codes"].iloc[0] == ("0201011",)
    assert any("HTML table" in p.message and p.note for p in t.problems)


def test_oversized_files_and_zip_bombs_are_refused(tmp_path, monkeypatch):
    from dashboard.ingest import tabular

    p = tmp_path / "r.xlsx"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * 2_000_000)
    monkeypatch.setattr(tabular, "MAX_UNZIPPED_BYTES", 1_000_000)
    with pytest.raises(DataFileError) as e:
        ds.read_members(p)
    assert "unpacks to more than" in e.value.reason
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DataFileError) as e:
        ds.read_members(csv_file(tmp_path, "Miasto\n" + "Kraków\n" * 500))
    assert "too large" in e.value.reason


def test_participation_grouped_by_project(tmp_path):
    t = ds.read_participation(csv_file(tmp_path, "Projekt;Miasto;Woj.\nP1;;\n;Żary;lubuskie\n;Kielce;26\n"
                                                 "P4;Radom;14\nP9;;\n"))
    assert t.frame["project_id"].tolist() == ["P1", "P1", "P4"] and t.frame["row"].tolist() == [3, 4, 5]
    by_row = {p.row: p for p in t.problems}
    assert "rows 3–4" in by_row[2].message and by_row[2].note
    assert "nothing below" in by_row[6].message and by_row[6].blocking     # a project with no participant


def test_zero_width_characters_are_read_as_excel_shows_them(tmp_path):
    """A zero-width space (or soft hyphen, BOM) inside a name shows as nothing in Excel: the name is read joined."""
    from dashboard.ingest import dataset

    f = tmp_path / "m.csv"
    f.write_text("Miasto;Województwo\nGdań\u200bsk;pomorskie\nKra\u00adków;małopolskie\nNowy\u00a0Sącz;małopolskie\n",
                 encoding="utf-8")
    assert list(dataset.read_members(f).frame["name"]) == ["Gdańsk", "Kraków", "Nowy Sącz"]
