"""The web server ``mlkpi serve`` runs: Streamlit's own ``st.App`` around ``app.py``, with

* the sign-in settings made from the organisation config's ``[access]`` table, handed to
  Streamlit as secrets in memory (the client secret comes from the environment variable
  ``client_secret_env`` names and is never written to a file);
* anti-framing headers on every response: ``X-Frame-Options: DENY`` and
  ``Content-Security-Policy: frame-ancestors 'none'``, or, when ``access.embed_from``
  names origins, ``frame-ancestors 'self' <those origins>``.

    streamlit run dashboard/server.py     # what `mlkpi serve` starts (in a private folder)

* the cache warm-up (``dashboard/warmup.py``) started with the server, so that the first
  person to open a link finds the default views computed, or being computed.

``st.App`` (Streamlit ≥ 1.53's ASGI entry point) takes ``secrets``, Starlette
``middleware`` and a ``lifespan``: the supported way to set these without touching
Streamlit's internals.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:  # `streamlit run dashboard/server.py`
    sys.path.insert(0, str(_HERE.parent))

from dashboard.web import FrameHeaders, auth_secrets, frame_headers  # noqa: E402
from metrics import settings  # noqa: E402
from metrics.access import Access  # noqa: E402
from metrics.config import load_config  # noqa: E402


def _access() -> Access | None:
    path = settings.config()
    return load_config(path).access if path else None


@asynccontextmanager
async def _warm_at_start(_app: object) -> AsyncIterator[None]:
    """Start the warm-up once Streamlit's runtime (and its caches) is up; in a thread, as
    importing the engines takes a second: the server answers meanwhile."""
    threading.Thread(target=_start_warmup, name="mlkpi-warmup-start", daemon=True).start()
    yield


def _start_warmup() -> None:
    from dashboard import server_tuning, warmup

    server_tuning.kept_theme()  # before the first session opens
    server_tuning.quick_switches()  # the warm-up must not hold up the pages' files
    warmup.maybe_start()


_ACCESS = _access()
app = st.App(
    _HERE / "app.py",
    secrets=auth_secrets(_ACCESS),
    lifespan=_warm_at_start,
    middleware=[Middleware(FrameHeaders,
                           headers=frame_headers(_ACCESS.embed_from if _ACCESS else ()))],
)
