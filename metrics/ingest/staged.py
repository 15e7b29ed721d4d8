"""What every reader shares: the staged file, the file error, binding a header by name.

    positions, extra = bind(kind, ["team", "area", "notes"], "roster.csv")
    # ({"team": 0, "area": 1}, ["notes"])
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from metrics.events import Kind
from metrics.ingest import limits

# what reading a damaged file can raise, besides DuckDB's own errors
READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeDecodeError)


class FileError(Exception):
    """A file that cannot be used at all; the message is one sentence."""


@dataclass
class Staged:
    file: str
    table: str
    fmt: str
    rows: int | None
    present: dict[str, str]  # contract column -> source SQL type ('VARCHAR' for text)
    extra: list[str] = field(default_factory=list)
    path: Path | None = None  # the file read (for stdin: its temporary copy)
    width: int = 0  # CSV: columns in the header, for parse-error messages
    ok: bool = True  # False once validation found the file unreadable
    pre: bool = False  # the staged table has ``_pre``: problems its reader found per record
    checked: bool = False  # its failing rows are in ``bad`` (``typed.type_files``/``check``)

    @property
    def unit(self) -> str:
        return "line" if self.fmt in ("csv", "jsonl") else "record"


def no_rows(shown: str) -> str:
    return f"{shown}: the file has no rows."


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def opener(path: Path):
    return gzip.open if is_gzip(path) else open


def unreadable(shown: str, exc: BaseException) -> FileError:
    """A damaged or unreadable file (a cut-short gzip, bytes that are not UTF-8, no
    permission), said for people."""
    if isinstance(exc, UnicodeDecodeError):
        return FileError(f"{shown}: the file is not UTF-8 text; save it as UTF-8.")
    if isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
        return FileError(f"{shown}: the file is not a complete gzip file (it may be cut "
                         "short); compress it again.")
    if isinstance(exc, PermissionError):
        return FileError(f"{shown}: cannot be opened (permission denied).")
    if isinstance(exc, IsADirectoryError):
        return FileError(f"{shown}: is a folder, not a file; name the files in it.")
    return FileError(f"{shown}: cannot be read ({exc.strerror or exc}).")  # type: ignore[union-attr]


def bind(kind: Kind, names: list[str], shown: str) -> tuple[dict[str, int], list[str]]:
    """Map contract columns to their position in the file's own header, by name.

    Linear in the number of names; more than ``limits.MAX_COLUMNS`` is a file error."""
    if len(names) > limits.MAX_COLUMNS:
        raise FileError(limits.too_many_columns(shown, len(names)))
    clean = [nm.strip().lstrip("\ufeff") for nm in names]
    counts = Counter(nm for nm in clean if nm)
    dupes = sorted(nm for nm, n in counts.items() if n > 1)
    if dupes:
        raise FileError(f"{shown}: the header names {', '.join(dupes)} more than once.")
    missing = [c for c in kind.required if c not in counts]
    if missing:
        have = ", ".join(nm for nm in clean if nm) or "none"
        raise FileError(
            f"{shown}: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing for kind {kind.name} (the file has: {have})."
        )
    positions = {nm: i for i, nm in enumerate(clean) if kind.has_column(nm)}
    extra = [nm for nm in clean if nm and not kind.has_column(nm)]
    return positions, extra


def short(exc: BaseException) -> str:
    """DuckDB's message without its SQL excerpt, its error class or its advice, ≤ 200 chars."""
    text = " ".join(str(exc).split("\nLINE ")[0].split("\nPossible Solution")[0].split())
    text = text.split("Error: ", 1)[-1]
    return text[:200].rstrip(". ")
