"""Warm the caches for the default views as soon as a new snapshot is published.

`mlkpi ingest` replaces `<db>.snapshot`; its mtime is part of every cache key in `data`,
so the first person to open a page after an ingest would pay for every engine call
(docs/performance.md). Instead, each script run calls
``maybe_start()``: at most every CHECK_EVERY seconds it stats the snapshot, and when the
mtime is new it starts ONE background thread that calls the same cached `data`
functions the default views call (scorecard and quarterly review of the default period,
whole organisation; SLO report and the worst endpoint's charts; all but the scorecard
once no page has been drawn for QUIET_S). `st.cache_data` is shared by every session,
so the executive opening a shared link gets cached figures.

The thread only calls `data` (each engine call opens and closes its own read-only
connection), never raises, and stops early if a newer snapshot appears meanwhile (the
next run warms that one).

    maybe_start()   # in app.py, before the page runs; returns the thread or None
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from dashboard import cache, data, filters, server_tuning
from metrics import settings
from metrics.periods import quarter_of

log = logging.getLogger("mlkpi.dashboard.warmup")

CHECK_EVERY = 5.0  # seconds between two stats of the snapshot
QUIET_S = 3.0  # the slow steps wait for this long without a page being drawn …
PATIENCE_S = 60.0  # … but no longer than this in all
THREAD_NAME = "mlkpi-warmup"
_LOCK = threading.Lock()
_state: dict = {"checked": float("-inf"), "warmed": None, "running": False}


class _Stale(Exception):
    """A newer snapshot appeared while warming: the next check warms that one."""


class _QuietWarmup(logging.Filter):
    """Drop Streamlit's 'missing ScriptRunContext' warning for our thread only: cached
    functions work without a session (their cache is global), the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != THREAD_NAME


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWarmup())


def enabled() -> bool:
    """Off with MLKPI_WARMUP=0 (tests that measure cold pages)."""
    return settings.warmup()


def maybe_start() -> threading.Thread | None:
    """Start the warm-up thread if the snapshot changed since the last warm-up; cheap
    (one os.stat every CHECK_EVERY seconds, under a lock), never raises."""
    if not enabled():
        return None
    try:
        with _LOCK:
            now = time.monotonic()
            if _state["running"] or now - _state["checked"] < CHECK_EVERY:
                return None
            _state["checked"] = now
            stamp = cache.snapshot_stamp()
            if stamp[1] == 0.0 or stamp == _state["warmed"]:  # no snapshot, or warm already
                return None
            _state.update(warmed=stamp, running=True)
        thread = threading.Thread(target=_run, args=(stamp,), name=THREAD_NAME, daemon=True)
        thread.start()
        return thread
    except Exception:  # never let the warm-up break a page
        log.exception("could not start the cache warm-up")
        with _LOCK:
            _state["running"] = False
        return None


def _run(stamp: tuple) -> None:
    started = time.perf_counter()
    try:
        warm(stamp)
        server_tuning.freeze_startup("warm-up")
        log.info("warmed the default views of %s in %.1f s", stamp[0],
                 time.perf_counter() - started)
    except _Stale:
        log.info("a newer snapshot appeared while warming; it will be warmed next")
    except Exception:
        log.exception("cache warm-up failed (pages still compute on demand)")
    finally:
        with _LOCK:
            _state["running"] = False


def warm(stamp: tuple | None = None) -> None:
    """Call the cached functions of the default views, in the order people open them."""
    with cache.one_snapshot(stamp):
        for step in _steps():
            if stamp is not None and cache.snapshot_stamp() != stamp:
                raise _Stale
            step()


def _steps():
    """The calls, each exactly as the page makes it (same arguments, so same cache key)."""
    status = data.store_status()
    if status["state"] != "ok":
        return
    yield data.teams
    yield data.tiers
    span = data.event_span()
    if span is None:
        return
    period = filters.default_period(span[0], span[1], datetime.now(UTC))
    # scorecard (`/`), then quarterly review (`/quarterly`): whole organisation
    yield lambda: data.kpi_report(period)
    yield lambda: data.kpi_series(period)
    yield lambda: data.scorecard(period)  # the tiles' series and facts on the way
    # the other pages wait until no page has been drawn for QUIET_S, so that the people
    # opening links (mostly the scorecard) do not share the cores with them
    yield lambda: server_tuning.wait_quiet(QUIET_S, PATIENCE_S)
    quarter = quarter_of(period)
    yield lambda: data.kpi_report(quarter)
    yield lambda: data.kpi_series(quarter)
    yield lambda: data.review_table(quarter)
    # SLO burn (`/slo`): the report, then the charts of the endpoint shown first (they
    # query the store: ~2 s at 30M SLI rows, ibis imported), again after a quiet spell
    slo = data.slo_report(None, None)
    if slo["endpoints"]:
        worst = slo["endpoints"][0]["endpoint"]
        yield lambda: server_tuning.wait_quiet(QUIET_S, PATIENCE_S)
        yield lambda: data.recent_burn_rates(worst)
        yield lambda: data.burn_rate_series(worst)
        yield lambda: data.budget_burndown(worst)
        yield lambda: data.latency_series(worst)
