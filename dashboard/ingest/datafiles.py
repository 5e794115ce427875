"""Which files the atlas is built from: the office's own, or the shipped data/ (read from the environment).

ATLAS_MEMBERS / ATLAS_PARTICIPATION / ATLAS_PROJECTS / ATLAS_EVENTS
                      one file each (CSV or XLSX; `rejestr.xlsx#Arkusz1` picks a sheet). Wins over ATLAS_DATA_DIR.
ATLAS_DATA_DIR        a folder holding the office's files, found by name (case and diacritics ignored, any of
                      .csv .xlsx .xlsm .ods .xls .txt .tsv):
                          members        members, członkowie, czlonkowie
                          participation  participation, udział, udzial, uczestnictwo
                          projects       projects, projekty
                          events         events, membership_events, zdarzenia, historia członkostwa
                      A table with no file there comes from data/ (the report says so); two files for one table
                      are an error.
Nothing set: the shipped data/. With the office's own members file, data/membership_events.csv is not used (it
describes the shipped members): give an events file of the office's, or dates in its register.
membership_totals.csv and summary_2020.csv always come from data/.

    data_files(environ=None) -> {"members": DataFile, "participation": DataFile, "projects": DataFile,
                                 "events": DataFile}
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard import config
from dashboard.ingest.tabular import DataFileError, split_sheet
from dashboard.ingest.values import fold

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TABLES = ("members", "participation", "projects", "events")
FILE_ENV = {"members": "ATLAS_MEMBERS", "participation": "ATLAS_PARTICIPATION", "projects": "ATLAS_PROJECTS",
            "events": "ATLAS_EVENTS"}
DIR_ENV = "ATLAS_DATA_DIR"
STEMS = {"members": ("members", "czlonkowie"), "participation": ("participation", "udzial", "uczestnictwo"),
         "projects": ("projects", "projekty"),
         "events": ("events", "membershipevents", "zdarzenia", "historiaczlonkostwa", "przystapieniaiwystapienia")}
SHIPPED = {"members": "members.csv", "participation": "participation.csv", "projects": "projects.csv",
           "events": "membership_events.csv"}
EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".ods", ".xls", ".txt", ".tsv")   # .xls: often HTML


@dataclass(frozen=True)
class DataFile:
    path: str      # may end in '#Sheet'
    origin: str    # 'ATLAS_MEMBERS', 'ATLAS_DATA_DIR', 'data/' (shipped) or 'command line'

    @property
    def shipped(self) -> bool:
        return self.origin == "data/"


def is_shipped(path: str | Path, table: str = "members") -> bool:
    """The file is the shipped data/ one of ``table`` (the union's public data), not an office's own."""
    return Path(split_sheet(str(path))[0]).resolve() == (DATA_DIR / SHIPPED[table]).resolve()


def data_files(environ=None) -> dict[str, DataFile]:
    """The file of each table, by the rules above. Raises DataFileError for a folder that does not exist, a
    configured file that does not exist, or two candidate files for one table."""
    env = config.data_settings() if environ is None else environ
    folder = (env.get(DIR_ENV) or "").strip()
    found = _scan(Path(folder)) if folder else {}
    out = {}
    for table in TABLES:
        given = (env.get(FILE_ENV[table]) or "").strip()
        if given:
            if not split_sheet(given)[0].exists():
                raise DataFileError(given, f"file not found (set by {FILE_ENV[table]})",
                                    f"correct {FILE_ENV[table]} or unset it")
            out[table] = DataFile(given, FILE_ENV[table])
        elif table in found:
            out[table] = DataFile(str(found[table]), DIR_ENV)
        else:
            out[table] = DataFile(str(DATA_DIR / SHIPPED[table]), "data/")
    if not out["members"].shipped and out["events"].shipped:
        del out["events"]   # the shipped events describe the shipped members, not the office's register
    return out


def _scan(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise DataFileError(folder, f"not a folder (set by {DIR_ENV})", f"correct {DIR_ENV} or unset it")
    hits: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in EXTENSIONS or p.name.startswith(("~$", ".")):   # ~$x.xlsx: Excel's lock file
            continue
        stem = fold(p.stem).replace(" ", "")
        for table, stems in STEMS.items():
            if stem in stems:
                hits.setdefault(table, []).append(p)
    for table, paths in hits.items():
        if len(paths) > 1:
            raise DataFileError(folder, f"two files for {table} in {DIR_ENV}: " + ", ".join(p.name for p in paths),
                                "keep one of them in the folder")
    return {t: ps[0] for t, ps in hits.items()}


def with_origin(error: DataFileError, files: dict[str, DataFile]) -> DataFileError:
    """The same error, saying which setting named the file ('… (file set by ATLAS_DATA_DIR)')."""
    origin = next((f.origin for f in files.values() if f.path == error.path and not f.shipped), None)
    if not origin or origin == "command line":
        return error
    return DataFileError(error.path, f"{error.reason} (file set by {origin})", error.fix)
