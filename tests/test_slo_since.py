"""slo_report's burning_since: the start of the current burn episode (dashboard.md: "which
endpoints burn budget now, how fast, how much is left, and since when").

Objective 99.9 % (tier 1): the budget is 0.1 %, so a window with 10 errors in 1,000
requests (1 %) burns at 10, one with 0 errors at 0. Hour k holds the windows starting in
[T − (k+1) h, T − k h); the episode is the unbroken run of burning hours ending at T.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from metrics.slo.report import slo_report

T = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)
FIVE = timedelta(minutes=5)


def sli(endpoint: str, start: datetime, errors: int, requests: int = 1000) -> dict:
    return {"endpoint": endpoint, "team": "search", "tier": 1,
            "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "window_seconds": 300,
            "requests": requests, "errors": errors, "latency_p95_ms": 100.0,
            "latency_p99_ms": None}


def windows(endpoint: str, first: datetime, last: datetime, errors: int) -> list[dict]:
    """5-minute windows starting at first, first + 5m, … before last."""
    count = int((last - first) / FIVE)
    return [sli(endpoint, first + i * FIVE, errors) for i in range(count)]


def since(db, endpoint: str) -> str | None:
    entries = {e["endpoint"]: e for e in slo_report(db, at=T)["endpoints"]}
    return entries[endpoint]["burning_since"]


def test_burn_that_starts_at_a_known_hour(make_store):
    # healthy 18:00–22:00 (burn 0), then 1 % errors from 22:00 (burn 10) up to T = 00:00:
    # hours 0 (23:00–00:00) and 1 (22:00–23:00) burn, hour 2 (21:00–22:00) does not
    # → since 2026-11-21 22:00, two hours before T.
    rows = (windows("a", T - 6 * H, T - 2 * H, 0) + windows("a", T - 2 * H, T, 10))
    db = make_store({"inference_sli": rows})
    assert since(db, "a") == "2026-11-21T22:00:00Z"


def test_a_partly_burning_hour_counts_by_its_own_burn_rate(make_store):
    # 21:00–22:00: 11 healthy windows and one with 20 errors (at 21:55) → 20 errors in
    # 12,000 requests = 0.167 % → burn 1.67 > 1: hour 2 burns too.
    # 20:00–21:00 healthy → since 21:00.
    rows = (windows("a", T - 4 * H, T - 2 * H - FIVE, 0)
            + [sli("a", T - 2 * H - FIVE, 20)] + windows("a", T - 2 * H, T, 10))
    db = make_store({"inference_sli": rows})
    assert since(db, "a") == "2026-11-21T21:00:00Z"


def test_a_gap_resets_the_episode(make_store):
    # burning 18:00–21:00, no windows at all 21:00–22:00 (no requests: no burn),
    # burning again 22:00–00:00 → the episode began after the gap, at 22:00.
    rows = (windows("a", T - 6 * H, T - 3 * H, 10) + windows("a", T - 2 * H, T, 10))
    db = make_store({"inference_sli": rows})
    assert since(db, "a") == "2026-11-21T22:00:00Z"


def test_a_healthy_hour_resets_the_episode(make_store):
    # burning 18:00–23:00 except 20:00–21:00 at burn 1 exactly (1 error per 1,000 =
    # 0.1 % → 1.0, not above 1) → since 21:00, three hours before T.
    rows = (windows("a", T - 6 * H, T - 4 * H, 10) + windows("a", T - 4 * H, T - 3 * H, 1)
            + windows("a", T - 3 * H, T, 10))
    db = make_store({"inference_sli": rows})
    assert since(db, "a") == "2026-11-21T21:00:00Z"


def test_healthy_now_is_null_even_after_an_earlier_burn(make_store):
    # "b" burned 20:00–23:00 but the last hour is clean (burn 0) → null; "c" is healthy
    # throughout → null; "a" burns over the last hour only → since 23:00.
    rows = (windows("b", T - 4 * H, T - H, 10) + windows("b", T - H, T, 0)
            + windows("c", T - 4 * H, T, 0)
            + windows("a", T - 4 * H, T - H, 0) + windows("a", T - H, T, 10))
    db = make_store({"inference_sli": rows})
    assert since(db, "b") is None
    assert since(db, "c") is None
    assert since(db, "a") == "2026-11-21T23:00:00Z"


def test_no_data_in_the_last_hour_is_null(make_store):
    # burning until 22:00, then nothing: the 1h burn rate is undefined → null.
    db = make_store({"inference_sli": windows("a", T - 5 * H, T - 2 * H, 10)})
    assert since(db, "a") is None


def test_an_episode_filling_the_window_reports_the_window_start(make_store):
    # hourly windows burning for 31 days; the 30-day window starts at T − 30 d.
    rows = [{**sli("a", T - (i + 1) * H, 10), "window_seconds": 3600}
            for i in range(31 * 24)]
    db = make_store({"inference_sli": rows})
    assert since(db, "a") == "2026-10-23T00:00:00Z"
