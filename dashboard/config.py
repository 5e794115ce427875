"""Configuration read from the environment through small typed getters (one place, documented defaults).

ATLAS_HOST            interface for `python app.py` (default 127.0.0.1)
ATLAS_PORT            port for `python app.py` (default 8050)
ATLAS_DEBUG           1/true to run Dash in debug mode (default off)
ATLAS_URL_PREFIX      URL prefix when served under a sub-path, e.g. /atlas/ (default /)
ATLAS_GEO_MAX_AGE     Cache-Control max-age in seconds of the non-hashed base topojson (default 86400)
ATLAS_PLOTLY_BUNDLE   auto (default): serve the partial plotly.js of .cache/js when it is built and verified, else
                      the full one; full: always the full plotly.min.js (dashboard.serving.plotly_bundle)
ATLAS_EXPORT_SLOTS    press exports rendered at once on this machine, each one Chromium (default 1 on up to
                      2 cores, else cores // 2, at most 4) (dashboard.serving.export_queue)
ATLAS_EXPORT_QUEUE    exports waiting behind them, beyond which a request gets HTTP 429 "busy" (default 8)
ATLAS_EXPORT_PER_CLIENT  accepted exports (waiting or rendering) per client address (default 2)
"""
from __future__ import annotations

import os

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


def plotly_bundle() -> str:
    value = env_str("ATLAS_PLOTLY_BUNDLE", "auto").strip().lower()
    if value not in ("auto", "full"):
        raise ValueError(f"ATLAS_PLOTLY_BUNDLE={value!r} must be 'auto' or 'full'")
    return value


def export_slots() -> int:
    default = max(1, min(4, (os.cpu_count() or 1) // 2))
    return env_int("ATLAS_EXPORT_SLOTS", default, minimum=1, maximum=64)


def export_queue() -> int:
    return env_int("ATLAS_EXPORT_QUEUE", 8, minimum=0, maximum=10000)


def export_per_client() -> int:
    return env_int("ATLAS_EXPORT_PER_CLIENT", 2, minimum=1, maximum=10000)
