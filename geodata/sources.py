"""Pinned public originals and how to get them: mirror folder first, else HTTPS download; sha256 always.

Mirror layout (the same as ../shared/geodata): prg/<name>.geojson and originals/<file>.
Download base URLs can be overridden (tests point them at a closed local port to simulate "offline"):
    ATLAS_GEODATA_GITHUB_RAW   default https://raw.githubusercontent.com
    ATLAS_GEODATA_NPM_REGISTRY default https://registry.npmjs.org
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ChecksumMismatch, SourceUnavailable

MIRROR_ENV = "ATLAS_GEODATA_MIRROR"
GITHUB_RAW_ENV = "ATLAS_GEODATA_GITHUB_RAW"
NPM_REGISTRY_ENV = "ATLAS_GEODATA_NPM_REGISTRY"
GITHUB_RAW_DEFAULT = "https://raw.githubusercontent.com"
NPM_REGISTRY_DEFAULT = "https://registry.npmjs.org"

PRG_REPO, PRG_COMMIT = "jusuff/PolandGeoJson", "d96c034dbd0ac545a5daddfac5a45d1807c63e09"
GUGIK_REPO = "GlownyUrzadGeodezjiIKartografii/pobierz_dane_GUGiK"
GUGIK_COMMIT = "74306b76df6a1e453b17486125c79271316d2e0f"


@dataclass(frozen=True)
class Source:
    """One pinned input file. `mirror_path` is relative to the mirror root."""

    name: str
    mirror_path: str
    sha256: str
    description: str
    repo: str = ""            # GitHub owner/name (raw download) ...
    commit: str = ""
    path: str = ""            # ... path inside the repository
    npm_tarball: str = ""     # or an npm tarball path below the registry ("pkg/-/pkg-1.0.0.tgz") ...
    tarball_sha256: str = ""
    tarball_member: str = ""  # ... and the member to extract from it

    def url(self) -> str:
        if self.npm_tarball:
            base = os.environ.get(NPM_REGISTRY_ENV) or NPM_REGISTRY_DEFAULT
            return f"{base.rstrip('/')}/{self.npm_tarball}"
        base = os.environ.get(GITHUB_RAW_ENV) or GITHUB_RAW_DEFAULT
        return f"{base.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"

    def origin(self) -> str:
        """Human-readable pinned origin (for error messages, info and README)."""
        if self.npm_tarball:
            return f"npm {self.npm_tarball.split('/')[-1]} ({self.tarball_member})"
        return f"github.com/{self.repo} @ {self.commit[:8]}, {self.path}"


def _prg(name: str, path: str, sha: str) -> Source:
    return Source(name, f"prg/{name}.geojson", sha, f"PRG 2020 {name}", PRG_REPO, PRG_COMMIT, path)


SOURCES: dict[str, Source] = {s.name: s for s in (
    _prg("gminy", "data/poland.municipalities.json",
         "e4fbdfd47f478b2433002e6ddaf093d02905ef118b69e0427ff7af4c3a5ae88c"),
    _prg("powiaty", "data/poland.counties.json",
         "fdf9381e109195bb321bac4cd5d8c9ed0e1f9a8503c095785d03bf023cf48659"),
    _prg("wojewodztwa", "data/poland.voivodeships.json",
         "a7127983335baeb5437213e07d199ca548fd8b7ba2b71caebd941518392e3ce8"),
    _prg("polska", "data/poland.country.json",
         "e254d49fbe08f0b12a4a6e730149a7b0da61ff20e452a72f047142e23715eb25"),
    Source("gugik_gminy_2026", "originals/gugik-gminy-2026.geojson",
           "1f34307369066029c33a3778d68a05b723803e701ece29ef898874b31e6a6329",
           "GUGiK gmina code list 2026 (names and TERYT, no geometry)",
           GUGIK_REPO, GUGIK_COMMIT, "data/gminy.geojson"),
    Source("miejscowosci", "originals/polskie-miejscowosci-1.0.2-data.json",
           "aad5fbb9f4ad3dbeb388f51c9ed7fe07912cecfe774c54d7766a618cd2669e5b",
           "PRNG towns and villages 2021 (npm polskie-miejscowosci 1.0.2)",
           npm_tarball="polskie-miejscowosci/-/polskie-miejscowosci-1.0.2.tgz",
           tarball_sha256="594bcef40fe13924dec7e7de9a2df340024dfc5f3d1e6f7e4cd6c08bc00d0017",
           tarball_member="package/data.json"),
)}
BOUNDARY_SOURCES = ("gminy", "powiaty", "wojewodztwa", "polska")
ENRICHMENT_SOURCES = ("gugik_gminy_2026", "miejscowosci")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"sha256 mismatch for {path} ({what}): expected {expected}, got {actual}. The file is corrupt or "
            f"not the pinned original; replace it with a fresh copy (or delete it to download it again).")


def mirror_root(mirror: str | os.PathLike | None = None) -> Path | None:
    """The mirror folder: the explicit argument, else $ATLAS_GEODATA_MIRROR, else None."""
    value = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    return Path(value) if value else None


def resolve(source: Source, download_dir: Path, mirror: str | os.PathLike | None = None,
            expected_sha256: str | None = None) -> Path:
    """Path of a verified copy of `source`: from the mirror, else the download cache, else downloaded.

    `expected_sha256` exists for tests only (a crafted mirror file); production passes None = the pin.
    A mirror file with a wrong checksum is an error (never silently replaced by a download).
    """
    expected = expected_sha256 or source.sha256
    root = mirror_root(mirror)
    if root is not None:
        candidate = root / source.mirror_path
        if candidate.is_file():
            verify(candidate, expected, f"{source.description}, pinned {source.origin()}")
            return candidate
    cached = download_dir / Path(source.mirror_path).name
    if cached.is_file():
        verify(cached, expected, f"downloaded copy of {source.origin()}")
        return cached
    _download(source, cached, root)
    return cached


def _fetch(url: str, label: str) -> bytes:
    import requests
    from tqdm import tqdm

    with requests.get(url, stream=True, timeout=(5, 60)) as r:
        r.raise_for_status()
        total = int(r.headers.get("content-length") or 0) or None
        buf = io.BytesIO()
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {label}", leave=False) as bar:
            for chunk in r.iter_content(1 << 16):
                buf.write(chunk)
                bar.update(len(chunk))
    return buf.getvalue()


FIX = (f"Fix: set {MIRROR_ENV} (or --mirror) to a folder with prg/*.geojson and originals/* "
       f"(e.g. ../shared/geodata), or run once with network access.")


def _where(mirror: Path | None) -> str:
    if mirror is None:
        return f"no mirror is set (${MIRROR_ENV} is empty and no --mirror was given)"
    if not mirror.is_dir():
        return f"the mirror folder {mirror} does not exist"
    return f"not in the mirror {mirror}"


def _short(exc: Exception) -> str:
    """A one-line reason: '[Errno 111] Connection refused' rather than urllib3's nested repr."""
    text = str(exc)
    found = re.search(r"\[Errno [^\]]+\][^'\")]*", text)
    return f"{type(exc).__name__}: {found.group(0).strip() if found else text[:160]}"


def _download(source: Source, target: Path, mirror: Path | None) -> None:
    url = source.url()
    try:
        payload = _fetch(url, Path(source.mirror_path).name)
    except Exception as exc:  # network errors of every kind end in the one clear message below
        err = SourceUnavailable(
            f"{source.mirror_path} ({source.description}) is missing: {_where(mirror)}, and the download of the "
            f"pinned original {url} failed ({_short(exc)}). {FIX}")
        err.detail = f"{source.mirror_path}: download of {url} failed ({_short(exc)})"
        raise err from exc
    if source.npm_tarball:
        actual = hashlib.sha256(payload).hexdigest()
        if actual != source.tarball_sha256:
            raise ChecksumMismatch(f"sha256 mismatch for {url}: expected {source.tarball_sha256}, got {actual}")
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
            member = tar.extractfile(source.tarball_member)
            if member is None:
                raise SourceUnavailable(f"{url} has no member {source.tarball_member}")
            payload = member.read()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != source.sha256:
        raise ChecksumMismatch(f"sha256 mismatch for {url} ({source.description}): expected {source.sha256}, "
                               f"got {actual}; nothing was written.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(payload)
    os.replace(tmp, target)
