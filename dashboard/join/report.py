"""JoinReport: every input row of the union's tables with its status (matched / ambiguous / unmatched / invalid /
duplicate), reason, candidates and suggestions — what `check-data` prints and the app shows."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dashboard.ingest.dataset import Problem
from dashboard.join.gazetteer import Candidate

STATUSES = ("matched", "ambiguous", "unmatched", "invalid", "duplicate")


@dataclass
class RowResult:
    table: str                   # "members" | "participation"
    file: str
    row: int                     # row number as Excel shows it
    name: str
    voivodeship: str             # as written in the file
    status: str                  # matched | ambiguous | unmatched | invalid | duplicate
    teryt: str | None = None     # 7-digit gmina or 4-digit powiat, when resolved
    entity_kind: str | None = None   # "gmina" | "powiat"
    method: str | None = None    # teryt | teryt6 | crosswalk | name | name_fallback | point | None
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    project_id: str | None = None
    index: int | None = None     # position in the Table frame
    woj: str | None = None       # the row's voivodeship as a 2-digit code, when recognised

    def to_dict(self) -> dict:
        d = {"row": self.row, "name": self.name, "voivodeship": self.voivodeship, "woj": self.woj,
             "status": self.status,
             "teryt": self.teryt, "kind": self.entity_kind, "method": self.method, "reason": self.reason,
             "candidates": [asdict(c) for c in self.candidates], "suggestions": self.suggestions,
             "problems": [p.to_dict() for p in self.problems], "file": self.file}
        if self.table == "participation":
            d["project_id"] = self.project_id
        return d


@dataclass
class JoinReport:
    rows: list[RowResult] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)     # not tied to one member/participation row
    files: dict[str, str] = field(default_factory=dict)            # table -> path
    skipped_empty_rows: dict[str, list[int]] = field(default_factory=dict)
    tables: dict[str, dict] = field(default_factory=dict)          # table -> how it was read (encoding, …)
    origins: dict[str, str] = field(default_factory=dict)          # table -> ATLAS_MEMBERS / ATLAS_DATA_DIR / data/

    def for_table(self, table: str) -> list[RowResult]:
        return [r for r in self.rows if r.table == table]

    def summary(self) -> dict:
        out = {s: 0 for s in STATUSES}
        for r in self.rows:
            out[r.status] += 1
        out["total"] = len(self.rows)
        out["skipped_empty_rows"] = sum(len(v) for v in self.skipped_empty_rows.values())
        out["file_problems"] = len(self.file_problems)
        return out

    def summary_by_table(self) -> dict[str, dict]:
        out = {}
        for t in dict.fromkeys(r.table for r in self.rows):
            c = {s: 0 for s in STATUSES}
            for r in self.for_table(t):
                c[r.status] += 1
            out[t] = c
        return out

    @property
    def needs_attention(self) -> list[RowResult]:
        return [r for r in self.rows if r.status != "matched"]

    @property
    def ok(self) -> bool:
        """Every row matched and no file-level problem that blocks (notes such as a skipped totals row don't)."""
        return not self.needs_attention and not any(p.blocking for p in self.file_problems)

    def to_json_dict(self) -> dict:
        return {"summary": self.summary(), "files": self.files, "origins": self.origins, "tables": self.tables,
                "file_problems": [p.to_dict() for p in self.file_problems],
                "members": [r.to_dict() for r in self.for_table("members")],
                "participation": [r.to_dict() for r in self.for_table("participation")],
                "events": [r.to_dict() for r in self.for_table("events")]}
