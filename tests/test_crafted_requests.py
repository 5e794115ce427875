"""Crafted requests to the real dashboard served by gunicorn (`make serve`'s command on a test port): every
callback gets wrong types, huge lists, megabyte strings, nulls, missing fields and unknown ids in place of what the
browser would send. Expected: a 2xx (the callback ignores the value or shows a notice) or a JSON 4xx — never a
500, never a traceback, never a hang (every request has a timeout)."""
from __future__ import annotations

import json

import pytest
import requests

from tests.dash_client import DashPage
from tests.serving_support import page, server  # noqa: F401 - fixtures

TIMEOUT = 30
OK = {200, 204}
REJECTED = {400, 404, 413}

BAD_VALUES = {
    "null": None,
    "zero": 0,
    "negative": -1,
    "true": True,
    "float": 1e308,
    "text": "'; DROP TABLE gminy; --",
    "unicode": "Żółć 🙂 \u0000 \u202e",
    "dict": {"id": "x", "points": "not a list", "__proto__": {}},
    "nested": [[[["1465011"]]]],
    "list_of_nulls": [None] * 50,
    "list_mixed": [1, "02", None, {"a": 1}, ["x"], True],
    "list_20k_codes": ["1465011"] * 20_000,             # ~200 KB: under the body limit, must be bounded
    "list_100k_ints": list(range(100_000)),             # ~600 KB: over the limit -> 413
    "megabyte_string": "x" * 1_000_000,                 # -> 413
}



def _post(page: DashPage, body) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(page.callback_url(), data=data, timeout=TIMEOUT,
                         headers={"Content-Type": "application/json"})


def _assert_defended(response: requests.Response, what: str) -> None:
    assert response.status_code in OK | REJECTED, f"{what}: HTTP {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text and 'File "' not in response.text, what
    if response.status_code in REJECTED:
        assert response.headers["Content-Type"].startswith("application/json"), what
        assert set(response.json()) == {"error", "status", "message"}, what


def _server_callbacks(page: DashPage) -> list[dict]:
    return page.server_callbacks()


def _attacked_callbacks(page: DashPage) -> list[dict]:
    """Every entry of /_dash-dependencies but the background export (its jobs start Chromium; it has tests of its
    own below): server callbacks and clientside ones — a crafted POST may name any output."""
    return [d for d in page.dependencies if not d.get("background")]


def test_clientside_outputs_have_no_server_function_and_get_a_404(page):
    clientside = [d for d in page.dependencies if d.get("clientside_function")]
    assert any("export-request.data" in d["output"] for d in clientside)
    for dep in clientside:
        trigger = dep["inputs"][0]
        body = page.payload(dep, changed=[f"{trigger['id']}.{trigger['property']}"])
        response = _post(page, body)
        _assert_defended(response, dep["output"])
        assert response.status_code == 404, dep["output"]


def test_the_page_has_the_callbacks_we_attack(page):
    outputs = " ".join(d["output"] for d in page.dependencies)
    assert "state.data" in outputs and "map.figure" in outputs and len(_server_callbacks(page)) >= 5


def test_every_callback_survives_bad_values_in_every_input_and_state(page):
    from concurrent.futures import ThreadPoolExecutor

    cases = []
    for dep in _attacked_callbacks(page):
        slots = [("inputs", i, d) for i, d in enumerate(dep["inputs"])] + [
            ("state", i, d) for i, d in enumerate(dep.get("state", []))]
        for part, index, d in slots:
            if isinstance(d["id"], dict) or str(d["id"]).startswith("{"):  # /_dash-dependencies: JSON strings
                continue  # pattern-matching inputs are lists of components, attacked below
            for name, bad in BAD_VALUES.items():
                trigger = d if part == "inputs" else next(
                    (i for i in dep["inputs"] if isinstance(i["id"], str) and not i["id"].startswith("{")), d)
                changed = [f"{trigger['id']}.{trigger['property']}"]              # callback via an input
                body = page.payload(dep, {(d["id"], d["property"]): bad}, changed=changed)
                cases.append((f"{dep['output'][:60]} {part}[{index}]={name}", name, body))
    assert len(cases) > 100
    # as many at a time as the server has workers (2): the same requests, in about half the time
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda case: _post(page, case[2]), cases))
    for (what, name, _), response in zip(cases, responses):
        _assert_defended(response, what)
        if name in ("list_100k_ints", "megabyte_string"):
            assert response.status_code == 413, what


