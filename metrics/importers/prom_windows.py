"""Prometheus ``query_range`` matrices → per-endpoint SLI windows (pure, numpy).

A sample at ``t`` of a range with step ``s`` covers the window ``(t − s, t]``, so its
``window_start`` is ``t − s``:

    request counter, step 300:  t=600 "100", t=900 "160", t=1200 "20" (a reset)
    → windows 600-900: 60 requests; 900-1200: 20 requests (after a reset the new value
      is all new, as Prometheus' own increase() counts it)

Counter values (``values = "counter"``) are differenced between samples exactly one
step apart; a pair further apart (a gap, a series that started late) gives no window,
because the requests of the missing windows cannot be placed. Per-window values
(``values = "increase"``, what ``increase(x[step])`` returns) are taken as they are.
Quantiles ``"NaN"``/``"+Inf"`` (no traffic) become an empty latency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# two timestamps are the same instant, or a pair exactly one step apart, within 1 ms
TOLERANCE = 1e-3


class MatrixError(ValueError):
    """A document that is not a ``query_range`` matrix response (one sentence)."""


@dataclass(slots=True)
class Series:
    """One series of a matrix: its labels and its samples (unix seconds, float values)."""

    labels: dict
    t: np.ndarray
    v: np.ndarray


@dataclass(slots=True)
class Windows:
    """The windows of one endpoint, sorted by start (ms since the epoch)."""

    endpoint: str
    labels: dict
    start_ms: np.ndarray
    requests: np.ndarray
    errors: np.ndarray
    p95_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    p99_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    step: float = 0.0

    def __len__(self) -> int:
        return len(self.start_ms)


def parse_matrix(doc: object) -> list[Series]:
    """The series of one ``/api/v1/query_range`` response (``{"status": "success",
    "data": {"resultType": "matrix", "result": [{"metric": {...}, "values": [[t, "v"]]}]}}``).
    """
    if not isinstance(doc, dict) or "data" not in doc:
        raise MatrixError("this is not a Prometheus query_range response "
                          '(expected {"status": "success", "data": {"resultType": "matrix"}})')
    if doc.get("status") not in (None, "success"):
        raise MatrixError(f"the response says status {doc.get('status')!r}: "
                          f"{doc.get('error') or 'no error text'}")
    data = doc["data"]
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        kind = data.get("resultType") if isinstance(data, dict) else None
        raise MatrixError(f"the result type is {kind!r}, not 'matrix'; save a query_range "
                          "response, not an instant query")
    out = []
    for n, item in enumerate(data.get("result") or [], start=1):
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(values, list):
            raise MatrixError(f"series {n} has no values list")
        try:
            t = np.array([p[0] for p in values], dtype=np.float64)
            v = np.array([p[1] for p in values], dtype=np.float64)
        except (TypeError, ValueError, IndexError):
            raise MatrixError(f"series {n} has a sample that is not [unix_time, \"value\"]"
                              ) from None
        out.append(Series(dict(item.get("metric") or {}), t, v))
    return out


def counter_increase(t: np.ndarray, v: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """(window_end, increase) of a cumulative counter: pairs one step apart, resets
    counted as Prometheus does (a drop means the counter restarted from zero)."""
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    if len(t) < 2:
        return np.empty(0), np.empty(0)
    inc = np.diff(v)
    dropped = inc < 0
    inc[dropped] = v[1:][dropped]
    ok = np.abs(np.diff(t) - step) < TOLERANCE
    return t[1:][ok], inc[ok]


def per_window(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(window_end, value) of a per-window series (``increase(x[step])``), NaNs dropped."""
    keep = np.isfinite(v)
    return t[keep], v[keep]


def infer_step(series: list[Series]) -> float | None:
    """The commonest spacing between samples (a saved file does not state its step)."""
    gaps = [np.diff(s.t) for s in series if len(s.t) > 1]
    if not gaps:
        return None
    spacing = np.round(np.concatenate(gaps), 3)
    values, counts = np.unique(spacing[spacing > 0], return_counts=True)
    return float(values[np.argmax(counts)]) if len(values) else None


def to_ms(seconds: np.ndarray) -> np.ndarray:
    return np.rint(seconds * 1000).astype(np.int64)


