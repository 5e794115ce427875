"""geodata failure modes: every one ends in one clear error that names the file or gmina and the fix."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import geodata
from geodata import prepare as prep
from geodata.errors import ChecksumMismatch, EnrichmentUnavailable, InvalidBoundaries, SourceUnavailable
from geodata.sources import SOURCES, resolve, sha256_file
from tests.gunicorn_server import free_port

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ATLAS_GEODATA_MIRROR") or ROOT.parent / "shared" / "geodata")
OFFLINE = f"http://127.0.0.1:{free_port()}"  # a free port: nothing listens there -> connection refused
pytestmark = pytest.mark.skipif(not (MIRROR / "prg" / "gminy.geojson").is_file(),
                                reason=f"no geodata mirror at {MIRROR} (set ATLAS_GEODATA_MIRROR)")


@pytest.fixture
def offline(monkeypatch):
    """No mirror and no network: both download bases point at a closed local port."""
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(OFFLINE.rsplit(":", 1)[1]))) != 0, f"{OFFLINE} must be closed"
    monkeypatch.delenv("ATLAS_GEODATA_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_GEODATA_GITHUB_RAW", OFFLINE)
    monkeypatch.setenv("ATLAS_GEODATA_NPM_REGISTRY", OFFLINE)


def copy_mirror(target: Path, with_originals: bool = True) -> Path:
    shutil.copytree(MIRROR / "prg", target / "prg")
    if with_originals:
        shutil.copytree(MIRROR / "originals", target / "originals")
    return target


def test_no_mirror_and_no_network_is_one_clear_error(offline, tmp_path):
    with pytest.raises(SourceUnavailable) as err:
        prep.prepare(cache_dir=tmp_path, quiet=True)
    msg = str(err.value)
    for name in ("prg/gminy.geojson", "prg/powiaty.geojson", "prg/wojewodztwa.geojson", "prg/polska.geojson"):
        assert name in msg
    assert "ATLAS_GEODATA_MIRROR" in msg and "network" in msg and OFFLINE in msg
    assert not (tmp_path / "geodata" / "manifest.json").exists()


def test_cli_offline_exits_nonzero_with_the_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ATLAS_GEODATA_MIRROR"}
    env.update(ATLAS_CACHE_DIR=str(tmp_path), ATLAS_GEODATA_GITHUB_RAW=OFFLINE, ATLAS_GEODATA_NPM_REGISTRY=OFFLINE)
    run = subprocess.run([sys.executable, "-m", "geodata", "prepare"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "geodata: error:" in run.stderr and "ATLAS_GEODATA_MIRROR" in run.stderr
    assert "Traceback" not in run.stderr


def test_corrupted_file_is_a_sha256_mismatch_naming_the_file(tmp_path):
    mirror = copy_mirror(tmp_path / "mirror", with_originals=False)
    target = mirror / "prg" / "powiaty.geojson"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit inside a coordinate
    target.chmod(0o644)
    target.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch) as err:
        prep.prepare(mirror=mirror, cache_dir=tmp_path / "cache", quiet=True)
    msg = str(err.value)
    assert str(target) in msg and SOURCES["powiaty"].sha256 in msg and sha256_file(target) in msg
    run = subprocess.run([sys.executable, "-m", "geodata", "prepare", "--mirror", str(mirror)], cwd=ROOT,
                         env={**os.environ, "ATLAS_CACHE_DIR": str(tmp_path / "cli")},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "sha256 mismatch" in run.stderr and str(target) in run.stderr


def test_invalid_geometry_names_the_gmina(tmp_path):
    mirror = copy_mirror(tmp_path / "mirror", with_originals=False)
    path = mirror / "prg" / "gminy.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    victim = next(f for f in doc["features"] if f["properties"]["terc"] == "0201011")
    victim["geometry"] = {"type": "Polygon",  # a bowtie: the ring crosses itself
                          "coordinates": [[[15.5, 51.2], [15.6, 51.3], [15.6, 51.2], [15.5, 51.3], [15.5, 51.2]]]}
    path.chmod(0o644)
    path.write_text(json.dumps(doc), encoding="utf-8")
    # the documented test hook: accept this crafted file's checksum (the CLI always checks the pins)
    with pytest.raises(InvalidBoundaries) as err:
        prep.prepare(mirror=mirror, cache_dir=tmp_path / "cache", quiet=True,
                     expected_sha256={"gminy": sha256_file(path)})
    msg = str(err.value)
    assert "0201011 Bolesławiec" in msg and "Self-intersection" in msg and str(path) in msg
    # without the hook the same file is refused for its checksum
    with pytest.raises(ChecksumMismatch):
        prep.prepare(mirror=mirror, cache_dir=tmp_path / "cache", quiet=True)


def test_overlapping_gmina_breaks_the_coverage_and_is_named(tmp_path):
    import shapely

    from geodata import boundaries as bd

    gminy = bd.read_layer(MIRROR / "prg" / "gminy.geojson", "gminy")
    row = gminy.index[gminy["terc"] == "1465011"][0]  # Warszawa, pushed 300 m east over its neighbours
    gminy.loc[row, "geometry"] = shapely.affinity.translate(gminy.geometry[row], xoff=0.0045)
    with pytest.raises(InvalidBoundaries) as err:
        bd.validate_coverage(gminy, "gminy", "test")
    assert "1465011 Warszawa" in str(err.value)


def test_missing_enrichment_inputs_keep_boundaries_working(offline, tmp_path):
    mirror = copy_mirror(tmp_path / "mirror", with_originals=False)
    manifest = prep.prepare(mirror=mirror, cache_dir=tmp_path / "cache", quiet=True)
    assert manifest["gminy"] == 2477
    assert len(geodata.load("gminy", cache_dir=tmp_path / "cache")) == 2477
    for layer in ("crosswalk", "towns"):
        with pytest.raises(EnrichmentUnavailable) as err:
            geodata.load(layer, cache_dir=tmp_path / "cache")
        assert "originals/gugik-gminy-2026.geojson" in str(err.value)
        assert "Boundaries still work" in str(err.value)
    # once the originals are there, a plain re-run builds the enrichments (the inputs changed)
    shutil.copytree(MIRROR / "originals", mirror / "originals")
    again = prep.prepare(mirror=mirror, cache_dir=tmp_path / "cache", quiet=True)
    assert again["status"] == "prepared"
    assert len(geodata.load("crosswalk", cache_dir=tmp_path / "cache")) == 2479


def test_download_of_the_npm_original_from_a_local_registry(tmp_path, monkeypatch):
    """The download path without the network: a local registry serves an npm tarball holding the pinned data.json
    (the mirror's). Tarball sha256 (the pin swapped for this tarball's), member extraction, data.json sha256; a
    tarball other than the pinned one is refused and nothing is written."""
    import dataclasses
    import functools
    import hashlib
    import http.server
    import io
    import tarfile
    import threading

    src = SOURCES["miejscowosci"]
    data = (MIRROR / src.mirror_path).read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(src.tarball_member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tarball = tmp_path / "registry" / src.npm_tarball
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(buffer.getvalue())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "registry"))
    handler.log_message = lambda *a: None
    registry = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=registry.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ATLAS_GEODATA_NPM_REGISTRY", f"http://127.0.0.1:{registry.server_address[1]}")
        with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):    # the real pin: not this tarball
            resolve(src, tmp_path / "refused", mirror=tmp_path / "empty-mirror")
        assert not (tmp_path / "refused").exists()
        local = dataclasses.replace(src, tarball_sha256=hashlib.sha256(buffer.getvalue()).hexdigest())
        path = resolve(local, tmp_path / "downloads", mirror=tmp_path / "empty-mirror")
    finally:
        registry.shutdown()
        registry.server_close()
    assert path.parent == tmp_path / "downloads"
    assert sha256_file(path) == src.sha256