def test_all_inputs_null_at_once(page):
    for dep in page.dependencies:   # every entry; the export's null preset ends its job before any rendering
        body = page.payload(dep)
        for part in ("inputs", "state"):
            for entry in body[part]:
                if isinstance(entry, dict):
                    entry["value"] = None
        body["changedPropIds"] = [f"{d['id']}.{d['property']}" for d in dep["inputs"] if isinstance(d["id"], str)]
        _assert_defended(_post(page, body), dep["output"][:60])


def test_a_crafted_state_store_is_read_as_a_valid_state_not_an_error(page):
    controller = next(d for d in _server_callbacks(page) if "map.figure" in d["output"])
    crafted_states = [
        {"projects": ["P1", "NOPE", 5], "voivodeships": ["99", "02"], "years": [2030, 1990], "lang": "xx"},
        {"selected": [f"{i:07d}" for i in range(9000)], "metric": None, "focus": "0000000"},
        {"years": ["a", "b"], "include_unknown_year": "maybe", "match": ["all"]},
        "not a dict",
        [1, 2, 3],
    ]
    for state in crafted_states:
        body = page.payload(controller, {("state", "data"): state, ("clear", "n_clicks"): 1},
                            changed=["clear.n_clicks"])
        response = _post(page, body)
        _assert_defended(response, f"controller with {str(state)[:60]}")
        assert response.status_code in OK


def test_url_query_from_the_address_bar_is_validated(page):
    controller = next(d for d in _server_callbacks(page) if d["output"].startswith("..state.data"))
    for search in ("?p=P1,../../etc&woj=99&years=9999-1&sel=" + ",".join(["abc"] * 2000),
                   "?" + "&".join(f"k{i}=v" for i in range(500)),
                   "?years=1990-2020&lang=en&metric=membership&unknown=2",
                   "?%ff%fe%00", "?" + "p=" + "P1," * 30_000):
        body = page.payload(controller, {("url", "search"): search}, changed=["url.search"])
        response = _post(page, body)
        _assert_defended(response, f"url {search[:40]}")
        if response.status_code == 200 and len(search) < 40_000:
            notice = response.json()["response"].get("notice", {})
            assert "children" in notice, search[:40]


@pytest.mark.parametrize("mutate", [
    lambda b: {k: v for k, v in b.items() if k != "inputs"},
    lambda b: {k: v for k, v in b.items() if k != "outputs"},
    lambda b: {k: v for k, v in b.items() if k != "state"},
    lambda b: {k: v for k, v in b.items() if k != "changedPropIds"},
    lambda b: {k: v for k, v in b.items() if k != "output"},
    lambda b: {**b, "output": "..nope.children...map.figure.."},
    lambda b: {**b, "output": b["output"].replace("state.data", "state.DATA")},
    lambda b: {**b, "changedPropIds": ["nope.value", "state.data"]},
    lambda b: {**b, "inputs": b["inputs"][:-1]},
    lambda b: {**b, "inputs": b["inputs"] + [{"id": "x", "property": "y", "value": 1}]},
    lambda b: {**b, "inputs": [{**i, "id": {"type": "chip"}} if isinstance(i, dict) else i for i in b["inputs"]]},
    lambda b: {**b, "inputs": [None for _ in b["inputs"]]},
    lambda b: {**b, "outputs": [None, 5]},
    lambda b: {**b, "state": {"id": "state"}},
    lambda b: [b],
    lambda b: "just a string",
    lambda b: 12345,
], ids=lambda f: "mutation")
def test_malformed_request_shapes_are_rejected(page, mutate):
    controller = next(d for d in _server_callbacks(page) if d["output"].startswith("..state.data"))
    body = page.payload(controller, changed=["projects.value"])
    _assert_defended(_post(page, mutate(body)), "shape")


