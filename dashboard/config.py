"""Configuration read from the environment through small typed getters (one place, documented defaults).

ATLAS_HOST            interface for `python app.py` (default 127.0.0.1)
ATLAS_PORT            port for `python app.py` (default 8050)
ATLAS_DEBUG           1/true to run Dash in debug mode (default off)
ATLAS_URL_PREFIX      URL prefix when served under a sub-path, e.g. /atlas/ (default /)
ATLAS_GEO_MAX_AGE     Cache-Control max-age in seconds of the non-hashed base topojson (default 86400)
ATLAS_EMBED_ORIGINS   who may show /embed in an <iframe>: origins separated by spaces or commas, e.g.
                      "https://news.example.pl https://*.example.org", or * for any (default *); the main page can
                      never be framed (frame-ancestors 'none')
"""
from __future__ import annotations

import os
import re

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer (default {default})") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"environment variable {name}={value} is outside {minimum}..{maximum}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable {name}={raw!r} is not a boolean (use 1/0, true/false)")


def host() -> str:
    return env_str("ATLAS_HOST", "127.0.0.1")


def port() -> int:
    return env_int("ATLAS_PORT", 8050, minimum=1, maximum=65535)


def debug() -> bool:
    return env_bool("ATLAS_DEBUG", False)


def url_prefix() -> str:
    prefix = env_str("ATLAS_URL_PREFIX", "/")
    if not prefix.startswith("/") or not prefix.endswith("/"):
        raise ValueError(f"ATLAS_URL_PREFIX={prefix!r} must start and end with '/' (e.g. /atlas/)")
    return prefix


def geo_max_age() -> int:
    return env_int("ATLAS_GEO_MAX_AGE", 86400, minimum=0)


_ORIGIN = re.compile(r"^(https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?|'self')$")


def embed_origins() -> list[str]:
    """CSP frame-ancestors sources of the /embed page (ATLAS_EMBED_ORIGINS; default: any origin)."""
    raw = env_str("ATLAS_EMBED_ORIGINS", "*").strip()
    if raw in ("", "*"):
        return ["*"]
    origins = [o.rstrip("/") for o in re.split(r"[\s,]+", raw) if o]
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise ValueError(f"ATLAS_EMBED_ORIGINS: {bad[0]!r} is not an origin like https://news.example.pl (or *)")
    return origins
