"""Which plotly.js draws the figures: the dashboard's partial bundle (only the traces it draws) when it is built
and verified, read by the page's server (dashboard.serving.plotly_bundle, which also builds it) and by the press
export's Chromium page (dashboard.export.render). No Dash, no Flask: paths and checks only.

    check() -> (Bundle, "") | (None, why it cannot be used)
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from dashboard import config

REPO_ROOT = Path(__file__).resolve().parents[2]
JS_DIR = REPO_ROOT / "js"
BUNDLE_NAME = "plotly-atlas.min.js"
SHA_FILE = JS_DIR / "plotly-atlas.sha256"
_HEADER_VERSION = re.compile(rb"plotly\.js v(\d+\.\d+\.\d+)")


def bundle_dir() -> Path:
    return config.cache_dir() / "js"


def bundle_path() -> Path:
    return bundle_dir() / BUNDLE_NAME


def expected_sha256() -> str:
    return SHA_FILE.read_text(encoding="utf-8").split()[0].strip()


def plotlyjs_version() -> str:
    """The plotly.js version the pinned plotly Python package embeds (the header of its plotly.min.js)."""
    from importlib.resources import files

    with files("plotly").joinpath("package_data/plotly.min.js").open("rb") as fh:
        head = fh.read(400)
    match = _HEADER_VERSION.search(head)
    return match.group(1).decode() if match else "?"


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    data: bytes

    @property
    def filename(self) -> str:
        return f"plotly-atlas.{self.sha256[:12]}.min.js"


def check(path: Path | None = None) -> tuple[Bundle | None, str]:
    """(the verified bundle, "") or (None, why it cannot be used)."""
    path = path or bundle_path()
    if not path.is_file():
        return None, f"{path} is missing (build it with `make plotly-bundle`; needs Node.js and npm)"
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        expected = expected_sha256()
    except OSError:
        return None, f"{SHA_FILE} is missing"
    if digest != expected:
        return None, f"{path} has sha256 {digest[:12]}…, expected {expected[:12]}… (js/plotly-atlas.sha256)"
    found = _HEADER_VERSION.search(data[:400])
    want = plotlyjs_version()
    if not found or found.group(1).decode() != want:
        got = found.group(1).decode() if found else "?"
        return None, f"{path} is plotly.js {got}, the plotly Python package embeds {want}"
    return Bundle(path, digest, data), ""
