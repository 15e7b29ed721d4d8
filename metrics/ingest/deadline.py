"""An ingest's time limit: past it, DuckDB is interrupted and the ingest gives up its lock.

    with Deadline(con, 3600) as deadline:
        ...                     # a running statement raises duckdb.InterruptException
        deadline.check()        # between steps: raises DeadlinePassed once it has passed

A timer thread interrupts the connection at the deadline and then every 0.1 s until the
block ends, since an interrupt that arrives between two statements is lost.
"""

from __future__ import annotations

import threading

import duckdb


class DeadlinePassed(Exception):
    """The ingest ran past its time limit."""


class Deadline:
    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self._con = con
        self._seconds = seconds
        self._done = threading.Event()
        self.passed = False
        self._thread = threading.Thread(target=self._watch, name="ingest-deadline", daemon=True)

    def __enter__(self) -> Deadline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def check(self) -> None:
        if self.passed:
            raise DeadlinePassed

    def _watch(self) -> None:
        if self._done.wait(self._seconds):
            return
        self.passed = True
        while not self._done.is_set():
            self._con.interrupt()
            self._done.wait(0.1)
