"""Read a source's files, map their records to event rows, store them through ingest.

    result = import_files(db, "github-deployments", ["deployments.jsonl", "statuses.json"],
                          map_path="map.toml")

Rows are stored by the public ``metrics.ingest.run.ingest`` (validation, quarantine,
duplicates, history, one transaction, snapshot), from a Parquet file per kind written in
a scratch folder next to the store; ``stage`` then puts the user's file, line and the map
key back on every quarantined row (``team: no value; set [team] in the map``).
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from metrics.importers import all_keys, source
from metrics.importers.base import Doc, Rec, Row, ShapeError, Skip
from metrics.importers.mapfile import ImportMap, load_map
from metrics.importers.reading import ReadError, json_documents, read_bytes
from metrics.importers.rules import Mapper

Progress = Callable[[str], None]


@dataclass
class ImportResult:
    """What one import did: the ingest result per kind, the skips and the file errors."""

    source: str
    files: list[str]
    dry_run: bool = False
    kinds: dict = field(default_factory=dict)  # kind → metrics.ingest.run.IngestResult
    skipped: Counter = field(default_factory=Counter)
    file_errors: list[str] = field(default_factory=list)
    records: int = 0
    preview: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.file_errors or any(r.file_errors for r in self.kinds.values()):
            return 2
        return 1 if any(r.quarantined for r in self.kinds.values()) else 0

    def to_json(self) -> dict:
        out = {"source": self.source, "files": self.files,
               "kinds": {k: r.to_json() for k, r in self.kinds.items()},
               "skipped": dict(self.skipped), "file_errors": self.file_errors,
               "records": self.records, "dry_run": self.dry_run}
        if self.dry_run:
            out["preview"] = self.preview
        return out


def make_mapper(map_path: str | Path | None, options: dict | None = None) -> Mapper:
    """The map at ``map_path`` checked against every source's keys (MapError if bad)."""
    keys = all_keys()
    return Mapper(load_map(map_path, keys.values()), keys, options or {})


def import_files(db: Path, source_name: str, files: Sequence[str],
                 map_path: str | Path | None = None, dry_run: bool = False,
                 progress: Progress | None = None, options: dict | None = None
                 ) -> ImportResult:
    """Import ``files`` of ``source_name``; see the module docstring."""
    module = source(source_name)
    mapper = make_mapper(map_path, options)
    say = progress or (lambda _msg: None)
    result = ImportResult(module.NAME, list(files), dry_run)
    recs: list[Rec] = []
    with no_cyclic_gc():
        for name in files:
            say(f"reading {name}")
            try:
                recs.extend(file_records(module, name))
            except (ReadError, ShapeError) as exc:
                result.file_errors.append(f"{name}: {_sentence(exc)}")
        return import_records(db, module, recs, mapper, result, say)


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Parsed JSON holds no reference cycles, yet millions of new dicts trigger the cyclic
    collector over and over, each pass walking every one: off while reading and mapping
    (measured: reading 100k deployments with statuses takes a third less CPU)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def import_documents(db: Path, module: ModuleType, docs: Iterable[Doc], mapper: Mapper,
                     result: ImportResult, progress: Progress | None = None) -> ImportResult:
    """Store documents a source fetched itself (a live server) through the same path."""
    recs = [rec for doc in docs for rec in module.records(doc)]
    return import_records(db, module, recs, mapper, result, progress or (lambda _m: None))


def file_records(module: ModuleType, name: str) -> list[Rec]:
    """The records of one file; ReadError or ShapeError if it cannot be used at all."""
    data = read_bytes(name)
    reader = getattr(module, "read", json_documents)
    recs: list[Rec] = []
    for doc in reader(name, data):
        where = f"line {doc.line}: " if doc.line > 1 else ""
        try:
            recs.extend(module.records(doc))
        except ShapeError as exc:
            raise ShapeError(f"{where}{exc}") from None
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            # a field of another type than the vendor documents (a string for an object…)
            raise ShapeError(f"{where}a record is not shaped as {module.NAME} exports are; "
                             f"is this the right source?") from None
    return recs


def import_records(db: Path, module: ModuleType, recs: list[Rec], mapper: Mapper,
                   result: ImportResult, say: Progress) -> ImportResult:
    from metrics.importers import stage

    result.records = sum(rec.count for rec in recs)
    say(f"mapping {result.records:,} records")
    rows: dict[str, list[Row]] = {}
    for out in module.events(recs, mapper):
        if isinstance(out, Skip):
            result.skipped[out.reason] += 1
        else:
            rows.setdefault(out.kind, []).append(out)
    if not rows and module.WRITES and not result.file_errors:
        rows[module.WRITES[0]] = []
    for kind, kind_rows in rows.items():
        say(f"storing {len(kind_rows):,} {kind} rows")
        result.kinds[kind] = stage.store_rows(db, kind, kind_rows, result, say)
    return result


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text.endswith((".", "?", "!")) else text + "."


__all__ = ["ImportMap", "ImportResult", "import_documents", "import_files", "make_mapper"]
