"""Every ``MLKPI_*`` environment variable, read here and nowhere else.

Each setting is read when asked (not at import), so a test or a server that sets a
variable before the call is obeyed:

>>> import os
>>> os.environ["MLKPI_WARMUP"] = "0"
>>> warmup()
False
>>> del os.environ["MLKPI_WARMUP"]
>>> warmup()
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    meaning: str


SETTINGS = (
    Setting("MLKPI_DB", "the DuckDB store, when --db is not given (default mlkpi.duckdb)"),
    Setting("MLKPI_CONFIG", "the organisation config (TOML), when --config is not given"),
    Setting("MLKPI_BACKEND", "the engine URL, when --backend is not given (default: the "
                             "store); under 'mlkpi serve' the dashboard then shows the "
                             "reports 'mlkpi refresh' stored"),
    Setting("MLKPI_NOTES", "the notes file (default: <store>.notes.sqlite beside the store)"),
    Setting("MLKPI_CACHE_DIR", "where compiled query templates and kept answers go "
                               "(default $XDG_CACHE_HOME/mlkpi, else ~/.cache/mlkpi)"),
    Setting("MLKPI_INGEST_MEMORY", "memory limit of the writer, e.g. 2GB "
                                   "(default a quarter of RAM, between 1 and 8 GB)"),
    Setting("MLKPI_INGEST_TIMEOUT", "seconds one ingest may run before it stops, storing "
                                    "nothing and letting go of the lock (default 3600)"),
    Setting("MLKPI_READ_MEMORY", "memory limit of each read connection, e.g. 1GB "
                                 "(the dashboard sets one; the CLI does not)"),
    Setting("MLKPI_STRICT_TEMPLATES", "1: a query whose template is unstable fails instead "
                                      "of running uncompiled (the tests set it)"),
    Setting("MLKPI_ANSWERS", "0: every report queries the store, even when the same query "
                             "was answered on the same content before (default: answers "
                             "are kept in MLKPI_CACHE_DIR/answers; docs/performance.md)"),
    Setting("MLKPI_WARMUP", "0: the dashboard does not pre-compute pages at start"),
    Setting("MLKPI_SERVER_TUNING", "0: the dashboard's server runs Streamlit as it comes (no "
                                   "turns, gc.freeze or switch interval; docs/performance.md)"),
    Setting("MLKPI_DEBUG", "1: an unexpected error shows its traceback"),
    Setting("MLKPI_COOKIE_SECRET", "signs the sign-in cookie; set it to keep people signed "
                                   "in across restarts (default: new at each start)"),
    Setting("MLKPI_NO_SIGN_IN_EXPOSED", "set by `mlkpi serve --no-sign-in` beyond this "
                                        "machine: every page says anyone can open it"),
)


Environ = Mapping[str, str] | None  # None: this process's environment


def _get(name: str, environ: Environ = None) -> str | None:
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None


def db(environ: Environ = None) -> str | None:
    return _get("MLKPI_DB", environ)


def config(environ: Environ = None) -> str | None:
    return _get("MLKPI_CONFIG", environ)


def backend(environ: Environ = None) -> str | None:
    return _get("MLKPI_BACKEND", environ)


def notes(environ: Environ = None) -> str | None:
    return _get("MLKPI_NOTES", environ)


def cache_dir(environ: Environ = None) -> Path:
    """$MLKPI_CACHE_DIR, else $XDG_CACHE_HOME/mlkpi, else ~/.cache/mlkpi.

    >>> cache_dir({"XDG_CACHE_HOME": "/var/cache"}).as_posix()
    '/var/cache/mlkpi'
    """
    if chosen := _get("MLKPI_CACHE_DIR", environ):
        return Path(chosen)
    return Path(_get("XDG_CACHE_HOME", environ) or Path.home() / ".cache") / "mlkpi"


def ingest_memory(environ: Environ = None) -> str | None:
    return _get("MLKPI_INGEST_MEMORY", environ)


def ingest_timeout(environ: Environ = None) -> str | None:
    return _get("MLKPI_INGEST_TIMEOUT", environ)


def read_memory(environ: Environ = None) -> str | None:
    return _get("MLKPI_READ_MEMORY", environ)


def strict_templates() -> bool:
    return _get("MLKPI_STRICT_TEMPLATES") == "1"


def answers() -> bool:
    return _get("MLKPI_ANSWERS") != "0"


def warmup() -> bool:
    return _get("MLKPI_WARMUP") != "0"


def server_tuning() -> bool:
    return _get("MLKPI_SERVER_TUNING") != "0"


def debug() -> bool:
    return _get("MLKPI_DEBUG") not in (None, "0")


def cookie_secret(environ: Environ = None) -> str | None:
    return _get("MLKPI_COOKIE_SECRET", environ)


def no_sign_in_exposed(environ: Environ = None) -> bool:
    return _get("MLKPI_NO_SIGN_IN_EXPOSED", environ) not in (None, "0")
