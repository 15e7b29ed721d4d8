"""What ``dashboard/server.py`` hands to ``st.App``: the sign-in secrets and the
anti-framing headers. Pure parts, importable without starting anything.

    auth_secrets(access)      # {"auth": {"redirect_uri": …, "client_secret": (from env), …}}
    frame_headers(())         # X-Frame-Options: DENY, CSP frame-ancestors 'none'
    frame_headers(("https://wiki.example.com",))   # CSP frame-ancestors 'self' <origin>
"""

from __future__ import annotations

import os
import secrets as _random
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import MutableHeaders

from metrics import settings
from metrics.access import Access


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
        "cookie_secret": settings.cookie_secret(env) or _random.token_urlsafe(32),
        "client_id": access.client_id,
        "client_secret": access.client_secret(env),
        "server_metadata_url": access.provider,
    }}
