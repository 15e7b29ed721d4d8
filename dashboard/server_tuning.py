"""Once per server process: keep Streamlit's after-run garbage collection cheap, and let
people who open pages at the same moment take turns instead of all waiting for all.

Streamlit runs a full ``gc.collect(2)`` after every script run (``runner.postScriptGC``).
With pandas, ibis, plotly and duckdb imported, the heap holds ~200k tracked objects and
each such collection takes ~0.2 s holding the GIL: 16 people opening the scorecard at
once mostly waited for each other's collections. ``gc.freeze()`` moves the objects alive
at that moment (modules, classes, compiled ibis expressions) to the permanent
generation, which later collections skip; objects made afterwards are collected as
before, and frozen objects are still freed when their last reference goes.

    freeze_startup()   # app.py, after each run: acts on the first, then a no-op
    once("pages", build)   # built on the first run, the same object on later runs

Drawing a page from cached data is pure Python (~15 ms of building and sending Streamlit
elements) and Python runs one thread at a time. When 16 sessions draw at once, the
interpreter switches between them every few milliseconds, so all 16 finish together at
the end of the burst: everyone waits for everyone (median = the whole burst). Taking
turns in arrival order gives the same total work, but the first person has the page
after one page's time, the second after two, and so on: the median halves, the last
person is no later. ``turn()`` does that, with bounded patience: a run whose turn has
not come within ``PATIENCE_S`` (the page before it is slow, e.g. reading a cold store)
runs anyway, alongside, as it would without turns. And a run that has to compute a
figure (a cache miss: the first page after an ingest) hands its turn on while it
computes (``aside()``, in ``data``), so only drawing ever waits for a turn.

    with turn():       # app.py, around each script run
        main()
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

PATIENCE_S = 1.0  # a full burst of 16 warm scorecards is ~0.25 s
SWITCH_INTERVAL_S = 0.0001  # Python's default is 0.005

_LOCK = threading.Lock()
_frozen: set[str] = set()
_ONCE: dict[str, Any] = {}
T = TypeVar("T")


def freeze_startup(moment: str = "first run") -> bool:
    """Collect, then freeze what is left, once per ``moment`` ('first run', 'warm-up');
    True when this call froze."""
    with _LOCK:
        if moment in _frozen:
            return False
        _frozen.add(moment)
        gc.collect()  # garbage first: what is frozen is never collected
        gc.freeze()
        return True


def quiet_server_logs() -> None:
    """Uvicorn logs each websocket handshake at INFO to a logger nothing prints; making
    those records cost ~2 % of the event loop's time per session. Raise it to WARNING
    (warnings and errors still go where they went)."""
    logger = logging.getLogger("uvicorn.error")
    if logger.level != logging.WARNING:  # setLevel empties every logger's level cache
        logger.setLevel(logging.WARNING)


def quick_switches() -> None:
    """Hand the GIL between threads every 0.1 ms instead of every 5 ms.

    A script run releases the GIL for every element it sends (a write to the event
    loop's wake-up pipe) and must then wait for it to come back; while the event loop's
    thread is busy with other sessions, that wait lasts up to a whole switch interval.
    Under 16 sessions at once, py-spy found the script threads in that wait for ~40 % of
    their time. At 0.1 ms the median of 16 concurrent scorecards fell from 0.21-0.23 s
    to 0.13-0.18 s over six runs at 30M and 263M rows, for ~10 % more CPU a session.
    """
    if sys.getswitchinterval() != SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


def once(name: str, build: Callable[[], T]) -> T:
    """``build()`` on the first call for ``name`` in this process, its result afterwards
    (``app.py`` is executed afresh on every run; this module is imported once)."""
    with _LOCK:
        if name not in _ONCE:
            _ONCE[name] = build()
        return _ONCE[name]


class Turns:
    """First come, first served, for at most ``patience`` seconds of waiting.

    ``with turns.turn(): …`` runs the block when every earlier holder has finished, or
    after ``patience`` seconds whatever happens (then without holding a turn, so a slow
    holder never delays anyone by more than ``patience``). Inside it, ``with
    turns.aside(): …`` hands the turn on for the duration of slow work that is not
    drawing (computing a figure the cache does not hold yet), then queues for it again.
    Thread-safe."""

    def __init__(self, patience: float) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._busy = False
        self._mine = threading.local()  # .owned: this thread holds the turn

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Yields True when the block runs in its turn, False when patience ran out."""
        self._mine.owned = self._take()
        try:
            yield self._mine.owned
        finally:
            if self._mine.owned:
                self._pass_on()
            self._mine.owned = False

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Hand the turn on while the block runs, if this thread holds it; queue for it
        again afterwards (with the same patience). A no-op in any other thread."""
        if not getattr(self._mine, "owned", False):
            yield
            return
        self._mine.owned = False
        self._pass_on()
        try:
            yield
        finally:
            self._mine.owned = self._take()

    def _take(self) -> bool:
        with self._lock:
            if not self._busy:
                self._busy = True
                return True
            mine = threading.Event()
            self._waiting.append(mine)
        if mine.wait(self.patience):
            return True
        with self._lock:
            if mine.is_set():  # handed over between the timeout and this lock
                return True
            self._waiting.remove(mine)
            return False

    def _pass_on(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # stays busy: the turn moves to the next
            else:
                self._busy = False


_TURNS = Turns(PATIENCE_S)


def turn() -> AbstractContextManager[bool]:
    """This process's turns for script runs (see the module's docstring)."""
    return _TURNS.turn()


def aside() -> AbstractContextManager[None]:
    """Around work that is not drawing (``data``'s cache misses): others draw meanwhile."""
    return _TURNS.aside()
