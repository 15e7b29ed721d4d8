"""Files → validated, typed rows → one transaction in the store (``run.ingest``).

``readers`` stages a file (``csv_reader``, ``json_reader``, Parquet; what they share is in
``staged``), ``validate`` writes the SQL that converts and checks every column with our own
reasons, ``typed`` holds the converted rows of a large CSV, and ``run`` upserts,
quarantines and keeps history in one transaction. ``limits`` holds the bounds an ingest
keeps (columns, line and field lengths, dates, time: ``deadline``); ``sql`` is the one
place names, texts and paths are quoted into SQL.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "ingest_files":  # metrics.ingest_files(db, kind, files): the whole ingest
        from metrics.ingest.run import ingest

        return ingest
    raise AttributeError(f"module 'metrics.ingest' has no attribute '{name}'")
