"""The callback-answer cache key must change when the data behind the atlas changes (office files, boundaries)."""
import shutil

from dashboard.serving import answers as cache


def _release(monkeypatch, **env):
    for key in ("ATLAS_RELEASE", "ATLAS_DATA_DIR", "ATLAS_MEMBERS", "ATLAS_PARTICIPATION", "ATLAS_PROJECTS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cache.release_version.cache_clear()
    try:
        return cache.release_version()
    finally:
        cache.release_version.cache_clear()


def test_office_register_changes_the_release(monkeypatch, tmp_path):
    shipped = _release(monkeypatch)
    register = tmp_path / "members.csv"
    shutil.copy("data/members.csv", register)
    same_content = _release(monkeypatch, ATLAS_MEMBERS=str(register))
    register.write_text(register.read_text(encoding="utf-8") + "Kraków,małopolskie,town,,1990,,x\n", encoding="utf-8")
    edited = _release(monkeypatch, ATLAS_MEMBERS=str(register))
    assert edited != same_content
    assert shipped != edited


def test_explicit_release_wins(monkeypatch):
    assert _release(monkeypatch, ATLAS_RELEASE="v1") == "v1"


def test_the_release_covers_the_code_of_every_sub_package(monkeypatch):
    """After the move into sub-packages the hash read dashboard/*.py only: a change to dashboard/view/figures.py
    would have kept serving the old release's answers from a shared cache."""
    from pathlib import Path

    seen = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: seen.append(self.as_posix()) or real(self))
    _release(monkeypatch)
    for module in ("dashboard/view/figures.py", "dashboard/model/query.py", "dashboard/serving/guard.py"):
        assert any(p.endswith(module) for p in seen), module
