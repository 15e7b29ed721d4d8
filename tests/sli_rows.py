"""Hand-written inference_sli rows for the SLO tests: one window, or a run of equal ones."""

from __future__ import annotations

from datetime import datetime, timedelta


def sli(endpoint: str, start: datetime, requests: int, errors: int = 0, *, seconds: int = 300,
        tier: int = 1, team: str = "search", p95: float | None = None) -> dict:
    return {"endpoint": endpoint, "team": team, "tier": tier,
            "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "window_seconds": seconds, "requests": requests, "errors": errors,
            "latency_p95_ms": p95, "latency_p99_ms": None}


def every(endpoint: str, first: datetime, count: int, step: timedelta, requests: int,
          errors: int, **kw) -> list[dict]:
    """`count` windows of `step` starting at `first`, each with the same counts."""
    return [sli(endpoint, first + i * step, requests, errors,
                seconds=int(step.total_seconds()), **kw) for i in range(count)]
