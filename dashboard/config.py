"""Configuration read from the environment through small typed getters (one place, documented defaults).

ATLAS_HOST            interface for `python app.py` (default 127.0.0.1)
ATLAS_PORT            port for `python app.py` (default 8050)
ATLAS_DEBUG           1/true to run Dash in debug mode (default off)
ATLAS_URL_PREFIX      URL prefix when served under a sub-path, e.g. /atlas/ (default /)
ATLAS_GEO_MAX_AGE     Cache-Control max-age in seconds of the non-hashed base topojson (default 86400)
ATLAS_PUBLIC_URL      the dashboard's public address (http(s)://…), printed on exports as the link to the view;
                      unset (default) = no link is printed. A loopback/local address (127.x, localhost, ::1,
                      0.0.0.0) is never printed: readers of a graphic cannot open it.
"""
from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

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


PUBLIC_URL_ENV = "ATLAS_PUBLIC_URL"
_URL = re.compile(r"https?://[^\s<>\"']{1,200}")


def is_local_url(url: str) -> bool:
    """True for an address only this machine (or its network) can open: loopback, unspecified, link-local,
    localhost names, or no host at all."""
    try:
        host = (urlsplit(url).hostname or "").strip("[]").lower()
    except ValueError:
        return True
    if not host or host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified or ip.is_link_local


def check_public_url(url: str, name: str = PUBLIC_URL_ENV) -> str:
    """``url`` without its trailing '/', or ValueError saying why it cannot be printed on a graphic."""
    url = url.strip()
    if not _URL.fullmatch(url):
        raise ValueError(f"{name}={url!r} is not an http(s) URL (e.g. https://atlas.miasta.pl)")
    if is_local_url(url):
        raise ValueError(f"{name}={url!r} is a local address that readers of a graphic cannot open; "
                         "give the dashboard's public address (e.g. https://atlas.miasta.pl)")
    return url.rstrip("/")


def public_url() -> str | None:
    """$ATLAS_PUBLIC_URL (validated, without a trailing '/'), or None when unset or empty: no link is printed."""
    raw = os.environ.get(PUBLIC_URL_ENV, "").strip()
    return check_public_url(raw) if raw else None
