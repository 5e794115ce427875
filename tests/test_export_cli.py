"""`python -m dashboard export`: bad arguments exit 2 with a message naming the problem; real runs write the
file and its alt text (single view and --all-projects)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from dashboard.export.cli import main, parse_voivodeships


@pytest.mark.parametrize("argv,needle", [
    ([], "--preset"),
    (["--preset", "a3", "--out", "x.pdf"], "invalid choice: 'a3'"),
    (["--preset", "a4", "--format", "jpg", "--out", "x.jpg"], "invalid choice: 'jpg'"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.png"], "suffix .png but --format is pdf"),
    (["--preset", "a4", "--out", "mapa"], "cannot tell the format"),
    (["--preset", "a4", "--format", "pdf"], "missing --out FILE"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--years", "2020-1990"], "FROM (2020) is after TO"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--years", "dawno"], "not a range like 1990-2020"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--years", "1066-1990"], "within 1900-2100"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--years", "1980-1985"], "no member joined in these"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--town", "9901011"], "no gmina has this TERYT"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--project", "P99"], "P99: no such project"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--voivodeship", "bawaria"], "is not a województwo"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--lang", "de"], "invalid choice: 'de'"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--title", "   "], "--title is empty"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--title", "x" * 201], "at most 200"),
    (["--preset", "a4", "--format", "png", "--all-projects"], "needs --out-dir"),
    (["--preset", "a4", "--format", "png", "--all-projects", "--out", "x.png"], "not --out"),
    (["--preset", "a4", "--format", "png", "--all-projects", "--out-dir", "d", "--project", "P1"],
     "cannot be combined"),
    (["--preset", "a4", "--all-projects", "--out-dir", "d"], "needs --format"),
    (["--preset", "a4", "--format", "png", "--out-dir", "d", "--out", "x.png"], "only for --all-projects"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--bogus"], "unrecognized arguments: --bogus"),
    # the page shows the nearest year of an out-of-range one; a command asked for 1989 says so instead of guessing
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--view", "?asof=1989"],
     "asof=1989 is outside the data's years 1990–"),
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--view", "?asof=2010&asof=2099"], "asof=2099 is outside"),
    # a refusal says what is wrong, not what the page would do instead ("…; 2020 used": nothing was exported)
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--view", "?asof=abc&metric=x"],
     "metric: 'x' is not one of projects, membership; asof: 'abc' is not a year from 1990\nusage"),
    # a long address is cut in the message (a 9 KB --view was repeated in full)
    (["--preset", "a4", "--format", "pdf", "--out", "x.pdf", "--view", "?years=abc&woj=" + ",".join(["24"] * 3000)],
     "… (9,014 characters): voivodeships: more than 16 values"),
])
def test_bad_arguments_exit_2_with_a_clear_message(capsys, monkeypatch, argv, needle):
    """One line saying what is wrong, and no Chromium started: a browser stopped half-started at exit printed its own
    warnings and tracebacks after that line (seen with an unknown voivodeship, which needs the data to tell)."""
    from dashboard.export import render

    started = []
    monkeypatch.setattr(render.Renderer, "start", lambda self: started.append(self) or self)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert err.startswith("python -m dashboard export: error:")
    assert started == []


def test_a_town_teryt_that_lost_its_leading_zero_is_read_as_the_spreadsheet_meant_it():
    from dashboard.export.cli import parse_town
    from dashboard.model.atlas_cache import cached_atlas

    atlas = cached_atlas()
    assert parse_town("201011", atlas) == parse_town("0201011", atlas) == "0201011"


@pytest.mark.parametrize("name,value", [("ATLAS_PUBLIC_URL", "javascript:alert(1)"), ("ATLAS_CACHE_MB", "abc"),
                                        ("REDIS_URL", "nonsense"), ("ATLAS_DATA_DIR", "/nonexistent/zmp")])
def test_a_bad_setting_or_data_folder_stops_the_export_in_one_line(capsys, tmp_path, monkeypatch, name, value):
    """The command read no settings: a javascript: link was printed on the graphic, exit 0."""
    monkeypatch.setenv(name, value)
    out = tmp_path / "map.png"
    assert main(["--preset", "social", "--format", "png", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert name in err or value in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_out_that_is_a_folder(capsys, tmp_path):
    (tmp_path / "d.pdf").mkdir()
    assert main(["--preset", "a4", "--out", str(tmp_path / "d.pdf")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_voivodeship_names_are_forgiving():
    names = {"12": "małopolskie", "24": "śląskie", "26": "świętokrzyskie", "14": "mazowieckie"}
    assert parse_voivodeships(["Śląskie", "slaskie", "woj. małopolskie", "14"], names) == ("12", "14", "24")
    assert parse_voivodeships(["swietokrzyskie"], names) == ("26",)


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--all-projects" in capsys.readouterr().out


@pytest.mark.slow
def test_export_one_view(tmp_path, capsys):
    out = tmp_path / "press" / "mapa.png"
    code = main(["export", "--preset", "a5", "--project", "P1", "--voivodeship", "śląskie", "--voivodeship", "14",
                 "--years", "1990-2024", "--lang", "en", "--title", "Our towns", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    img = Image.open(io.BytesIO(out.read_bytes()))
    assert img.size == (1748, 2480) and round(img.info["dpi"][0]) == 300
    alt = out.with_suffix(".txt").read_text(encoding="utf-8")
    assert alt.startswith("Map of Poland's gminy") and "Our towns" in alt
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.slow
def test_all_projects_one_file_each(tmp_path, capsys, monkeypatch, mini_atlas):
    """On the small atlas (3 projects, conftest): the loop is the same for the real data's 10, a render each."""
    monkeypatch.setattr("dashboard.model.atlas_cache.cached_atlas", lambda: mini_atlas)
    ids = list(mini_atlas.projects["id"])
    assert main(["--preset", "social", "--format", "svg", "--all-projects", "--out-dir", str(tmp_path)]) == 0
    files = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert files == sorted(f"atlas-zmp_{i}_social.svg" for i in ids)
    # each file is its own project's map: the alt texts (title, counts) all differ
    alts = {p.read_text(encoding="utf-8") for p in tmp_path.glob("*.txt")}
    assert len(alts) == len(ids)
    assert f"{len(ids)} files in" in capsys.readouterr().out


def test_a_view_keeps_its_own_language_unless_lang_is_given():
    """A dashboard address copied in English exports in English; --lang still wins; no view and no --lang: Polish."""
    from dashboard.export.cli import build_parser, view_state
    from dashboard.model.atlas import get_atlas

    atlas = get_atlas()

    def lang(*argv):
        return view_state(build_parser().parse_args(["--preset", "social", *argv]), atlas).lang

    assert lang("--view", "https://atlas.example.pl/?woj=24&lang=en") == "en"
    assert lang("--view", "?woj=24&lang=en", "--lang", "pl") == "pl"
    assert lang("--view", "?woj=24") == "pl" and lang() == "pl" and lang("--lang", "en") == "en"


@pytest.mark.parametrize("argv", [["--view", "?town=0000000"], ["--select", "0000000"], ["--view", "?sel=0201011,9999999"]])
def test_a_teryt_no_gmina_has_is_refused(argv, capsys):
    """A well-formed code of no gmina (or powiat) of the map: a one-line error (exit 2), not a graphic of nothing."""
    assert main(["--preset", "social", "--format", "png", "--out", "/tmp/never-written.png", *argv]) == 2
    err = capsys.readouterr().err
    assert ("0000000" in err or "9999999" in err) and "Traceback" not in err
