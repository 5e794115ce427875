"""The Export panel: the plain function behind the callback (bad browser input -> a message, never an error) and
the real thing in headless Chromium — a click runs the background callback (DiskcacheManager) and the browser
receives the file."""
from __future__ import annotations

import base64
import time

import pytest

from dashboard.export.panel import export_response, layout
from dashboard.model.state import FilterState
from tests.conftest import dash_browser, wait_for_js


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.mark.parametrize("preset,fmt,title,needle", [
    ("a3", "pdf", "", "preset 'a3'"),
    ("a4", "exe", "", "format 'exe'"),
    ("a4", "pdf", "x" * 500, "at most 200"),
    (["a4"], "pdf", "", "preset ''"),
    ("a4", None, "", "format ''"),
])
def test_bad_panel_input_gives_a_message(atlas, preset, fmt, title, needle):
    data, alt, status, hidden = export_response(FilterState().to_dict(), preset, fmt, title, "pl", atlas=atlas)
    assert data is None and alt == "" and hidden
    assert status.startswith("Nieprawidłowe ustawienia eksportu") and needle in status


@pytest.mark.parametrize("title, said", [("ZMP \u202eZMP", "Tytuł zawiera znak zmiany kierunku tekstu"),
                                         ("dzwonek\x07", "Tytuł zawiera znaki sterujące")])
def test_a_title_the_page_cannot_print_is_refused_in_the_pages_language(atlas, title, said):
    """U+202E printed "ZMP" as "PMZ"; the message was half English ("…: title contains control characters")."""
    data, alt, status, hidden = export_response(FilterState().to_dict(), "social", "png", title, "pl", atlas=atlas)
    assert data is None and status.startswith(said) and hidden


@pytest.mark.parametrize("raw", ["Miasta\x0bw projekcie", "Miasta\tw\nprojekcie", "Miasta\u2028w  projekcie"])
def test_a_title_pasted_from_word_is_one_line(raw):
    """Word's manual line break (\\x0b) was refused as a control character; a tab or newline went raw into the
    alt text; U+2028 was dropped without a word."""
    from dashboard.export.spec import one_line, text_problem

    assert one_line(raw) == "Miasta w projekcie" and text_problem(one_line(raw)) is None


@pytest.mark.slow
def test_panel_export_returns_the_file_and_alt_text(atlas):
    steps = []
    state = FilterState(projects=("P2",), lang="en").to_dict()
    state["bogus"] = 1                       # tampered store: ignored, the export still works
    data, alt, status, hidden = export_response(state, "social", "png", "  Our map  ", "en", atlas=atlas,
                                                progress=steps.append)
    assert data["filename"] == "atlas-zmp_P2_social_en.png" and data["type"] == "image/png" and data["base64"]
    assert base64.b64decode(data["content"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert alt.startswith("Map of Poland's gminy") and "Our map" in alt and not hidden
    assert status.startswith("Done: atlas-zmp_P2_social_en.png")
    assert steps[-1] == ("3", "3")


def test_layout_has_the_controls():
    ids = set()

    def walk(c):
        if getattr(c, "id", None):
            ids.add(c.id)
        kids = getattr(c, "children", None)
        for k in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(k, "to_plotly_json"):
                walk(k)
    walk(layout("en"))
    assert {"export-preset", "export-format", "export-title", "export-button", "export-progress",
            "export-status", "export-alt", "export-download"} <= ids


@pytest.mark.browser
@pytest.mark.slow
def test_export_in_the_browser_downloads_the_file(request, atlas, tmp_path_factory, monkeypatch):
    from dashboard.app import create_app
    from dashboard.serving import export_queue

    # an export queue of its own: the default folder's is the machine's, where another test process's exports may
    # be waiting (with the queue full, the export is refused: "busy, try again")
    queue = tmp_path_factory.mktemp("export-queue")
    monkeypatch.setattr(export_queue, "queue_dir", lambda: queue)
    download = tmp_path_factory.mktemp("export-download")
    with dash_browser(request, create_app(atlas), str(download)) as dc:
        dc.driver.get(dc.server_url + "/?p=P1&woj=24")
        dc.wait_for_element("#export-section summary", timeout=20).click()
        # opened at the foot of the desktop's filter column, the panel is scrolled into its view (only its first
        # line showed there: the click seemed to do nothing)
        wait_for_js(dc.driver, "const column = document.getElementById('filters').getBoundingClientRect();"
                               "const button = document.getElementById('export-button').getBoundingClientRect();"
                               "return button.height > 0 && button.bottom <= column.bottom + 1;", 5)
        # choose PDF (default) and a title, then export
        title = dc.wait_for_element("#export-title")
        title.send_keys("Śląskie miasta w projekcie")
        title.send_keys("\n")
        dc.find_element("#export-button").click()
        dc.wait_for_contains_text("#export-status", "Gotowe", timeout=60)
        alt = dc.find_element("#export-alt").text
        assert "Śląskie miasta w projekcie" in alt and "w województwie śląskim" in alt
        end = time.time() + 20
        files = []
        while time.time() < end:
            files = [p for p in download.iterdir() if p.suffix == ".pdf"]
            if files:
                break
            time.sleep(0.2)
        assert [p.name for p in files] == ["atlas-zmp_P1_slaskie_a4.pdf"]   # the file name says the view
        assert files[0].read_bytes()[:5] == b"%PDF-"
        assert dc.find_element("#export-button").get_attribute("disabled") is None
        errors = [e for e in dc.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []


@pytest.mark.slow
def test_short_links_reopen_the_view(atlas):
    from dashboard.app import create_app
    from dashboard.export.links import link_store
    from dashboard.export.press import link_key

    query = "sel=" + ",".join(atlas.gminy["terc"].head(200))
    key = link_key(query)
    link_store().save(key, query)
    client = create_app(atlas).server.test_client()
    resp = client.get(f"/v/{key}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/?{query}")
    assert client.get("/v/zzzzzzzzzz").status_code == 404           # well-formed, unknown
    assert client.get("/v/NOT-A-KEY!").status_code == 404             # malformed


@pytest.mark.slow
def test_panel_logo_only_when_there_is_one(atlas, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_LOGO", str(tmp_path / "missing.svg"))
    data, *_ = export_response({}, "social", "svg", "", "pl", atlas=atlas, logo=["logo"])
    assert b"<image" not in base64.b64decode(data["content"])          # no logo file: exported without one
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"><rect width="10" '
                    'height="10" fill="#c8102e"/></svg>')
    monkeypatch.setenv("ATLAS_LOGO", str(logo))
    data, *_ = export_response({}, "social", "svg", "", "pl", atlas=atlas, logo=["logo"])
    assert b"<image" in base64.b64decode(data["content"])
    data, *_ = export_response({}, "social", "svg", "", "pl", atlas=atlas, logo=[])
    assert b"<image" not in base64.b64decode(data["content"])
