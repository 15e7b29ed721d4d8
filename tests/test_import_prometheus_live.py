"""`mlkpi import prometheus --url`: a real Prometheus serving counters the test backfilled.

Eight days of 1-minute samples from t0 = 2026-03-02T00:00Z (11,521 samples a series, more
than one query_range request may return at a 1-minute step). Per minute i the counters
grow by ``inc`` below; ``ranker`` restarts at minute 5000 (its counters start again from
that minute's increment) and has no samples for minutes 7001-7009 (a gap). The expected
SLIs and SLO figures are computed here from ``inc`` alone: a window (t − step, t] counts
when the samples at both its ends exist, and then holds exactly the increments of its
minutes (Prometheus' increase() over [step] at a step of one or five minutes is exact
for 1-minute samples); windows touching the gap are absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from live_servers import prometheus_server

from metrics.cli.main import main
from metrics.slo.report import slo_report

T0 = 1772409600  # 2026-03-02T00:00:00Z
MINUTES = 8 * 1440
RESET, GAP = 5000, range(7001, 7010)
MAP = """
[team]
from = ["endpoint"]
map = { ranker = "search", fraud = "risk" }
[tier]
from = ["team"]
map = { search = 1, risk = 2 }
[prometheus]
endpoint = "label:service"
requests = 'sum by (service) (increase(http_requests_total[{{step}}]))'
errors = 'sum by (service) (increase(http_requests_total{code=~"5.."}[{{step}}]))'
latency_p95_ms = 'max by (service) (request_latency_p95_seconds) * 1000'
"""


def inc(service: str, code: str, i: int) -> int:
    """Requests of minute i (the minute ending at t0 + 60 i)."""
    if service == "ranker":
        return {"200": 100 + i % 7, "404": int(i % 3 == 0),
                "503": 20 if 3000 <= i < 3010 else int(i % 50 == 0)}[code]
    return {"200": 40, "500": 2 if i % 10 == 0 else 0}[code]


CODES = {"ranker": ("200", "404", "503"), "fraud": ("200", "500")}


def present(service: str, i: int) -> bool:
    return not (service == "ranker" and i in GAP)


def p95_seconds(service: str, i: int) -> float:
    return float("nan") if service == "fraud" and i % 100 == 0 else 0.1 + (i % 4) * 0.05


def openmetrics() -> str:
    lines = ["# TYPE http_requests counter"]
    for service, codes in CODES.items():
        for code in codes:
            total = 0
            for i in range(MINUTES + 1):
                total = inc(service, code, i) if i == RESET and service == "ranker" \
                    else total + (inc(service, code, i) if i else 1000)
                if present(service, i):
                    lines.append(f'http_requests_total{{service="{service}",code="{code}"}} '
                                 f"{total} {T0 + 60 * i}")
    lines.append("# TYPE request_latency_p95_seconds gauge")
    for service in CODES:
        for i in range(MINUTES + 1):
            if present(service, i):
                value = p95_seconds(service, i)
                lines.append(f'request_latency_p95_seconds{{service="{service}"}} '
                             f"{'NaN' if value != value else value} {T0 + 60 * i}")
    return "\n".join(lines + ["# EOF", ""])


def expected_windows(service: str, step_min: int) -> dict[int, tuple[int, int]]:
    """window start (unix s) → (requests, errors), by hand from the increments."""
    out = {}
    for end in range(step_min, MINUTES + 1, step_min):
        first = end - step_min
        if not (present(service, first) and present(service, end)):
            continue
        minutes = range(first + 1, end + 1)
        if any(not present(service, m) for m in minutes):
            continue
        req = sum(inc(service, c, m) for c in CODES[service] for m in minutes)
        err = sum(inc(service, c, m) for c in CODES[service] if c.startswith("5")
                  for m in minutes)
        out[T0 + 60 * first] = (req, err)
    return out


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> str:
    with prometheus_server(openmetrics(), tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def stored(db: Path, service: str) -> dict[int, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT epoch(window_start)::BIGINT, requests, errors, "
                           "latency_p95_ms, window_seconds, team, tier FROM inference_sli "
                           "WHERE endpoint = ? ORDER BY 1", [service]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_five_minute_windows_reproduce_the_slo_by_hand(prometheus: str, tmp_path: Path,
                                                       capsys) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text(MAP)
    db = tmp_path / "s.duckdb"
    until = datetime.fromtimestamp(T0 + 60 * MINUTES, UTC).isoformat()
    code = main(["--db", str(db), "import", "prometheus", "--url", prometheus,
                 "--since", "2026-03-02", "--until", until, "--map", str(map_),
                 "--max-points", "500"])  # 2,304 windows: five pages per query
    assert code == 0, capsys.readouterr()
    for service in CODES:
        want = expected_windows(service, 5)
        got = stored(db, service)
        assert {k: v[:2] for k, v in got.items()} == want
        assert {v[3:] for v in got.values()} == {
            (300, "search", 1) if service == "ranker" else (300, "risk", 2)}
    assert len(stored(db, "ranker")) == MINUTES // 5 - 2  # the two windows of the gap
    # p95 is the gauge at the window's end, in ms; "NaN" (fraud, every 100 min) is empty
    fraud = stored(db, "fraud")
    assert fraud[T0 + 60 * 95][2] is None and fraud[T0 + 60 * 495][2] is None
    assert fraud[T0][2] == pytest.approx(1000 * p95_seconds("fraud", 5))
    report = {e["endpoint"]: e for e in slo_report(db)["endpoints"]}
    for service in CODES:
        windows = expected_windows(service, 5).values()
        req, err = sum(r for r, _ in windows), sum(e for _, e in windows)
        assert report[service]["requests"] == req and report[service]["errors"] == err
        assert report[service]["availability"] == pytest.approx(100 * (1 - err / req))
        objective = 0.999 if service == "ranker" else 0.995
        assert report[service]["budget_consumed"] == pytest.approx(
            100 * (err / req) / (1 - objective))
        last_hour = [v for k, v in expected_windows(service, 5).items()
                     if k >= T0 + 60 * MINUTES - 3600]
        assert report[service]["burn_rates"]["1h"] == pytest.approx(
            sum(e for _, e in last_hour) / sum(r for r, _ in last_hour) / (1 - objective))


def test_one_minute_step_pages_past_the_server_limit(prometheus: str, tmp_path: Path,
                                                     capsys) -> None:
    """11,520 one-minute windows: more than the 11,000 points one request may return."""
    map_ = tmp_path / "map.toml"
    map_.write_text(MAP)
    db = tmp_path / "s.duckdb"
    until = datetime.fromtimestamp(T0 + 60 * MINUTES, UTC).isoformat()
    code = main(["--db", str(db), "import", "prometheus", "--url", prometheus, "--since",
                 "2026-03-02T00:00:00Z", "--until", until, "--step", "1m", "--map",
                 str(map_), "--format", "json"])
    assert code == 0, capsys.readouterr()
    summary = json.loads(capsys.readouterr().out)
    assert summary["kinds"]["inference_sli"]["inserted"] == 2 * MINUTES - 10
    got = stored(db, "ranker")
    assert {k: v[:2] for k, v in got.items()} == expected_windows("ranker", 1)
    assert got[T0 + 60 * 4999][:2] == (100 + 5000 % 7 + 1, 1)  # the reset minute: 200s + a 503


def test_server_errors_are_one_sentence(prometheus: str, tmp_path: Path, capsys) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text(MAP.replace("sum by (service) (increase(http_requests_total[{{step}}]))",
                                "sum by (service (broken"))
    code = main(["--db", str(tmp_path / "s.duckdb"), "import", "prometheus", "--url",
                 prometheus, "--since", "2026-03-02", "--until", "2026-03-03"])
    assert code == 2
    code = main(["--db", str(tmp_path / "s.duckdb"), "import", "prometheus", "--url",
                 prometheus, "--since", "2026-03-02", "--until", "2026-03-03", "--map",
                 str(map_)])
    err = capsys.readouterr().err
    assert code == 2 and "[prometheus] requests" in err and "answered 400" in err
    assert "Traceback" not in err