def sum_by_window(ends: list[np.ndarray], values: list[np.ndarray], step: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Σ values per window start (ms), over the series of one endpoint."""
    if not ends:
        return np.empty(0, np.int64), np.empty(0)
    starts = to_ms(np.concatenate(ends) - step)
    uniq, inverse = np.unique(starts, return_inverse=True)
    return uniq, np.bincount(inverse, weights=np.concatenate(values), minlength=len(uniq))


def counts(total: np.ndarray) -> np.ndarray:
    """Request counts as integers (``increase()`` may extrapolate to fractions)."""
    return np.rint(total).astype(np.int64)


def status_windows(series: list[Series], endpoint_of, status_label: str, error_codes: str,
                   step: float, cumulative: bool) -> list[Windows]:
    """Request series split by status code → requests and errors per endpoint and window.

    ``endpoint_of(labels)`` names a series' endpoint. Errors are the series whose
    ``status_label`` matches ``error_codes`` (a full-match regex, e.g. ``5..``)."""
    pattern = re.compile(error_codes)
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(endpoint_of(s.labels), []).append(s)
    out = []
    for endpoint, members in groups.items():
        ends, vals, err_ends, err_vals = [], [], [], []
        for s in members:
            end, val = (counter_increase(s.t, s.v, step) if cumulative
                        else per_window(s.t, s.v))
            ends.append(end)
            vals.append(val)
            if pattern.fullmatch(str(s.labels.get(status_label, ""))):
                err_ends.append(end)
                err_vals.append(val)
        starts, requests = sum_by_window(ends, vals, step)
        if not len(starts):
            continue
        e_starts, e_total = sum_by_window(err_ends, err_vals, step)
        out.append(Windows(endpoint, _common_labels(members), starts, counts(requests),
                           counts(_align(starts, e_starts, e_total, 0.0))))
    return out


def joined_windows(requests: list[Series], errors: list[Series], endpoint_of, step: float
                   ) -> list[Windows]:
    """Live mode: one per-window series of requests and one of errors per endpoint; an
    endpoint with requests and no error series at a window had no errors then."""
    errs: dict[str, list[Series]] = {}
    for s in errors:
        errs.setdefault(endpoint_of(s.labels), []).append(s)
    groups: dict[str, list[Series]] = {}
    for s in requests:
        groups.setdefault(endpoint_of(s.labels), []).append(s)
    out = []
    for endpoint, members in groups.items():
        starts, total = sum_by_window(*_pairs(members), step)
        if not len(starts):
            continue
        e_starts, e_total = sum_by_window(*_pairs(errs.get(endpoint, [])), step)
        out.append(Windows(endpoint, _common_labels(members), starts, counts(total),
                           counts(_align(starts, e_starts, e_total, 0.0))))
    return out


def _pairs(members: list[Series]) -> tuple[list, list]:
    pairs = [per_window(s.t, s.v) for s in members]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def add_latency(windows: list[Windows], series: list[Series], endpoint_of, step: float,
                scale: float, which: str) -> None:
    """Quantile series → ``p95_ms``/``p99_ms`` of the windows (NaN where none or not
    finite: ``"NaN"`` with no traffic, ``"+Inf"`` past the last bucket)."""
    by_endpoint: dict[str, list[Series]] = {}
    for s in series:
        by_endpoint.setdefault(endpoint_of(s.labels), []).append(s)
    for w in windows:
        found = by_endpoint.get(w.endpoint, [])
        starts = np.concatenate([to_ms(s.t - step) for s in found]) if found else np.empty(0)
        values = np.concatenate([s.v for s in found]) if found else np.empty(0)
        values = np.where(np.isfinite(values), values * scale, np.nan)
        setattr(w, which, _align(w.start_ms, starts.astype(np.int64), values, np.nan))


def _align(starts: np.ndarray, keys: np.ndarray, values: np.ndarray, missing: float
           ) -> np.ndarray:
    """``values`` (at ``keys``) placed at ``starts``; ``missing`` where a start has none."""
    out = np.full(len(starts), missing, dtype=np.float64)
    if not len(keys):
        return out
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    at = np.clip(np.searchsorted(keys, starts), 0, len(keys) - 1)
    hit = keys[at] == starts
    out[hit] = values[at[hit]]
    return out


def _common_labels(members: list[Series]) -> dict:
    """The labels every series of an endpoint shares (a status code is not the endpoint's)."""
    common = dict(members[0].labels)
    for s in members[1:]:
        common = {k: v for k, v in common.items() if s.labels.get(k) == v}
    return common