def test_crafted_ids_and_triggers(page):
    controller = next(d for d in _server_callbacks(page) if d["output"].startswith("..state.data"))
    body = page.payload(controller, changed=["projects.value"])
    plain = [i for i, d in enumerate(controller["inputs"]) if isinstance(d["id"], str)]
    for crafted in ({"id": {"type": "chip", "key": "project:NOPE"}, "property": "n_clicks", "value": 1},
                    [{"id": {"type": "chip", "key": "x" * 5000}, "property": "n_clicks", "value": 1}],
                    {"id": "chip-999", "property": "n_clicks", "value": 1},
                    {"id": None, "property": None, "value": None}):
        mutated = json.loads(json.dumps(body))
        mutated["inputs"][plain[-1]] = crafted
        response = _post(page, mutated)
        _assert_defended(response, f"input {str(crafted)[:60]}")
        assert response.status_code == 400
    for changed in (["chip-keys.data"], ["state.data"], ["nope.value"], ['{"type":"chip"}.n_clicks'], ["."]):
        response = _post(page, {**body, "changedPropIds": changed})
        _assert_defended(response, f"changed {changed}")
        assert response.status_code == 400


def test_raw_garbage_bodies(page):
    for raw in (b"", b"{", b"\xff\xfe\x00", b"[" * 100_000, b'{"output": "state.data"' + b" " * 300_000 + b"}",
                b'{"a": NaN}', "{\"output\": \"ż\"}".encode("utf-16")):
        response = requests.post(page.callback_url(), data=raw, timeout=TIMEOUT,
                                 headers={"Content-Type": "application/json"})
        _assert_defended(response, repr(raw[:20]))
        assert response.status_code in REJECTED


def test_crafted_export_request_ends_with_a_message_not_an_error(page):
    exports = page.background_callbacks()
    assert exports, "the app has no background export callback (export panel not registered)"
    dep = exports[0]
    trigger = dep["inputs"][0]
    overrides = {(trigger["id"], trigger["property"]): 1}
    for d in dep.get("state", []):
        if d["property"] in ("value", "data") and d["id"] not in ("lang",):
            overrides[(d["id"], d["property"])] = {"evil": ["x" * 100]} if d["property"] == "data" else "x" * 5000
    body = page.payload(dep, overrides, changed=[f"{trigger['id']}.{trigger['property']}"])
    with requests.Session() as session:
        response, _polls = page.run_background(session, body, timeout=120, poll_s=0.5)
    _assert_defended(response, "export")
    assert response.status_code == 200


def test_forged_background_job_handles_are_ignored(page):
    exports = page.background_callbacks()
    assert exports, "the app has no background export callback (export panel not registered)"
    dep = exports[0]
    trigger = dep["inputs"][0]
    body = page.payload(dep, {(trigger["id"], trigger["property"]): 1},
                        changed=[f"{trigger['id']}.{trigger['property']}"])
    for params in ({"cacheKey": "0" * 64, "job": "1"}, {"cacheKey": "x~y", "job": "1~abc"},
                   {"oldJob": "1"}, {"oldJob": "1~" + "f" * 64}, {"endId": "forged~00"},
                   {"cacheKey": "../../etc/passwd", "job": "-1"}):
        url = page.callback_url(**params)
        response = requests.post(url, json=body, timeout=TIMEOUT)
        _assert_defended(response, f"handles {params}")
        if "cacheKey" in params:
            # a forged handle reads no result and kills no process: nothing to update
            assert response.status_code in OK and "export-download" not in response.text
