"""The rules of the house that CI checks (see README, "Layout"): imports follow the pipeline, only the Dash glue
imports Dash or Flask, ruff finds nothing, and no test skips what `make test` installs."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each part of the package may import from the package (besides itself and the third-party libraries).
# geodata ─► ingest ─► join ─► model ─► view / export ─► serving; app.py and __main__ wire everything.
# export re-frames the dashboard's own map (view.figures) and may import view; view never imports export.
ALLOWED = {
    "config": set(),
    "i18n": set(),
    "ingest": {"config"},
    "join": {"config", "ingest"},
    "model": {"config", "ingest", "join"},
    "view": {"config", "i18n", "ingest", "join", "model"},
    "export": {"config", "i18n", "ingest", "join", "model", "view"},
    "serving": {"config", "i18n", "ingest", "join", "model", "view", "export"},
    "app": {"config", "i18n", "ingest", "join", "model", "view", "export", "serving"},
    "__main__": {"model", "export"},
}
WEB = ("dash", "flask", "werkzeug", "flask_compress", "dash_table")
MAY_IMPORT_WEB = ("dashboard/view/", "dashboard/serving/", "dashboard/export/panel.py", "dashboard/app.py")


def _part(module: str) -> str | None:
    """'dashboard.model.query' -> 'model'; 'dashboard' (from dashboard import config) -> None."""
    bits = module.split(".")
    return bits[1] if bits[0] == "dashboard" and len(bits) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement names (function-level imports included), as dotted names."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "dashboard":   # from dashboard import config, i18n
                out += [(node.lineno, f"dashboard.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_imports_follow_the_pipeline():
    wrong = []
    for path in _sources("dashboard"):
        rel = path.relative_to(ROOT / "dashboard")
        part = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if part == "__init__":
            continue
        for line, module in _imports(path):
            target = _part(module)
            if target is not None and target != part and target not in ALLOWED[part]:
                wrong.append(f"dashboard/{rel}:{line} ({part}) imports {module}")
    assert not wrong, "imports against the pipeline direction:\n" + "\n".join(wrong)


def test_model_knows_no_language_and_geodata_no_dashboard():
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {m}" for folder in ("dashboard/ingest", "dashboard/join",
                                                                       "dashboard/model")
             for p in _sources(folder) for line, m in _imports(p) if _part(m) == "i18n"]
    wrong += [f"{p.relative_to(ROOT)}:{line} imports {m}" for p in _sources("geodata") for line, m in _imports(p)
              if m.split(".")[0] == "dashboard"]
    assert not wrong, "\n".join(wrong)


def test_only_the_dash_glue_imports_dash_or_flask():
    wrong = []
    for path in [*_sources("dashboard"), *_sources("geodata")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(MAY_IMPORT_WEB):
            continue
        wrong += [f"{rel}:{line} imports {m}" for line, m in _imports(path) if m.split(".")[0] in WEB]
    assert not wrong, "Dash/Flask outside view/, export/panel.py, serving/ and app.py:\n" + "\n".join(wrong)


def test_the_rules_catch_a_wrong_import(tmp_path):
    """The checker itself: a model module importing the view, or i18n, is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from dashboard.view import figures\n\ndef f():\n    from dashboard import i18n\n")
    assert [m for _, m in _imports(bad)] == ["dashboard.view", "dashboard.i18n"]
    assert {_part(m) for _, m in _imports(bad)} - ALLOWED["model"] == {"view", "i18n"}


def test_ruff_finds_nothing():
    """ruff (pinned in requirements-dev.txt, rules in ruff.toml) over the whole repository."""
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_settings_are_read_only_in_config():
    """Every environment variable is read (and checked) in dashboard/config.py, nowhere else in the package."""
    wrong = []
    for path in _sources("dashboard"):
        if path.name == "config.py" and path.parent.name == "dashboard":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
    assert not wrong, "settings read outside dashboard/config.py:\n" + "\n".join(wrong)


# A test without its geodata mirror has nothing to compare with (geodata downloads the originals instead); any
# other missing piece is installed by `make test`, so its absence is a failure (tests/system_tools.py).
MAY_SKIP = {"tests/test_geodata.py", "tests/test_geodata_failures.py"}


def test_no_test_skips_what_make_test_installs():
    skips = []
    for path in _sources("tests"):
        if str(path.relative_to(ROOT)) in MAY_SKIP:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("skip", "skipif", "importorskip") and \
                    isinstance(node.value, (ast.Name, ast.Attribute)) and "pytest" in ast.unparse(node.value):
                skips.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not skips, "skips that would hide a regression (fail and name the package instead):\n" + "\n".join(skips)
