"""What a killed writer can leave behind, and how to tell.

A writer works under the store's lock (``db.writer``), so whoever holds the lock knows
that no other writer of the store is running, and that whatever writers leave beside the
store is left over from one that died:

* ``.<store>.ingest-*/`` — an ingest's scratch folder (stdin copies, a big CSV's typed
  rows), removed by the ingest itself when it ends normally;
* ``<store>.snapshot.tmp`` (and ``.wal``) — a snapshot copy that was never renamed;
* ``<store>.tmp/`` — DuckDB's spill folder of the live file.

And a writer killed between its commit and its publish leaves the live file newer than the
snapshot (or a live ``.wal`` beside it): ``unpublished`` says so, and the next writer, or
the next reader (``db.connect_read``), publishes it.

    unpublished(Path("mlkpi.duckdb"))   # True after a kill between commit and publish
    leftovers(Path("mlkpi.duckdb"))     # [Path(".mlkpi.duckdb.ingest-k2j1"), ...]
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SCRATCH = ".ingest-"


def scratch_prefix(db: Path) -> str:
    """The name every ingest scratch folder of ``db`` starts with (it lives beside it)."""
    return f".{db.name}{SCRATCH}"


def snapshot_tmp(db: Path) -> Path:
    return db.with_name(db.name + ".snapshot.tmp")


def unpublished(db: Path) -> bool:
    """Whether the live file holds changes its snapshot lacks (or has no snapshot)."""
    snap = db.with_name(db.name + ".snapshot")
    try:
        live = db.stat().st_mtime_ns
    except OSError:
        return False
    if db.with_name(db.name + ".wal").exists():
        return True
    try:
        return live > snap.stat().st_mtime_ns  # a snapshot is copied after the live file
    except OSError:
        return True


def leftovers(db: Path) -> list[Path]:
    """Scratch folders, snapshot copies and spill folders that writers of ``db`` leave;
    only call it holding the store's lock, when they are all left over."""
    found = []
    prefix = scratch_prefix(db)
    tmp = snapshot_tmp(db)
    names = {tmp.name, tmp.name + ".wal", db.name + ".tmp"}
    try:
        entries = list(os.scandir(db.parent))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(prefix) or entry.name in names:
            found.append(Path(entry.path))
    return found


def remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
