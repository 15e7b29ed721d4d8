"""What one ingest did: the counts, row errors and file errors ``mlkpi ingest`` reports
(``cli.md``: exit 0 stored, 1 rows quarantined, 2 a file error)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestResult:
    kind: str
    files: list[str]
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    errors: list[dict] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    strict_rejected: bool = False
    committed: bool = False

    @property
    def exit_code(self) -> int:
        if self.file_errors:
            return 2
        return 1 if self.quarantined else 0

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "files": self.files, "inserted": self.inserted,
            "updated": self.updated, "duplicates": self.duplicates,
            "quarantined": self.quarantined, "errors": self.errors,
            "file_errors": self.file_errors, "extra_columns": self.extra_columns,
            "stored": not self.strict_rejected,
        }
