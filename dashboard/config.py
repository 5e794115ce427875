"""Every setting of the dashboard, read from the environment through small typed getters — one place.

The boundaries' settings (ATLAS_GEODATA_MIRROR, …) belong to the geodata package, which knows nothing of the
dashboard.

Page and server
  ATLAS_HOST            interface for `python app.py` (default 127.0.0.1)
  ATLAS_PORT            port for `python app.py` (default 8050)
  ATLAS_DEBUG           1/true to run Dash in debug mode (default off)
  ATLAS_URL_PREFIX      URL prefix when served under a sub-path, e.g. /atlas/ (default /)
  ATLAS_GEO_MAX_AGE     Cache-Control max-age in seconds of the non-hashed base topojson (default 86400)
  ATLAS_EMBED_ORIGINS   who may show /embed in an <iframe>: origins separated by spaces or commas, e.g.
                        "https://news.example.pl https://*.example.org file:", or * for any (default *: any web
                        origin and pages opened from a file); the main page can never be framed
                        (frame-ancestors 'none')
  ATLAS_PLOTLY_BUNDLE   auto (default): serve (and draw exports with) the partial plotly.js of .cache/js when it
                        is built and verified, else the full one; full: always the full plotly.min.js
                        (dashboard.view.plotly_js, dashboard.serving.plotly_bundle)
Production server (`make serve`: gunicorn.conf.py reads these)
  ATLAS_BIND            address to listen on (default 127.0.0.1:8050)
  ATLAS_WORKERS         worker processes (default 0 = 2 x cores + 1, capped by gunicorn.conf.py)
  ATLAS_WORKER_CLASS    gunicorn worker class: sync (default) or gthread
  ATLAS_THREADS         threads per worker with the gthread class (default 4)
  ATLAS_TIMEOUT         seconds before a silent worker is replaced (default 60)
  ATLAS_MAX_REQUESTS    recycle a worker after this many requests (default 0 = never)
  ATLAS_ACCESS_LOG      where to log every request, e.g. - for stdout (default: no access log)
  ATLAS_LOG_LEVEL       gunicorn's log level (default info)
Data (dashboard.ingest.datafiles)
  ATLAS_DATA_DIR, ATLAS_MEMBERS, ATLAS_PARTICIPATION, ATLAS_PROJECTS, ATLAS_EVENTS   the office's own files
Caches and jobs (dashboard.serving)
  REDIS_URL             redis://[:password@]host:port/db or rediss://… (TLS): answers, short links and export jobs
                        go through Redis (default: unset, everything on this machine)
  ATLAS_CACHE           on (default) | memory | off: reuse of callback answers
  ATLAS_CACHE_MB        size bound of the machine's answer cache on disk, MB (default 256)
  ATLAS_CACHE_ITEMS     entries of the per-worker answer cache with ATLAS_CACHE=memory (default 512)
  ATLAS_CACHE_DIR       folder of the machine's caches: answers, links, jobs, the CLI's atlas (atlas/), the partial
                        plotly.js (js/), the boundaries (geodata/) (default .cache in the repository)
  ATLAS_RELEASE         identifies code + data of a deploy in shared caches (default: a hash of them)
  ATLAS_CELERY_IMPORTS  modules a Celery worker imports to know the export callback (default app)
  ATLAS_JOB_SCHED       idle (default) | normal: CPU priority of export jobs
  ATLAS_EXPORT_CPUS     CPUs that export jobs and their Chromium may run on: the last N of this machine's (default
                        half of them, at least 1); the others are left to the web workers alone
  ATLAS_SECRET_KEY      signs the export jobs' handles (at least 32 characters); every web worker and instance
                        must share it (default: one made once and kept in Redis, or in the cache folder)
  ATLAS_RENDER_SERVICE  on (default) | off: export jobs render in one warm Chromium of the machine's, started by
                        gunicorn's master or `python app.py` (dashboard.serving.render_host), instead of each
                        starting its own
  ATLAS_EXPORT_SLOTS    press exports rendered at once on this machine, each one Chromium (default 1 on up to
                        2 cores, else cores // 2, at most 4) (dashboard.serving.export_queue)
  ATLAS_EXPORT_QUEUE    exports waiting behind them, beyond which a request gets HTTP 429 "busy" (default 8)
  ATLAS_EXPORT_PER_CLIENT  accepted exports (waiting or rendering) per client address (default 2)
Exports (dashboard.export)
  ATLAS_PUBLIC_URL      the dashboard's public address (http(s)://…), printed on exports as the link to the view;
                        unset (default) = no link is printed. An address that is not public (127.x in any form,
                        localhost, ::1, 0.0.0.0, private networks such as 192.168.x, one-label or .local names) is
                        refused: readers of a graphic cannot open it.
  ATLAS_LOGO            .svg or .png logo for exports (default assets/logo.svg or .png when present)
  BROWSER_PATH          the Chrome/Chromium kaleido drives (default: Debian's chromium on PATH)

`validate()` reads them all and raises ConfigError naming every bad one: app start-up calls it, so a typo stops the
server with a message instead of silently switching something off.
"""
from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting with a value the dashboard cannot use; the message names the variable and what is allowed."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not a whole number (default {default})") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"within {minimum}..{maximum}"
        raise ConfigError(f"environment variable {name}={value} must be {bounds}")
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
    raise ConfigError(f"environment variable {name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_choice(name: str, default: str, choices: dict[str, str]) -> str:
    """One of a few words; `choices` maps every accepted spelling to its meaning."""
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return choices[raw.lower()]
    except KeyError:
        raise ConfigError(f"environment variable {name}={raw!r} is not one of: {', '.join(sorted(choices))}") from None


# --- page and server -----------------------------------------------------------------------------------------
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def _is_host(value: str) -> bool:
    """A host name ('atlas.miasta.pl', 'localhost') or an IP address ('0.0.0.0', '::1', '[::1]')."""
    try:
        ipaddress.ip_address(value[1:-1] if value.startswith("[") and value.endswith("]") else value)
        return True
    except ValueError:
        return len(value) <= 253 and bool(_HOSTNAME.fullmatch(value))


def _port_in(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 65535


def _url_port_ok(parts) -> bool:
    """A URL's port, when it has one, is a number from 1 to 65535."""
    try:
        return parts.port is None or 1 <= parts.port <= 65535
    except ValueError:   # not a number, or above 65535
        return False


def host() -> str:
    value = env_str("ATLAS_HOST", "127.0.0.1")
    if not _is_host(value):
        raise ConfigError(f"ATLAS_HOST={value!r} is not a host name or IP address (e.g. 127.0.0.1 or 0.0.0.0)")
    return value


def port() -> int:
    return env_int("ATLAS_PORT", 8050, minimum=1, maximum=65535)


def debug() -> bool:
    return env_bool("ATLAS_DEBUG", False)


def url_prefix() -> str:
    prefix = env_str("ATLAS_URL_PREFIX", "/")
    if not re.fullmatch(r"/([A-Za-z0-9._~-]+/)*", prefix):
        raise ConfigError(f"ATLAS_URL_PREFIX={prefix!r} must be a path that starts and ends with '/', of letters, "
                          "digits and . _ ~ - (e.g. /atlas/)")
    return prefix


def geo_max_age() -> int:
    return env_int("ATLAS_GEO_MAX_AGE", 86400, minimum=0)


def plotly_bundle() -> str:
    """"auto" or "full" (ATLAS_PLOTLY_BUNDLE)."""
    return env_choice("ATLAS_PLOTLY_BUNDLE", "auto", {"auto": "auto", "full": "full"})


# --- production server (gunicorn.conf.py) --------------------------------------------------------------------
def bind() -> str:
    """host:port, or unix:/path/to.sock (ATLAS_BIND)."""
    value = _raw("ATLAS_BIND") or "127.0.0.1:8050"
    address, _, port = value.rpartition(":")
    if not (value.startswith("unix:/") or (_is_host(address) and _port_in(port))):
        raise ConfigError(f"ATLAS_BIND={value!r} is not host:port with a port from 1 to 65535 (e.g. 0.0.0.0:8050), "
                          "or unix:/path/to.sock")
    return value


def workers() -> int:
    """0 = gunicorn.conf.py's default (by cores and memory)."""
    return env_int("ATLAS_WORKERS", 0, minimum=0)


def worker_class() -> str:
    """gunicorn's "sync" (one request per process) or "gthread" (ATLAS_THREADS threads per process)."""
    return env_choice("ATLAS_WORKER_CLASS", "sync", {"sync": "sync", "gthread": "gthread"})


def threads() -> int:
    return env_int("ATLAS_THREADS", 4, minimum=1)


def timeout() -> int:
    return env_int("ATLAS_TIMEOUT", 60, minimum=0)


def max_requests() -> int:
    return env_int("ATLAS_MAX_REQUESTS", 0, minimum=0)


def access_log() -> str | None:
    return _raw("ATLAS_ACCESS_LOG")


def log_level() -> str:
    return env_choice("ATLAS_LOG_LEVEL", "info", {x: x for x in ("debug", "info", "warning", "error", "critical")})


# --- data --------------------------------------------------------------------------------------------------------
DATA_ENV = ("ATLAS_DATA_DIR", "ATLAS_MEMBERS", "ATLAS_PARTICIPATION", "ATLAS_PROJECTS", "ATLAS_EVENTS")


def data_settings() -> dict[str, str]:
    """The office's files as set in the environment (dashboard.ingest.datafiles checks that they exist)."""
    return {name: os.environ[name] for name in DATA_ENV if name in os.environ}


# --- caches and jobs ---------------------------------------------------------------------------------------------
REDIS_SCHEMES = ("redis", "rediss", "unix")


def redis_url() -> str | None:
    """REDIS_URL, checked: redis:// (plain), rediss:// (TLS) or unix:// (a socket); a password goes in the URL
    (redis://:secret@host:6379/0). None when unset."""
    url = _raw("REDIS_URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if not _is_redis_url(parts):
        shown = re.sub(r"//[^@/]*@", "//…@", url)   # never print a password
        raise ConfigError(f"REDIS_URL={shown!r} is not a Redis URL (redis://[:password@]host[:port]/db with a port "
                          "from 1 to 65535 and a numbered db, rediss://… for TLS, or unix:///path/redis.sock)")
    return url


def _is_redis_url(parts) -> bool:
    if parts.scheme == "unix":
        return parts.path.startswith("/") and len(parts.path) > 1
    db = parts.path.strip("/")
    return parts.scheme in REDIS_SCHEMES and bool(parts.hostname) and _url_port_ok(parts) and (db == "" or db.isdigit())


def cache_mode() -> str:
    """"on", "memory" or "off" (ATLAS_CACHE)."""
    return env_choice("ATLAS_CACHE", "on", {"on": "on", "1": "on", "true": "on", "yes": "on", "memory": "memory",
                                            "off": "off", "0": "off", "false": "off", "no": "off"})


def cache_mb() -> int:
    return env_int("ATLAS_CACHE_MB", 256, minimum=1)


def cache_items() -> int:
    return env_int("ATLAS_CACHE_ITEMS", 512, minimum=1)


def cache_dir() -> Path:
    return Path(_raw("ATLAS_CACHE_DIR") or REPO_ROOT / ".cache")


def release() -> str | None:
    return _raw("ATLAS_RELEASE")


def celery_imports() -> list[str]:
    return [m.strip() for m in (_raw("ATLAS_CELERY_IMPORTS") or "app").split(",") if m.strip()]


def secret_key() -> str | None:
    """ATLAS_SECRET_KEY, checked (at least 32 characters); None = one made once and kept in the shared store."""
    key = _raw("ATLAS_SECRET_KEY")
    if key is not None and len(key) < 32:
        raise ConfigError(f"ATLAS_SECRET_KEY has {len(key)} characters: use at least 32 random ones "
                          "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
    return key


def job_sched_idle() -> bool:
    return env_choice("ATLAS_JOB_SCHED", "idle", {"idle": "idle", "normal": "normal"}) == "idle"


def _usable_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def export_cpus() -> list[int]:
    """The CPUs export jobs may use (ATLAS_EXPORT_CPUS of them, the last ones of those this process may use)."""
    usable = _usable_cpus()
    count = env_int("ATLAS_EXPORT_CPUS", max(1, len(usable) // 2), minimum=1, maximum=len(usable))
    return usable[-count:]


def render_service() -> bool:
    return env_bool("ATLAS_RENDER_SERVICE", True)


def export_slots() -> int:
    default = max(1, min(4, (os.cpu_count() or 1) // 2))
    return env_int("ATLAS_EXPORT_SLOTS", default, minimum=1, maximum=64)


def export_queue() -> int:
    return env_int("ATLAS_EXPORT_QUEUE", 8, minimum=0, maximum=10000)


def export_per_client() -> int:
    return env_int("ATLAS_EXPORT_PER_CLIENT", 2, minimum=1, maximum=10000)


# --- exports -----------------------------------------------------------------------------------------------------
PUBLIC_URL_ENV = "ATLAS_PUBLIC_URL"
_URL = re.compile(r"https?://[^\s<>\"']{1,200}")


LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home.arpa", ".corp")


def is_local_url(url: str) -> bool:
    """True for an address readers elsewhere cannot open: no host, a name of one label ('localhost', 'intranet') or
    under a local suffix ('.local', '.localdomain', ...), or an IP address that is not global (loopback, private
    networks, link-local, unspecified), in any form a browser reads ('127.1', '2130706433', '::ffff:127.0.0.1')."""
    try:
        host = (urlsplit(url).hostname or "").strip("[]").lower().rstrip(".")
    except ValueError:
        return True
    if "." not in host and ":" not in host and not host.isdigit():
        return True   # one label: only this machine's or this network's resolver knows it
    if host.endswith(LOCAL_SUFFIXES):
        return True
    ip = _ip_address(host)
    if ip is None:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return not ip.is_global


def _ip_address(host: str):
    """The IP address a browser reads `host` as (also the short and numeric IPv4 forms), or None for a name."""
    import socket

    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", host):
        try:
            return ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_public_url(url: str, name: str = PUBLIC_URL_ENV) -> str:
    """``url`` without its trailing '/', or ConfigError saying why it cannot be printed on a graphic."""
    url = url.strip()
    if not _URL.fullmatch(url) or not _is_site(urlsplit(url)):
        raise ConfigError(f"{name}={url!r} is not an http(s) URL of a site, with no user name or password, query "
                          "or #fragment (e.g. https://atlas.miasta.pl or https://miasta.pl/atlas)")
    if is_local_url(url):
        raise ConfigError(f"{name}={url!r} is not a public address (this machine, a private network or a local "
                          "name) that readers of a graphic can open; give the dashboard's public address (e.g. "
                          "https://atlas.miasta.pl), or unset it to print no link")
    return url.rstrip("/")


def _is_site(parts) -> bool:
    # a user name or password would be printed on every graphic for all its readers
    return (_url_port_ok(parts) and "@" not in parts.netloc and not parts.query and not parts.fragment
            and _is_host(parts.hostname or ""))


def public_url() -> str | None:
    """$ATLAS_PUBLIC_URL (validated, without a trailing '/'), or None when unset or empty: no link is printed."""
    raw = _raw(PUBLIC_URL_ENV)
    return check_public_url(raw) if raw else None


_ORIGIN = re.compile(r"https?://(\*\.)?(?P<host>[A-Za-z0-9.-]+)(:(?P<port>[0-9]+))?|'self'|file:")


def _is_origin(text: str) -> bool:
    m = _ORIGIN.fullmatch(text)
    return bool(m) and (m["host"] is None or _is_host(m["host"])) and (m["port"] is None or _port_in(m["port"]))


def embed_origins() -> list[str]:
    """CSP frame-ancestors sources of the /embed page (ATLAS_EMBED_ORIGINS; default: any origin, and a page
    opened from a file — CSP's * matches web schemes only, and a desk tries the embed code in a local file)."""
    raw = env_str("ATLAS_EMBED_ORIGINS", "*").strip()
    if raw in ("", "*"):
        return ["*", "file:"]
    origins = [o.rstrip("/") for o in re.split(r"[\s,]+", raw) if o]
    bad = [o for o in origins if not _is_origin(o)] or ([] if origins else [raw])
    if bad:
        raise ConfigError(f"ATLAS_EMBED_ORIGINS: {bad[0]!r} is not an origin like https://news.example.pl "
                          "(or *, or file: for pages opened from a file)")
    return origins


def logo() -> Path | None:
    """ATLAS_LOGO: an .svg or .png file for the exports, or None when unset."""
    raw = _raw("ATLAS_LOGO")
    if raw is None:
        return None
    path = Path(raw)
    if not path.is_file() or path.suffix.lower() not in (".svg", ".png"):
        raise ConfigError(f"ATLAS_LOGO={raw!r} is not an .svg or .png file")
    return path


def browser_path() -> str | None:
    """BROWSER_PATH as given (dashboard.export.render checks the file; kaleido reads the variable itself too)."""
    return _raw("BROWSER_PATH")


def use_temporary_folder(folder: Path) -> None:
    """Make ``folder`` this process's temporary folder from now on: TMPDIR, which its children (Chromium) inherit
    and Python's tempfile reads again. Set here, where every other variable of the environment is handled."""
    import tempfile

    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None


_CHECKED: tuple[Callable[[], object], ...] = (
    host, port, debug, url_prefix, geo_max_age, plotly_bundle, bind, workers, worker_class, threads, timeout,
    max_requests, access_log, log_level, redis_url, cache_mode, cache_mb, cache_items, cache_dir, release,
    celery_imports, secret_key, job_sched_idle, export_cpus, render_service, export_slots, export_queue,
    export_per_client, public_url, embed_origins, logo, browser_path,
)


def validate() -> None:
    """Read every setting; ConfigError listing each bad one (called when the app starts)."""
    problems = []
    for getter in _CHECKED:
        try:
            getter()
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
