"""mlkpi dashboard entrypoint: page config, the shared filters bound to the URL, navigation.

    MLKPI_DB=mlkpi.duckdb streamlit run dashboard/app.py     # or: mlkpi serve

The filters are drawn here, before `page.run()`, so that they exist on every page and
a link keeps its scope across pages (`/slo?team=search&tier=1`).
"""

from __future__ import annotations

import base64
import copy
import logging
import os
import sys
from datetime import UTC, datetime

import streamlit as st

# abspath, not resolve(): this runs on every script run, and resolving asks the disk
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, _ROOT)

from dashboard import (  # noqa: E402
    cache,
    components,
    data,
    filters,
    server_tuning,
    signin,
    stored,
    warmup,
)
from metrics.catalog import CatalogError  # noqa: E402
from metrics.config import ConfigError  # noqa: E402
from metrics.periods import PeriodError  # noqa: E402
from metrics.store.db import StoreError  # noqa: E402
from metrics.store.notes import NoteError  # noqa: E402

log = logging.getLogger("mlkpi.dashboard")

# (file, title, url path, icon); the first is the default page, served at `/`.
PAGES = [
    ("scorecard", "Scorecard", "scorecard", ":material/dashboard:"),
    ("quarterly", "Quarterly review", "quarterly", ":material/event_note:"),
    ("slo", "SLO burn", "slo", ":material/local_fire_department:"),
    ("incidents", "Incidents & drift", "incidents", ":material/emergency:"),
    ("delivery", "Delivery", "delivery", ":material/rocket_launch:"),
    ("cost", "Cost", "cost", ":material/payments:"),
    ("platform", "Platform & governance", "platform", ":material/hub:"),
    ("org", "Org health", "org", ":material/groups:"),
    ("catalog", "KPI catalog", "catalog", ":material/menu_book:"),
    ("data", "Data health", "data", ":material/monitor_heart:"),
]
# in the page itself: an icon name or emoji would be fetched from a CDN by the browser, and
# a file would be read, checked and registered again at every run (and fetched by it)
FAVICON_FILE = os.path.join(_ROOT, "dashboard", "static", "favicon.png")


def _favicon() -> str:
    with open(FAVICON_FILE, "rb") as fh:
        return "data:image/png;base64," + base64.b64encode(fh.read()).decode()

WITHOUT_DATA = {"catalog", "data"}  # pages that work on an empty store
KNOWN_ERRORS = (StoreError, ConfigError, CatalogError, PeriodError, NoteError)


def _pages() -> list:
    """This run's pages: copies of the ones built on the first run (building a page
    resolves its file on disk); a copy keeps each run's navigation state (which page may
    run) to itself."""
    built = server_tuning.once("pages", lambda: [
        st.Page(f"app_pages/{name}.py", title=title, url_path=path, icon=icon,
                default=(i == 0))
        for i, (name, title, path, icon) in enumerate(PAGES)])
    return [copy.copy(page) for page in built]


def _scope(status: dict) -> filters.Scope | None:
    """Draw the shared filters from what the store holds; None when it holds nothing."""
    span = data.event_span() if status["state"] == "ok" else None
    if span is None:
        return None
    choices, default = filters.period_options(span[0], span[1], datetime.now(UTC))
    return filters.draw(choices, default, data.teams(), data.tiers())


def _run(page) -> None:
    """Run one page; an unexpected error becomes one sentence, never a traceback."""
    try:
        page.run()
    except KNOWN_ERRORS as exc:
        st.error(str(exc).strip().splitlines()[0] if str(exc).strip() else "Unknown error.")
    except Exception:
        log.exception("page %s failed", getattr(page, "url_path", "?"))
        st.error("This page could not be drawn from the current data; the server log has "
                 "the details. Other pages still work.")


def main() -> None:
    with cache.one_snapshot():  # one snapshot for the whole run, stamped once
        _main()


def _main() -> None:
    st.set_page_config(page_title="mlkpi", page_icon=server_tuning.once("favicon", _favicon),
                       layout="wide")
    data.cap_read_memory()  # before the first read connection of this process
    server_tuning.no_collection_after_runs()
    server_tuning.quiet_server_logs()
    server_tuning.quick_switches()
    server_tuning.kept_theme()
    server_tuning.kept_html_text()
    who = signin.gate()  # before any data is read: None = sign in first, or not shared
    page = st.navigation(_pages(), position="sidebar" if who else "hidden")
    if who is None:
        return
    warmup.maybe_start()  # a new snapshot: fill the caches of the default views in the back
    try:
        status = data.store_status()
        scope = _scope(status)
    except KNOWN_ERRORS as exc:
        status, scope = {"state": "missing", "message": str(exc)}, None
    except Exception:  # never Streamlit's error screen: one sentence, details in the log
        log.exception("reading the store's scope failed")
        status = {"state": "missing", "message": "The store could not be read just now; "
                  "reload the page in a moment. The server log has the details."}
        scope = None
    st.session_state["_scope"] = scope
    if (computed := stored.results_freshness()) is not None:  # mlkpi serve --backend
        st.sidebar.caption(computed)
    st.session_state["_status"] = status
    if scope is None and (page.url_path or "scorecard") not in WITHOUT_DATA:
        st.title(page.title)
        components.empty_state(status)
    else:
        _run(page)
        if scope is not None:
            filters.copy_link()
    server_tuning.freeze_startup()  # later runs' garbage collections skip what is loaded now


with server_tuning.turn():  # sessions opened at the same moment are drawn in turn
    main()
