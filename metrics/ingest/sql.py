"""The one place where ingest puts names, texts and paths into SQL.

Values travel as bound parameters wherever DuckDB takes them. Where it cannot — views,
``COPY … TO``, table-function arguments inside a view, column names — the text is
quoted here and nowhere else:

    ident('lat"ency')            # '"lat""ency"'
    literal("O'Brien")           # "'O''Brien'"
    path(Path("/d/O'Brien/x.csv"))  # "'/d/O''Brien/x.csv'"
    json_path('team')            # '$."team"'  (a JSON path to one key)

A NUL character cannot be written in a DuckDB string literal at all; ``literal`` refuses
it (a file name cannot hold one either).
"""

from __future__ import annotations

import json
from pathlib import Path


def ident(name: str) -> str:
    """A column or table name, double-quoted: ``team`` → ``"team"``."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string literal: ``it's`` → ``'it''s'``."""
    if "\x00" in text:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def path(file: Path | str) -> str:
    """A file path as a string literal, for ``read_csv(…)`` in a view or ``COPY … TO``."""
    return literal(str(file))


def json_path(key: str) -> str:
    """A JSONPath to one top-level key, as a literal: ``team`` → ``'$."team"'``."""
    return literal("$." + json.dumps(key, ensure_ascii=False))


# short names for the many column names in generated validation SQL
q = ident
lit = literal
