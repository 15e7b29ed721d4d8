"""Tuning for many people opening pages at once, which bets on Streamlit's internals;
``MLKPI_SERVER_TUNING=0`` turns all of it off (every function here then does nothing).

What it does, once per server process (docs/performance.md has the measurements):

- ``no_collection_after_runs()``, ``freeze_startup()``: Streamlit runs a full
  ``gc.collect(2)`` after every script run (``runner.postScriptGC``); with pandas, ibis,
  plotly and duckdb loaded each is a long hold of the GIL that every session waits for.
  The option is turned off, and ``gc.freeze()`` moves what is alive after the first run
  (modules, classes, compiled expressions) to the permanent generation, which Python's
  own collections skip; later objects are collected as before.
- ``turn()``: drawing a page from cached data is pure Python, one thread at a time. When
  many sessions draw at once the interpreter interleaves them and all finish together
  at the end of the burst; taking turns in arrival order gives the same total work but
  the first person has the page after one page's time, the second after two. Patience
  is bounded (``PATIENCE_S``), and a run that computes a figure hands its turn on while
  it computes (``aside()``, in ``cache``), so only drawing ever waits.
- ``quick_switches()``: the GIL changes threads every 0.1 ms instead of 5 ms, so a
  script run that released it to send an element gets it back sooner.
- ``quiet_server_logs()``, ``once()``: per-connection log records and per-run page
  objects, made once; ``kept_theme()``, ``kept_html_text()``: the theme's part of the
  session-opening message, and each HTML block's dedented text, made once.

    with turn():              # app.py, around each script run
        main()
    freeze_startup()          # app.py, after each run: acts on the first, then a no-op
"""

from __future__ import annotations

import functools
import gc
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from streamlit import config

from metrics import settings

PATIENCE_S = 1.0  # a full burst of 16 warm scorecards is ~0.25 s
SWITCH_INTERVAL_S = 0.0001  # Python's default is 0.005

_LOCK = threading.Lock()
_frozen: set[str] = set()
_ONCE: dict[str, Any] = {}
T = TypeVar("T")


def enabled() -> bool:
    """False when $MLKPI_SERVER_TUNING is "0" (read at each call, so a test can set it)."""
    return settings.server_tuning()


def freeze_startup(moment: str = "first run") -> bool:
    """Collect, then freeze what is left, once per ``moment`` ('first run', 'warm-up');
    True when this call froze."""
    if not enabled():
        return False
    with _LOCK:
        if moment in _frozen:
            return False
        _frozen.add(moment)
        gc.collect()  # garbage first: what is frozen is never collected
        gc.freeze()
        return True


def no_collection_after_runs() -> None:
    """Turn off Streamlit's full garbage collection after each script run (read by its
    script runner at the end of every run)."""
    if enabled() and config.get_option("runner.postScriptGC"):
        config.set_option("runner.postScriptGC", False)


def quiet_server_logs() -> None:
    """Uvicorn logs each websocket handshake at INFO to a logger nothing prints; making
    those records cost ~2 % of the event loop's time per session. Raise it to WARNING
    (warnings and errors still go where they went)."""
    if not enabled():
        return
    logger = logging.getLogger("uvicorn.error")
    if logger.level != logging.WARNING:  # setLevel empties every logger's level cache
        logger.setLevel(logging.WARNING)


def quick_switches() -> None:
    """Hand the GIL between threads every 0.1 ms instead of every 5 ms.

    A script run releases the GIL for every element it sends (a write to the event
    loop's wake-up pipe) and must then wait for it to come back; while the event loop's
    thread is busy with other sessions, that wait lasts up to a whole switch interval.
    """
    if enabled() and sys.getswitchinterval() != SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


def _replace_once(owner: Any, name: str, wrap: Callable[[Any], Any]) -> None:
    """``owner.name = wrap(original)``, once per process: the replacement is marked
    ``kept`` and remembers ``original`` (for the tests, and a second call changes nothing)."""
    with _LOCK:
        original = getattr(owner, name)
        if getattr(original, "kept", False):
            return
        replacement = wrap(original)
        replacement.kept = True
        replacement.original = original
        setattr(owner, name, replacement)


def kept_theme() -> None:
    """Build the theme's part of the message that opens a session once per process.

    Streamlit fills it, for each new session, from six config sections, each found by a
    scan of every config option (~15 % of a scorecard session's server time). The
    sections are the same for every session until the config is parsed again, which
    empties what was kept."""
    if not enabled():
        return
    from streamlit.runtime import app_session

    def wrap(original: Callable[..., None]) -> Callable[..., None]:
        built: dict[str, Any] = {}

        def populate(msg: Any, section: str = "theme") -> None:
            found = built.get(section)
            if found is None:
                found = type(msg)()
                original(found, section)
                built[section] = found
            if found.ListFields():  # as the original: an empty section sets nothing
                msg.MergeFrom(found)

        config.on_config_parsed(built.clear, force_connect=True)
        return populate

    _replace_once(app_session, "_populate_theme_msg", wrap)


def kept_html_text() -> None:
    """Dedent each ``st.html`` body once per process. Streamlit dedents the whole body at
    every call (``textwrap.dedent`` scans every line: ~1 ms for the scorecard's 30 kB block,
    a tenth of its run), and the same block comes from the cache run after run."""
    if not enabled():
        return
    from streamlit.elements import html as html_element

    def wrap(original: Callable[[Any], str]) -> Callable[[Any], str]:
        dedented = functools.lru_cache(maxsize=32)(original)

        def clean_text(text: Any) -> str:
            return dedented(text) if type(text) is str else original(text)

        return clean_text

    _replace_once(html_element, "clean_text", wrap)


def once(name: str, build: Callable[[], T]) -> T:
    """``build()`` on the first call for ``name`` in this process, its result afterwards
    (``app.py`` is executed afresh on every run; this module is imported once); a fresh
    ``build()`` at every call when the tuning is off."""
    if not enabled():
        return build()
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


_RUNS = {"running": 0, "last": float("-inf")}  # script runs now, and when one last moved


def _ran(delta: int) -> None:
    with _LOCK:
        _RUNS["running"] += delta
        _RUNS["last"] = time.monotonic()


@contextmanager
def turn() -> Iterator[bool]:
    """This process's turns for script runs (see the module's docstring); without the
    tuning, every run goes at once (yields False: not in a turn). Either way the run is
    counted, for ``wait_quiet``."""
    _ran(+1)
    try:
        with _TURNS.turn() if enabled() else nullcontext(False) as owned:
            yield owned
    finally:
        _ran(-1)


def wait_quiet(quiet_s: float, patience_s: float, poll_s: float = 0.1) -> bool:
    """Wait until no script run has run for ``quiet_s`` seconds (True), or ``patience_s``
    seconds have passed (False): the warm-up's slow steps wait for the people opening
    pages, who otherwise share the cores with them. Returns at once without the tuning."""
    if not enabled():
        return True
    deadline = time.monotonic() + patience_s
    while True:
        with _LOCK:
            quiet = _RUNS["running"] == 0 and time.monotonic() - _RUNS["last"] >= quiet_s
        if quiet:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)


def aside() -> AbstractContextManager[None]:
    """Around work that is not drawing (cache misses): others draw meanwhile."""
    return _TURNS.aside() if enabled() else nullcontext()
