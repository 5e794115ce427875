"""A small client of Dash's HTTP protocol, enough to act like the renderer without a browser.

Used by the load test (bench/load_test.py) and the crafted-request tests: it reads the page's config (end_id),
the layout and the callback dependencies, and builds the exact JSON body the renderer posts to
/_dash-update-component for a callback, with the values currently in the layout (or given ones).
Background callbacks (exports) are driven the renderer's way: POST, then poll with cacheKey/job until done.
"""
from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import requests

_CONFIG = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)


def parse_output_spec(spec: str) -> list[tuple[Any, str]]:
    """'a.children' -> [('a','children')]; '..a.x...b.y..' -> [('a','x'),('b','y')]; JSON ids decoded; a callback
    without outputs (its spec is a hash, no "id.prop") -> []."""
    if "." not in spec:
        return []
    parts = spec[2:-2].split("...") if spec.startswith("..") and spec.endswith("..") else [spec]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append((json.loads(ident) if ident.startswith("{") else ident, prop))
    return out


def walk_components(node: Any) -> Iterator[dict]:
    """Every component dict ({'type','namespace','props'}) in a layout JSON tree, depth first."""
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
            for value in node["props"].values():
                yield from walk_components(value)
        else:
            for value in node.values():
                yield from walk_components(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_components(item)


@dataclass
class DashPage:
    """What one page load gives a client: config, layout values by (id, prop), callback dependencies."""

    base: str
    end_id: str | None
    layout: Any
    dependencies: list[dict]
    components: dict[str, dict] = field(default_factory=dict)   # id -> {"type", "props"}

    @classmethod
    def load(cls, session: requests.Session, base: str, timeout: float = 30, path: str = "/") -> "DashPage":
        index = session.get(base + path, timeout=timeout)
        index.raise_for_status()
        match = _CONFIG.search(index.text)
        config = json.loads(html.unescape(match.group(1))) if match else {}
        layout = session.get(base + "/_dash-layout", timeout=timeout)
        layout.raise_for_status()
        deps = session.get(base + "/_dash-dependencies", timeout=timeout)
        deps.raise_for_status()
        return cls.of(layout.json(), deps.json(), base=base, end_id=config.get("end_id"))

    @classmethod
    def of(cls, layout: Any, dependencies: list[dict], base: str = "", end_id: str | None = None) -> "DashPage":
        """The page of a layout and its dependencies as /_dash-layout and /_dash-dependencies answer them."""
        page = cls(base=base, end_id=end_id, layout=layout, dependencies=dependencies)
        for comp in walk_components(layout):
            ident = comp["props"].get("id")
            if isinstance(ident, str):
                page.components[ident] = comp
        return page

    # -- callbacks ------------------------------------------------------------------------------------------
    def value(self, ident: Any, prop: str) -> Any:
        comp = self.components.get(ident) if isinstance(ident, str) else None
        return comp["props"].get(prop) if comp else None

    def server_callbacks(self) -> list[dict]:
        """Callbacks that run on the server (not clientside), background ones excluded."""
        return [d for d in self.dependencies if not d.get("clientside_function") and not d.get("background")]

    def background_callbacks(self) -> list[dict]:
        return [d for d in self.dependencies if d.get("background")]

    def initial_callbacks(self) -> list[dict]:
        """Server callbacks the renderer fires on page load: all inputs in the layout, no prevent_initial_call."""
        return [
            d for d in self.server_callbacks()
            if not d.get("prevent_initial_call")
            and all(isinstance(i["id"], str) and i["id"] in self.components for i in d["inputs"])
        ]

    def callbacks_with_input(self, ident: str, prop: str | None = None) -> list[dict]:
        return [
            d for d in self.dependencies
            if any(i["id"] == ident and (prop is None or i["property"] == prop) for i in d["inputs"])
        ]

    def matching(self, pattern: dict) -> list[dict]:
        """Layout components whose dict id matches a wildcard id (ALL/MATCH/ALLSMALLER match any value)."""
        found = []
        for comp in walk_components(self.layout):
            ident = comp["props"].get("id")
            if isinstance(ident, dict) and set(ident) == set(pattern) and all(
                isinstance(v, list) or ident[k] == v for k, v in pattern.items()
            ):
                found.append(comp)
        return found

    def payload(self, dep: dict, overrides: dict[tuple[str, str], Any] | None = None,
                changed: list[str] | None = None) -> dict:
        """The renderer's request body for `dep`, values from the layout unless overridden."""
        overrides = overrides or {}

        def item(d: dict) -> dict | list:
            ident = d["id"]
            if isinstance(ident, str) and ident.startswith("{"):   # /_dash-dependencies sends pattern ids as JSON
                ident = json.loads(ident)
            if isinstance(ident, dict):   # pattern-matching: one entry per matching component
                return [{"id": c["props"]["id"], "property": d["property"], "value": c["props"].get(d["property"])}
                        for c in self.matching(ident)]
            key = (d["id"], d["property"])
            value = overrides[key] if key in overrides else self.value(d["id"], d["property"])
            return {"id": d["id"], "property": d["property"], "value": value}

        outputs: list = []
        for ident, prop in parse_output_spec(dep["output"]):
            if isinstance(ident, dict):
                outputs.append([{"id": c["props"]["id"], "property": prop} for c in self.matching(ident)])
            else:
                outputs.append({"id": ident, "property": prop})
        multi = dep["output"].startswith("..")
        return {
            "output": dep["output"],
            "outputs": outputs if multi or not outputs else outputs[0],
            "inputs": [item(d) for d in dep["inputs"]],
            "changedPropIds": changed or [],
            "state": [item(d) for d in dep.get("state", [])],
        }

    def follow(self, response: dict, values: dict[tuple[str, str], Any] | None = None,
               source: str | None = None) -> list[dict]:
        """Bodies of the server callbacks the renderer fires next because `response` (of the callback whose
        output spec is `source`) changed their inputs. `values` holds what earlier responses set (updated in
        place with this response's values)."""
        values = values if values is not None else {}
        changed: list[tuple[str, str]] = []
        for ident, props in (response.get("response") or {}).items():
            for prop, value in props.items():
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    continue
                values[(ident, prop)] = value
                changed.append((ident, prop))
        bodies = []
        for dep in self.server_callbacks():
            if dep["output"] == source:   # a callback is not re-fired by its own outputs
                continue
            fired = [f"{i}.{p}" for i, p in changed
                     if any(d["id"] == i and d["property"] == p for d in dep["inputs"])]
            if fired:
                bodies.append(self.payload(dep, values, changed=fired))
        return bodies

    def callback_url(self, **params: str) -> str:
        query = {"endId": self.end_id} if self.end_id else {}
        query.update(params)
        qs = "&".join(f"{k}={requests.utils.quote(str(v), safe='')}" for k, v in query.items())
        return f"{self.base}/_dash-update-component" + (f"?{qs}" if qs else "")

    def post(self, session: requests.Session, body: Any, timeout: float = 30, **params: str) -> requests.Response:
        return session.post(self.callback_url(**params), json=body, timeout=timeout)

    def run_background(self, session: requests.Session, body: dict, timeout: float = 180,
                       poll_s: float | None = None, replaces: str | None = None) -> tuple[requests.Response, int]:
        """Drive a background callback to completion like the renderer: the first answer is a job handle
        ({"cacheKey", "job"}); then the same body (values nulled) is posted with the handle until the answer
        carries "response" (or is not a 200). ``replaces``: the job handle of a click before this one, still
        running (the renderer sends it as oldJob). Returns (final response, number of polls)."""
        dep = next(d for d in self.dependencies if d["output"] == body["output"])
        interval = poll_s if poll_s is not None else (dep.get("background") or {}).get("interval", 1000) / 1000
        deadline = time.monotonic() + timeout
        response = self.post(session, body, timeout=timeout, **({"oldJob": replaces} if replaces else {}))
        if response.status_code != 200 or not response.content:
            return response, 0
        first = response.json()
        if "cacheKey" not in first:
            return response, 0
        handles = {"cacheKey": first["cacheKey"], "job": first["job"]}
        poll_body = json.loads(json.dumps(body))
        for part in ("inputs", "state"):
            for entry in poll_body.get(part, []):
                if isinstance(entry, dict):
                    entry["value"] = None   # the renderer nulls values while polling
        polls = 0
        while time.monotonic() < deadline:
            time.sleep(interval)
            response = self.post(session, poll_body, timeout=timeout, **handles)
            polls += 1
            if response.status_code != 200:
                return response, polls
            if response.content and "response" in response.json():
                return response, polls
        return response, polls
