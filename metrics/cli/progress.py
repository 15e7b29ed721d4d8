"""Progress on stderr for long work, shown only when stderr is a terminal.

``say = stage_reporter(total_bytes)`` then ``say("reading x.csv")`` … ``say.done()``
prints ``[00:03] reading x.csv`` lines, one per stage, with a spinner while a stage runs.
Small inputs (under 20 MB) print nothing.
"""

from __future__ import annotations

import sys
import threading
import time

LARGE_BYTES = 20 * 1024 * 1024
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class StageReporter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.stage = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, stage: str) -> None:
        if not self.enabled:
            return
        self._finish_line()
        self.stage = stage
        if self._thread is None:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()

    def _spin(self) -> None:
        i = 0
        while not self._stop.wait(0.2):
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"\r{SPINNER[i % len(SPINNER)]} [{elapsed:5.1f}s] {self.stage}…\033[K")
            sys.stderr.flush()
            i += 1

    def _finish_line(self) -> None:
        if self.stage:
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"\r✓ [{elapsed:5.1f}s] {self.stage}\033[K\n")
            sys.stderr.flush()

    def done(self) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._finish_line()
        self.stage = ""


def stage_reporter(total_bytes: int) -> StageReporter:
    return StageReporter(sys.stderr.isatty() and total_bytes >= LARGE_BYTES)
