"""`mlkpi slo notify` through a scripted burn episode, against a real HTTP receiver on
127.0.0.1 (pytest-httpserver) and a real store: one message per change, none on repeats,
a failed delivery retried on the next run, the resolved message sent.

ranker (tier 1, 99.9 %: budget 0.001), 5-minute windows of 1000 requests from B − 3 days:
  [B, B+20h)      4 errors a window  → burn 4
  [B+20h, B+21h)  20 errors a window → burn 20
  from B+21h      no errors
quiet (team ads): never an error. Hand-computed burn rates at each run (slo.md):
  B        all 0                                   → ok (nothing known yet: silent)
  B+20h    2h 4 > 3; 1d 20 h × 4 ÷ 24 = 3.33 > 3   → ticket (1d/2h; 3d/6h: 80 ÷ 72 = 1.11)
  B+21h    5m 20, 1h 20 > 14.4                     → page (1h/5m, 6h/30m 6.67 > 6, …)
  B+21h30  30m 0: no page row; 2h (6×4 + 12×20) ÷ 24 = 11 > 3, 1d 100 ÷ 24 = 4.17 → ticket
  B+27h    6h 0, 2h 0                              → ok: resolved
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from sli_rows import every
from werkzeug import Request, Response

from metrics.cli.main import main
from metrics.slo import notifications

B = datetime(2026, 7, 10, tzinfo=UTC)
H, M5 = timedelta(hours=1), timedelta(minutes=5)


def episode_rows() -> list[dict]:
    return (every("ranker", B - 72 * H, 72 * 12, M5, 1000, 0)
            + every("ranker", B, 20 * 12, M5, 1000, 4)
            + every("ranker", B + 20 * H, 12, M5, 1000, 20)
            + every("ranker", B + 21 * H, 10 * 12, M5, 1000, 0)
            + every("quiet", B - 72 * H, 103 * 12, M5, 1000, 0, team="ads"))


class Receiver:
    """A JSON webhook on 127.0.0.1 that records what it gets; `down` makes it answer 500."""

    def __init__(self, httpserver) -> None:
        self.received: list[dict] = []
        self.down = False
        self.url = f"json://127.0.0.1:{httpserver.port}/hook"
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        if self.down:
            return Response("receiver down", status=500)
        self.received.append(request.get_json())
        return Response("{}", status=200, content_type="application/json")

    def take(self) -> list[dict]:
        got, self.received = self.received, []
        return got


@pytest.fixture
def store(make_store, tmp_path):
    db = make_store({"inference_sli": episode_rows()})
    config = tmp_path / "org.toml"
    config.write_text('[dashboard]\nurl = "https://kpi.example.org/"\n', encoding="utf-8")
    return db, config


def run_notify(db, config, hours: float, *targets: str, capsys) -> tuple[int, dict]:
    at = (B + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code = main(["--db", str(db), "--config", str(config), "slo", "notify", "--at", at,
                 "--format", "json", "--to", *targets])
    return code, json.loads(capsys.readouterr().out)


def test_burn_episode_one_message_per_change(store, httpserver, capsys):
    db, config = store
    hook = Receiver(httpserver)

    # B: ok, and nothing notified yet → ok is the starting point: nothing sent or stored
    code, out = run_notify(db, config, 0, hook.url, capsys=capsys)
    assert (code, out["changes"], hook.take()) == (0, [], [])

    # B+20h: ok → ticket
    code, out = run_notify(db, config, 20, hook.url, capsys=capsys)
    [msg] = hook.take()
    assert code == 0
    assert msg["type"] == "warning"
    assert msg["title"] == "[TICKET] ranker (search): error budget burning: look at it today"
    assert "is now TICKET (was OK)" in msg["message"]
    assert "Rule fired: 1d/2h, 3d/6h." in msg["message"]
    # 1d: 960 errors ÷ 288,000 requests ÷ 0.001 = 3.33; 3d: 960 ÷ 864,000 ÷ 0.001 = 1.11
    assert "Burn rates: 5m 4.00, 30m 4.00, 1h 4.00, 2h 4.00, 6h 4.00, 1d 3.33, 3d 1.11." \
        in msg["message"]
    # the 30-day window holds 92 h of rows: 1,104,000 requests, 960 errors →
    # consumed 960 ÷ 1,104,000 ÷ 0.001 = 86.96 %, remaining 13.04 %
    assert "Error budget remaining: 13.0 % of the 30-day budget (objective 99.9 %)." \
        in msg["message"]
    assert "Burning since: 2026-07-10T00:00:00Z." in msg["message"]
    assert msg["message"].endswith("Dashboard: https://kpi.example.org/slo?endpoint=ranker")
    assert [c["state"] for c in out["changes"]] == ["ticket"]

    # the same instant again: no change, nothing sent
    code, out = run_notify(db, config, 20, hook.url, capsys=capsys)
    assert (code, out["changes"], out["deliveries"], hook.take()) == (0, [], [], [])

    # B+21h: ticket → page, but the receiver is down: exit 1, and `mlkpi status` says so
    hook.down = True
    code, out = run_notify(db, config, 21, hook.url, capsys=capsys)
    assert code == 1 and out["failed"] == 1 and hook.take() == []
    assert main(["--db", str(db), "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)["notifications"]
    assert status["pending"] == 1 and "500" in status["last_error"]

    # B+21h05: still page (no new change); the failed page message is retried and arrives
    hook.down = False
    code, out = run_notify(db, config, 21 + 5 / 60, hook.url, capsys=capsys)
    [msg] = hook.take()
    assert (code, out["changes"], out["retried"]) == (0, [], 1)
    assert msg["type"] == "failure"
    assert msg["title"] == "[PAGE] ranker (search): error budget burning fast: act now"
    assert "Rule fired: 1h/5m, 6h/30m, 1d/2h, 3d/6h." in msg["message"]
    assert "Evaluated at: 2026-07-10T21:00:00Z." in msg["message"]  # the change's instant
    assert main(["--db", str(db), "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["notifications"]["pending"] == 0

    # B+21h30: page → ticket; B+27h: ticket → ok, resolved; then quiet again
    run_notify(db, config, 21.5, hook.url, capsys=capsys)
    [msg] = hook.take()
    assert msg["title"].startswith("[TICKET] ranker") and "(was PAGE)" in msg["message"]
    code, out = run_notify(db, config, 27, hook.url, capsys=capsys)
    [msg] = hook.take()
    assert code == 0 and msg["type"] == "success"
    assert msg["title"] == "[RESOLVED] ranker (search): burn rates back under every threshold"
    assert "is now OK (was TICKET)" in msg["message"] and "Rule fired: none." in msg["message"]
    assert run_notify(db, config, 27, hook.url, capsys=capsys)[1]["deliveries"] == []
    assert hook.take() == []

    # the audit trail: four changes of ranker (quiet never changed), five attempts
    con = duckdb.connect(str(db), read_only=True)
    changes = con.execute(f"SELECT previous, state FROM {notifications.CHANGES} "
                          "ORDER BY change_id").fetchall()
    attempts = con.execute(f"SELECT change_id, ok, target FROM {notifications.DELIVERIES} "
                           "ORDER BY attempted_at").fetchall()
    con.close()
    assert changes == [("ok", "ticket"), ("ticket", "page"), ("page", "ticket"),
                       ("ticket", "ok")]
    assert [(c, ok) for c, ok, _ in attempts] == [(1, True), (2, False), (2, True),
                                                  (3, True), (4, True)]
    assert {t for *_, t in attempts} == {f"json://127.0.0.1:{httpserver.port}/…"}


def test_two_targets_each_get_the_message_and_only_the_failed_one_is_retried(
        store, httpserver, capsys):
    db, config = store
    up = Receiver(httpserver)
    down_url = "json://127.0.0.1:9/hook"  # the discard port: nobody listens, refused
    code, out = run_notify(db, config, 21, up.url, down_url, capsys=capsys)
    assert code == 1 and [d["ok"] for d in out["deliveries"]] == [True, False]
    assert len(up.take()) == 1
    # the next run retries only the refused target; the one reached hears nothing twice
    code, out = run_notify(db, config, 21, up.url, down_url, capsys=capsys)
    assert code == 1 and out["retried"] == 1 and up.take() == []
    # run without the dead target: nothing is sent, the old delivery stays pending
    code, out = run_notify(db, config, 21, up.url, capsys=capsys)
    assert (code, out["deliveries"]) == (0, [])
    assert notifications.status(db)["pending"] == 1


def test_team_filter_and_history(store, httpserver, capsys):
    db, config = store
    hook = Receiver(httpserver)
    at = (B + 21 * H).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert main(["--db", str(db), "--config", str(config), "slo", "notify", "--at", at,
                 "--team", "ads", "--to", hook.url]) == 0
    assert "no alert-state change" in capsys.readouterr().out and hook.take() == []
    run_notify(db, config, 21, hook.url, capsys=capsys)
    [row] = notifications.history(db, "ranker")
    assert (row["previous"], row["state"], row["fired"], row["sent"], row["failed"]) == \
        ("ok", "page", "1h/5m,6h/30m,1d/2h,3d/6h", 1, 0)
    assert notifications.history(db, "quiet") == []


def test_no_data_is_news_only_for_an_endpoint_already_notified(make_store, httpserver, capsys,
                                                                 tmp_path):
    # old: rows only in [B − 72h, B − 60h); flaky: clean until B+20h, 20 errors a window
    # (burn 20) until B+21h, then no rows at all
    db = make_store({"inference_sli": every("old", B - 72 * H, 12 * 12, M5, 1000, 0)
                     + every("flaky", B - 72 * H, 92 * 12, M5, 1000, 0)
                     + every("flaky", B + 20 * H, 12, M5, 1000, 20)})
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    hook = Receiver(httpserver)
    # B+21h: old has no request in [B − 51h, B+21h): no_data, never notified → silent
    run_notify(db, config, 21, hook.url, capsys=capsys)
    assert [m["title"] for m in hook.take()] == [
        "[PAGE] flaky (search): error budget burning fast: act now"]
    # B+94h: flaky's last request is 73 h old, none in the 1h nor the 3d look-back
    _, out = run_notify(db, config, 94, hook.url, capsys=capsys)
    [msg] = hook.take()
    assert msg["title"] == ("[NO DATA] flaky (search): no requests in the last hour nor the "
                            "last 3 days: the SLO is not evaluated")
    assert "is now NO DATA (was PAGE)" in msg["message"]
    assert "Burn rates: 5m –, 30m –, 1h –, 2h –, 6h –, 1d –, 3d –." in msg["message"]
    assert msg["message"].endswith("Dashboard: /slo?endpoint=flaky")  # no [dashboard] url
    assert [c["endpoint"] for c in out["changes"]] == ["flaky"]

def test_a_target_apprise_does_not_know_is_refused_before_anything(store, capsys):
    db, config = store
    code = main(["--db", str(db), "slo", "notify", "--to", "https://example.org/hook?token=s3"])
    err = capsys.readouterr().err
    assert code == 2 and "is not a notification URL" in err and "s3" not in err
    assert notifications.last_states(db) == ({}, 0)


@pytest.mark.parametrize(("url", "shown"), [
    ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/…"),
    ("https://hooks.slack.com/services/T1/B2/secret", "https://hooks.slack.com/…"),
    ("mailto://ana:pw@mail.example.org?to=lead@example.org", "mailto://mail.example.org/…"),
    ("workflows://prod-00.westus.logic.azure.com/abc/?sig=secret",
     "workflows://prod-00.westus.logic.azure.com/…"),
])
def test_targets_are_stored_without_secrets(url, shown):
    assert notifications.redact(url) == shown
    assert notifications.target_key(url) != notifications.target_key(url + "x")


@pytest.mark.parametrize("name", ["notify", "rules"])
def test_every_option_of_the_slo_sub_commands_is_explained(name):
    import argparse

    from metrics.cli.main import build_parser

    def choices(parser: argparse.ArgumentParser) -> dict:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return dict(action.choices)

    sub = choices(choices(build_parser())["slo"])[name]
    assert sub.description
    for action in sub._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help and len(action.help) > 10, (name, action.dest)
