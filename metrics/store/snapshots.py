"""Read snapshots: how a writer publishes the store for readers, and which name a reader
opens (see ``db`` for the concurrency design).

    publish_snapshot(Path("mlkpi.duckdb"))   # mlkpi.duckdb → mlkpi.duckdb.snapshot (atomic)
    reader_path(Path("mlkpi.duckdb.snapshot"))  # → mlkpi.duckdb.snapshot.g<inode>
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path


def snapshot_path(db: Path) -> Path:
    return db.with_name(db.name + ".snapshot")


def publish_snapshot(db: Path) -> None:
    """Copy the (closed, checkpointed) live file to the read snapshot atomically, and give
    the new snapshot a second name of its own generation (``generation_path``)."""
    tmp = db.with_name(db.name + ".snapshot.tmp")
    shutil.copyfile(db, tmp)
    wal = db.with_name(db.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
    _link_generation(tmp, snapshot_path(db))
    os.replace(tmp, snapshot_path(db))
    tmp_wal = tmp.with_name(tmp.name + ".wal")
    if tmp_wal.exists():
        os.replace(tmp_wal, snapshot_path(db).with_name(snapshot_path(db).name + ".wal"))
    _drop_old_generations(db)


# DuckDB keeps one database instance per file *name* in a process, and hands it to every
# new connection while any connection to it is open. A dashboard whose sessions keep
# connections open in overlapping turns would thus keep reading the snapshot it first
# opened, however many ingests had published since. So each snapshot also has a name of
# its own generation, a hard link (no copy) named after its inode: readers open that name,
# get a fresh instance for a new snapshot, and the old instance goes with its last
# connection. Old names are removed at the next publish (an open file stays readable).
_GENERATION = ".g"


def generation_path(snap: Path, inode: int) -> Path:
    return snap.with_name(f"{snap.name}{_GENERATION}{inode}")


def _link_generation(tmp: Path, snap: Path) -> None:
    target = generation_path(snap, tmp.stat().st_ino)
    try:
        target.unlink(missing_ok=True)
        os.link(tmp, target)
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            os.link(wal, target.with_name(target.name + ".wal"))
    except OSError:  # no hard links here: readers open the snapshot by its own name
        pass


def _drop_old_generations(db: Path) -> None:
    snap = snapshot_path(db)
    try:
        current = generation_path(snap, snap.stat().st_ino).name
    except OSError:
        return
    for old in snap.parent.glob(f"{glob.escape(snap.name)}{_GENERATION}*"):
        if old.name not in (current, current + ".wal"):
            old.unlink(missing_ok=True)


def reader_path(snap: Path) -> Path:
    """The name to open the current snapshot by: its generation's, when it has one."""
    try:
        path = generation_path(snap, snap.stat().st_ino)
    except OSError:
        return snap
    return path if path.exists() else snap
