"""The web server ``mlkpi serve`` runs: Streamlit's own ``st.App`` around ``app.py``, with

* the sign-in settings made from the organisation config's ``[access]`` table, handed to
  Streamlit as secrets in memory (the client secret comes from the environment variable
  ``client_secret_env`` names and is never written to a file);
* anti-framing headers on every response: ``X-Frame-Options: DENY`` and
  ``Content-Security-Policy: frame-ancestors 'none'``, or, when ``access.embed_from``
  names origins, ``frame-ancestors 'self' <those origins>``.

    streamlit run dashboard/server.py     # what `mlkpi serve` starts (in a private folder)

``st.App`` (Streamlit ≥ 1.53's ASGI entry point) takes ``secrets`` and Starlette
``middleware``: the supported way to set both without touching Streamlit's internals.
"""

from __future__ import annotations

import os
import secrets as _random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:  # `streamlit run dashboard/server.py`
    sys.path.insert(0, str(_HERE.parent))

from metrics.access import Access  # noqa: E402
from metrics.config import ENV_VAR, load_config  # noqa: E402


def frame_headers(embed_from: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """The anti-framing headers: nobody may frame the dashboard, or only ``embed_from``."""
    if embed_from:
        return [(b"content-security-policy",
                 ("frame-ancestors 'self' " + " ".join(embed_from)).encode())]
    return [(b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'none'")]


class FrameHeaders:
    """ASGI middleware: add ``headers`` to every HTTP response (websockets pass through)."""

    def __init__(self, app: Any, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers[name.decode()] = value.decode()
            await send(message)

        await self.app(scope, receive, send_with_headers)


def auth_secrets(access: Access | None, environ: dict[str, str] | None = None
                 ) -> dict[str, Any] | None:
    """Streamlit's ``[auth]`` secrets for ``st.login`` from ``[access]``; None without it.

    The sign-in comes back to ``<url>/oauth2callback`` (register that address at the
    provider); ``{port}`` is Streamlit's own placeholder for the port it listens on."""
    if access is None:
        return None
    env = os.environ if environ is None else environ
    url = (access.url or "http://localhost:{port}/").rstrip("/")
    return {"auth": {
        "redirect_uri": f"{url}/oauth2callback",
        # signs Streamlit's identity cookie; new at each start (everyone signs in again)
        "cookie_secret": env.get("MLKPI_COOKIE_SECRET") or _random.token_urlsafe(32),
        "client_id": access.client_id,
        "client_secret": access.client_secret(env),
        "server_metadata_url": access.provider,
    }}


def _access() -> Access | None:
    path = os.environ.get(ENV_VAR)
    return load_config(path).access if path else None


_ACCESS = _access()
app = st.App(
    _HERE / "app.py",
    secrets=auth_secrets(_ACCESS),
    middleware=[Middleware(FrameHeaders,
                           headers=frame_headers(_ACCESS.embed_from if _ACCESS else ()))],
)
