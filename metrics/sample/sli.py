"""inference_sli: serving windows per endpoint, vectorised with numpy, written with pyarrow.

Rows are ordered by window_start, then endpoint (time order helps DuckDB's zone maps).
Each block of windows draws from its own generator (``default_rng([seed, 99, block])``)
and is written as one row group, so memory stays bounded at any size.

The SLO story at as_of (see ``scenarios``): search-query burns fast (page), fraud-score
burns slowly (ticket), ranking-ads had a big burst 10 days ago, search-autocomplete had a
9-hour latency regression yesterday, growth-upsell has two zero-request windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.sample.common import P95_OBJECTIVE_MS, SLI_FINE_DAYS, Ctx, Endpoint

US = 1_000_000  # microseconds per second
BASE_ERROR = {1: 0.0002, 2: 0.001, 3: 0.002}  # a fifth of each tier's error budget
LARGE_WINDOW = 60
LARGE_DAYS = 105
ROW_GROUP = 1_000_000

SCHEMA = pa.schema([
    ("endpoint", pa.string()),
    ("team", pa.string()),
    ("tier", pa.int64()),
    ("window_start", pa.timestamp("us", tz="UTC")),
    ("window_seconds", pa.int64()),
    ("requests", pa.int64()),
    ("errors", pa.int64()),
    ("latency_p95_ms", pa.float64()),
    ("latency_p99_ms", pa.float64()),
])


@dataclass(frozen=True)
class Scenario:
    endpoint: str
    start: timedelta  # offset from as_of (negative)
    end: timedelta
    error_ratio: float | None = None
    latency_factor: float | None = None  # p95 as a multiple of the objective
    zero: bool = False


def scenarios() -> list[Scenario]:
    h = timedelta(hours=1)
    burst = timedelta(days=-10) + 13 * h
    return [
        Scenario("search-query", -2 * h, 0 * h, error_ratio=0.025),
        Scenario("fraud-score", -48 * h, 0 * h, error_ratio=0.004),
        Scenario("ranking-ads", burst, burst + 3 * h, error_ratio=0.10),
        Scenario("search-autocomplete", -30 * h, -21 * h, latency_factor=1.45),
        Scenario("growth-upsell", timedelta(days=-5, hours=3),
                 timedelta(days=-5, hours=3, minutes=10), zero=True),
    ]


def _micros(when: datetime) -> int:
    return int(when.timestamp()) * US


class Grid:
    """Per-endpoint constants as numpy arrays, aligned with ``ctx.org.endpoints``."""

    def __init__(self, ctx: Ctx, endpoints: list[Endpoint]):
        self.ctx, self.endpoints = ctx, endpoints
        self.names = pa.array([e.name for e in endpoints])
        self.teams = pa.array([e.team for e in endpoints])
        self.tier = np.array([e.tier for e in endpoints], dtype=np.int64)
        self.rps = np.array([e.rps for e in endpoints])
        self.base_error = np.array([BASE_ERROR[e.tier] for e in endpoints])
        self.objective = np.array([P95_OBJECTIVE_MS[e.tier] for e in endpoints])
        self.latency_share = np.array([e.latency_share for e in endpoints])
        index = {e.name: i for i, e in enumerate(endpoints)}
        end = _micros(ctx.end)
        self.scenarios = [(index[s.endpoint], end + int(s.start.total_seconds()) * US,
                           end + int(s.end.total_seconds()) * US, s)
                          for s in scenarios() if s.endpoint in index]

    def block(self, rng: np.random.Generator, starts: np.ndarray, seconds: int) -> pa.Table:
        """All endpoints over the windows starting at ``starts`` (µs since the epoch)."""
        n_w, n_e = len(starts), len(self.endpoints)
        mid_s = starts // US + seconds // 2
        hour = (mid_s % 86400) / 3600.0
        weekday = (mid_s // 86400 + 3) % 7  # 1970-01-01 was a Thursday
        years = (mid_s - _micros(self.ctx.start) // US) / (365.25 * 86400)
        cycle = (1 + 0.45 * np.sin(2 * np.pi * (hour - 9) / 24)) * (1 + 0.3 * years)
        cycle *= np.where(weekday >= 5, 0.8, 1.0)
        lam = cycle[:, None] * self.rps[None, :] * seconds
        requests = rng.poisson(lam * rng.lognormal(0, 0.05, (n_w, n_e)))
        ratio = self.base_error[None, :] * rng.lognormal(0, 0.35, (n_w, n_e))
        p95 = (self.objective * self.latency_share)[None, :] * (1 + 0.12 * (cycle[:, None] - 1))
        p95 = p95 * rng.lognormal(0, 0.05, (n_w, n_e))
        self._apply(starts, requests, ratio, p95)
        errors = rng.binomial(requests, np.minimum(ratio, 1.0))
        p99 = p95 * rng.uniform(1.3, 1.8, (n_w, n_e))
        return self._table(starts, seconds, requests, errors, p95, p99)

    def _apply(self, starts, requests, ratio, p95) -> None:
        for col, lo, hi, s in self.scenarios:
            rows = (starts >= lo) & (starts < hi)
            if not rows.any():
                continue
            if s.error_ratio is not None:
                ratio[rows, col] = s.error_ratio
            if s.latency_factor is not None:
                p95[rows, col] = self.objective[col] * s.latency_factor
            if s.zero:
                requests[rows, col] = 0

    def _table(self, starts, seconds, requests, errors, p95, p99) -> pa.Table:
        n_w, n_e = requests.shape
        idx = pa.array(np.tile(np.arange(n_e, dtype=np.int32), n_w))
        idle = (requests == 0).ravel()
        return pa.table([
            self.names.take(idx),
            self.teams.take(idx),
            pa.array(np.tile(self.tier, n_w)),
            pa.array(np.repeat(starts, n_e), type=SCHEMA.field("window_start").type),
            pa.array(np.full(n_w * n_e, seconds, dtype=np.int64)),
            pa.array(requests.ravel()),
            pa.array(errors.ravel()),
            pa.array(np.round(p95, 1).ravel(), mask=idle),
            pa.array(np.round(p99, 1).ravel(), mask=idle),
        ], schema=SCHEMA)


def _spans(ctx: Ctx, sli_rows: int | None) -> tuple[list[Endpoint], list[tuple[int, int, int]]]:
    """Endpoints and (first window µs, window count, window seconds) spans to generate."""
    endpoints, end = ctx.org.endpoints, _micros(ctx.end)
    if ctx.scale != "large":
        fine = end - SLI_FINE_DAYS * 86400 * US
        hourly = (fine - _micros(ctx.start)) // (3600 * US)
        return endpoints, [(_micros(ctx.start), hourly, 3600), (fine, SLI_FINE_DAYS * 288, 300)]
    total = sli_rows if sli_rows is not None else len(endpoints) * LARGE_DAYS * 1440
    n_e = min(len(endpoints), max(1, total // 1440))
    n_w = max(1, round(total / n_e))
    return endpoints[:n_e], [(end - n_w * LARGE_WINDOW * US, n_w, LARGE_WINDOW)]


def _blocks(grid: Grid, spans: list[tuple[int, int, int]]) -> Iterator[pa.Table]:
    per_block = max(1, ROW_GROUP // len(grid.endpoints))
    block_no = 0
    for first, count, seconds in spans:
        for lo in range(0, count, per_block):
            n = min(per_block, count - lo)
            starts = first + (lo + np.arange(n, dtype=np.int64)) * seconds * US
            yield grid.block(grid.ctx.nprng(99, block_no), starts, seconds)
            block_no += 1


def write_inference_sli(ctx: Ctx, path: Path, sli_rows: int | None = None,
                        progress: Callable[[str], None] | None = None) -> int:
    """Write ``inference_sli.parquet``; returns the number of rows."""
    endpoints, spans = _spans(ctx, sli_rows)
    grid, rows = Grid(ctx, endpoints), 0
    with pq.ParquetWriter(path, SCHEMA, compression="zstd",
                          use_byte_stream_split=["latency_p95_ms", "latency_p99_ms"]) as writer:
        for table in _blocks(grid, spans):
            writer.write_table(table, row_group_size=ROW_GROUP)
            rows += table.num_rows
            if progress and ctx.scale == "large":
                progress(f"inference_sli: {rows:,} rows")
    return rows
