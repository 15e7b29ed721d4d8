"""Safe defaults of `mlkpi serve` (access.md): loopback without [access], --no-sign-in said
out loud, the sign-in settings handed to Streamlit, anti-framing headers on every answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboard.web import FrameHeaders, auth_secrets, frame_headers
from metrics.access import EXPOSED_ENV, parse_access
from metrics.cli.main import main
from metrics.cli.serve import is_loopback, sign_in_plan
from metrics.config import ConfigError

ACCESS = parse_access({"provider": "https://id.example.com/.well-known/openid-configuration",
                       "client_id": "mlkpi", "client_secret_env": "OIDC_SECRET",
                       "viewers": ["*"]})
WITH_URL = parse_access({**{"provider": ACCESS.provider, "client_id": "mlkpi",
                            "client_secret_env": "OIDC_SECRET"},
                         "url": "https://kpi.example.com/"})


@pytest.mark.parametrize(("address", "loopback"), [
    ("localhost", True), ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("kpi.example.com", False),
])
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_without_access_loopback_needs_nothing() -> None:
    assert sign_in_plan(None, "localhost", False, {}) == ({}, None)


def test_without_access_another_address_is_refused_unless_no_sign_in() -> None:
    with pytest.raises(ConfigError, match="listens on this machine only; to listen on "
                                          "0.0.0.0 with no sign-in at all, add --no-sign-in"):
        sign_in_plan(None, "0.0.0.0", False, {})
    env, warning = sign_in_plan(None, "0.0.0.0", True, {})
    assert env == {EXPOSED_ENV: "1"}
    assert warning.startswith("WARNING: --no-sign-in: anyone who can reach 0.0.0.0 can read "
                              "every page and write notes")


def test_with_access_the_secret_must_be_in_the_environment() -> None:
    with pytest.raises(ConfigError, match=r"\$OIDC_SECRET, which is not set"):
        sign_in_plan(ACCESS, "localhost", False, {})
    assert sign_in_plan(ACCESS, "localhost", False, {"OIDC_SECRET": "s"}) == ({}, None)


def test_with_access_no_sign_in_is_a_contradiction() -> None:
    with pytest.raises(ConfigError, match="--no-sign-in contradicts"):
        sign_in_plan(ACCESS, "localhost", True, {"OIDC_SECRET": "s"})


def test_with_access_beyond_loopback_the_public_address_is_needed() -> None:
    with pytest.raises(ConfigError, match="needs access.url"):
        sign_in_plan(ACCESS, "0.0.0.0", False, {"OIDC_SECRET": "s"})
    assert sign_in_plan(WITH_URL, "0.0.0.0", False, {"OIDC_SECRET": "s"}) == ({}, None)


def test_the_cli_refuses_before_starting_anything(tmp_path: Path, capsys) -> None:
    db = tmp_path / "mlkpi.duckdb"
    db.write_bytes(b"")  # serve only checks that the store exists before the refusal
    code = main(["--db", str(db), "serve", "--address", "0.0.0.0"])
    err = capsys.readouterr().err
    assert code == 2 and "add --no-sign-in" in err and "Traceback" not in err


def test_streamlit_auth_secrets_from_access() -> None:
    auth = auth_secrets(ACCESS, {"OIDC_SECRET": "from-env"})["auth"]
    assert auth["client_secret"] == "from-env" and auth["client_id"] == "mlkpi"
    assert auth["server_metadata_url"] == ACCESS.provider
    assert auth["redirect_uri"] == "http://localhost:{port}/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32
    assert auth_secrets(WITH_URL, {"OIDC_SECRET": "x"})["auth"]["redirect_uri"] == (
        "https://kpi.example.com/oauth2callback")
    assert auth_secrets(None) is None


def _client(headers: list) -> TestClient:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))],
                    middleware=[Middleware(FrameHeaders, headers=headers)])
    return TestClient(app)


def test_every_answer_forbids_framing_by_default() -> None:
    answer = _client(frame_headers(())).get("/")
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert _client(frame_headers(())).get("/missing").headers["x-frame-options"] == "DENY"


def test_a_named_embedding_origin_is_allowed_and_no_other() -> None:
    answer = _client(frame_headers(("https://wiki.example.com",))).get("/")
    assert "x-frame-options" not in answer.headers
    assert answer.headers["content-security-policy"] == (
        "frame-ancestors 'self' https://wiki.example.com")


def test_the_server_starts_the_cache_warm_up_without_waiting_for_it(monkeypatch) -> None:
    """At start the server warms the default views' caches in a thread (so a link opened
    a few seconds later is drawn from them) and answers meanwhile: the lifespan is
    entered before the warm-up has even finished starting."""
    import asyncio
    import threading

    from dashboard import server, warmup

    started, let_go, threads = threading.Event(), threading.Event(), []

    def maybe_start():
        threads.append(threading.current_thread().name)
        started.set()
        assert let_go.wait(10)

    monkeypatch.setattr(warmup, "maybe_start", maybe_start)

    async def serve() -> bool:
        async with server._warm_at_start(server.app):
            entered_first = not let_go.is_set()
            let_go.set()
            return entered_first

    entered: list[bool] = []  # in a thread of its own: the browser tests' loop may run here
    runner = threading.Thread(target=lambda: entered.append(asyncio.run(serve())))
    runner.start()
    runner.join(30)
    assert entered == [True]
    assert started.wait(10) and threads == ["mlkpi-warmup-start"]
