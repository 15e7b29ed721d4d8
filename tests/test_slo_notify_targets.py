"""Each kind of target gets the page message in its own shape, from real loopback servers:
a Slack-compatible incoming webhook (Mattermost's /hooks/TOKEN), a Microsoft Teams
workflow over HTTPS (Power Automate's /workflows/ID/triggers/manual/paths/invoke), and
email through an SMTP server (aiosmtpd). The store and the burn are test_slo_notify's:
ranker pages at B+21h."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from test_slo_notify import B, episode_rows
from werkzeug import Request, Response

from metrics.slo.notify import notify

TITLE = "[PAGE] ranker (search): error budget burning fast: act now"


@pytest.fixture
def store(make_store):
    return make_store({"inference_sli": episode_rows()})


def test_slack_compatible_incoming_webhook(store, httpserver):
    got: list[dict] = []

    def hook(request: Request) -> Response:
        got.append(request.get_json())
        return Response("ok")

    httpserver.expect_request("/hooks/abcdefghijkl", method="POST").respond_with_handler(hook)
    result = notify(store, [f"mmost://127.0.0.1:{httpserver.port}/abcdefghijkl"],
                    at=B + timedelta(hours=21))
    assert not result.failed
    [payload] = got
    assert TITLE in payload["text"] and "Rule fired: 1h/5m, 6h/30m, 1d/2h, 3d/6h." \
        in payload["text"]


def _tls_context(folder: Path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 (the target is told verify=no)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_teams_workflow_webhook_over_https(store, tmp_path):
    got: list[tuple[dict, dict]] = []

    def flow(request: Request) -> Response:
        got.append((dict(request.args), request.get_json()))
        return Response("", status=202)

    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=_tls_context(tmp_path))
    server.expect_request("/workflows/wf42/triggers/manual/paths/invoke",
                          method="POST").respond_with_handler(flow)
    server.start()
    try:
        result = notify(store, [f"workflows://127.0.0.1:{server.port}/wf42/?sig=s1g"
                                "&verify=no&image=no"], at=B + timedelta(hours=21))
    finally:
        server.stop()
    assert not result.failed
    [(args, card)] = got
    assert args["sig"] == "s1g"
    blocks = card["attachments"][0]["content"]["body"]
    texts = [b["text"] for b in blocks if b["type"] == "TextBlock"]
    # the card's text blocks are Markdown: apprise escapes ( ) . - = for Teams
    assert texts[0] == TITLE and r"is now PAGE \(was OK\)" in texts[1]
    assert "Rule fired: 1h/5m, 6h/30m, 1d/2h, 3d/6h" in texts[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_email(store):
    class Inbox:
        def __init__(self) -> None:
            self.mail: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.mail.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
            return "250 OK"

    inbox, port = Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        result = notify(store, [f"mailto://127.0.0.1:{port}?from=mlkpi@example.org"
                                "&to=lead@example.org&mode=insecure"],
                        at=B + timedelta(hours=21))
    finally:
        smtp.stop()
    assert not result.failed
    [(sender, rcpt, content)] = inbox.mail
    assert (sender, rcpt) == ("mlkpi@example.org", ["lead@example.org"])
    message = email.message_from_bytes(content, policy=default_policy)
    assert message["Subject"] == TITLE
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Burn rates: 5m 20.00, 30m 20.00, 1h 20.00" in text
