"""The cache under ``data``: one decorator, keyed on the store's snapshot.

    @cached()
    def kpi_report(snap: Snapshot, period: Period, team=None, tier=None) -> dict: ...
    kpi_report(period, "search")      # the current Snapshot is added, then st.cache_data

The key is (db, snapshot mtime, config, config mtime, arguments). ``mlkpi ingest``
replaces ``<db>.snapshot`` at each ingest, so its mtime changes and the next run
recomputes: new data shows without a restart.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, NamedTuple, ParamSpec, TypeVar

import streamlit as st

from dashboard import server_tuning
from metrics.config import OrgConfig, config_path_from_env, load_config
from metrics.store.db import db_path_from_env, snapshot_path

# A new ingest shows at once anyway (the snapshot mtime is in the key), so the TTL only
# bounds how old "now"-relative flags (stale data) get. It is long so that the figures the
# warm-up computed after an ingest are still there when someone opens a link hours later.
TTL = 6 * 3600  # seconds
P = ParamSpec("P")
T = TypeVar("T")


class Snapshot(NamedTuple):
    """What every cached figure depends on besides its arguments: two files and their
    mtimes (0.0: no such file). Changes at each ingest and each config edit."""

    db: str
    snapshot_mtime: float
    config: str
    config_mtime: float

    @property
    def path(self) -> Path:
        return Path(self.db)

    def org_config(self) -> OrgConfig:
        return load_config(self.config or None)


def db_path() -> Path:
    """`$MLKPI_DB` (set by `mlkpi serve`), else mlkpi.duckdb in the working folder."""
    return db_path_from_env(None)


def _mtime(path: Path | None) -> float:
    try:
        return path.stat().st_mtime if path is not None else 0.0
    except OSError:
        return 0.0


def snapshot_stamp() -> Snapshot:
    """The store and config as they are now: two os.stat calls."""
    db = db_path()
    config = config_path_from_env(None)
    return Snapshot(str(db), _mtime(snapshot_path(db)), str(config or ""), _mtime(config))


_PINNED = threading.local()


def current() -> Snapshot:
    """The snapshot pinned in this thread (``one_snapshot``), else the one on disk now."""
    return getattr(_PINNED, "stamp", None) or snapshot_stamp()


@contextmanager
def one_snapshot(stamp: Snapshot | None = None) -> Iterator[Snapshot]:
    """Within the block (one script run, in its own thread), every call reads the same
    snapshot, stamped on entering it: a page's figures all come from one snapshot even if
    an ingest publishes a new one meanwhile, and the run stats the files once."""
    before = getattr(_PINNED, "stamp", None)
    _PINNED.stamp = stamp or snapshot_stamp()
    try:
        yield _PINNED.stamp
    finally:
        _PINNED.stamp = before


def cached(ttl: float = TTL, max_entries: int = 256
           ) -> Callable[[Callable[Concatenate[Snapshot, P], T]], Callable[P, T]]:
    """``fn(snap, *args)`` becomes ``fn(*args)``, cached by ``st.cache_data`` on (the
    current snapshot, the arguments with their defaults filled in, so that ``f(x)`` and
    ``f(x, 8)`` share an entry), pickled into one key. A miss computes aside of this session's turn
    (``server_tuning.aside``: other sessions draw meanwhile), with the snapshot pinned so that
    the cached calls it makes read the same one. "background": once an entry's TTL is
    over, callers still get it while one thread recomputes it."""
    def decorate(fn: Callable[Concatenate[Snapshot, P], T]) -> Callable[P, T]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)  # Streamlit keys the cache on the name and source of fn
        def compute(key: bytes) -> T:
            snap, *args = pickle.loads(key)  # noqa: S301 - made by `call` below, never input
            with server_tuning.aside(), one_snapshot(snap):
                return fn(snap, *args)

        compute_cached = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False,
                                       refresh_mode="background")(compute)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            bound = signature.bind(current(), *args, **kwargs)
            bound.apply_defaults()
            # one bytes argument: Streamlit hashes it as it is, where a Snapshot, a Period
            # and the scope took its hasher ~0.5 ms per call (30 % of a scorecard run)
            return compute_cached(pickle.dumps(bound.args, protocol=pickle.HIGHEST_PROTOCOL))

        call.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=list(signature.parameters.values())[1:])
        return call
    return decorate
