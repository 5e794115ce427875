"""Which plotly.js draws the figures: the dashboard's partial bundle (only the traces it draws) when it is built
and verified, read by the page's server (dashboard.serving.plotly_bundle, which also builds it) and by the press
export's Chromium page (dashboard.export.render). The same build makes the page's regenerator-runtime (see
js/build.mjs). No Dash, no Flask: paths and checks only.

    check() -> (Bundle, "") | (None, why it cannot be used)          the plotly.js bundle
    check_runtime() -> (Bundle, "") | (None, why it cannot be used)  regenerator-runtime
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
RUNTIME_NAME = "regenerator-runtime.min.js"
BUILT = (BUNDLE_NAME, RUNTIME_NAME)   # what `node build.mjs <dir>` writes
SHA_FILE = JS_DIR / "plotly-atlas.sha256"   # one line per built file: "<sha256>  <name>"
_HEADER_VERSION = re.compile(rb"plotly\.js v(\d+\.\d+\.\d+)")


def bundle_dir() -> Path:
    return config.cache_dir() / "js"


def bundle_path() -> Path:
    return bundle_dir() / BUNDLE_NAME


def expected_sha256(name: str = BUNDLE_NAME) -> str:
    for line in SHA_FILE.read_text(encoding="utf-8").splitlines():
        digest, _, recorded = line.partition("  ")
        if recorded.strip() == name:
            return digest.strip()
    raise OSError(f"{SHA_FILE} records no sha256 for {name}")


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
        """The content-hashed name it is served under: plotly-atlas.<sha12>.min.js"""
        return f"{self.path.name.removesuffix('.min.js')}.{self.sha256[:12]}.min.js"


def _verified(path: Path, name: str) -> tuple[Bundle | None, str]:
    """(the file, "") when its sha256 is the one js/plotly-atlas.sha256 records for `name`, else (None, why)."""
    if not path.is_file():
        return None, f"{path} is missing (build it with `make plotly-bundle`; needs Node.js and npm)"
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        expected = expected_sha256(name)
    except OSError as exc:
        return None, str(exc)
    if digest != expected:
        return None, f"{path} has sha256 {digest[:12]}…, expected {expected[:12]}… (js/plotly-atlas.sha256)"
    return Bundle(path, digest, data), ""


def check_runtime() -> tuple[Bundle | None, str]:
    """(the verified regenerator-runtime, "") or (None, why it cannot be used)."""
    return _verified(bundle_dir() / RUNTIME_NAME, RUNTIME_NAME)


def check(path: Path | None = None) -> tuple[Bundle | None, str]:
    """(the verified plotly.js bundle, "") or (None, why it cannot be used)."""
    bundle, why = _verified(path or bundle_path(), BUNDLE_NAME)
    if bundle is None:
        return None, why
    path, data = bundle.path, bundle.data
    found = _HEADER_VERSION.search(data[:400])
    want = plotlyjs_version()
    if not found or found.group(1).decode() != want:
        got = found.group(1).decode() if found else "?"
        return None, f"{path} is plotly.js {got}, the plotly Python package embeds {want}"
    return bundle, ""
