"""A live Prometheus: ``/api/v1/query_range`` in pages of at most 11,000 points.

Prometheus refuses a range query whose series would hold more than 11,000 points
("exceeded maximum resolution of 11,000 points per timeseries"), so a long range is
asked for in pages: a year of 5-minute windows (105,120 points) is 10 requests.

    pages(start=0, end=3_300_000, step=300)  # 11,001 points wanted
    → [(0, 3_299_700), (3_300_000, 3_300_000)]  # 11,000 points, then 1
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

from metrics.importers.prom_windows import MatrixError, Series, parse_matrix

MAX_POINTS = 11_000
TIMEOUT_SECONDS = 120


class ServerError(Exception):
    """The server could not be asked, or refused: one sentence."""


def pages(start: float, end: float, step: float, max_points: int = MAX_POINTS
          ) -> list[tuple[float, float]]:
    """``(start, end)`` of each request so none holds more than ``max_points`` samples."""
    if end < start:
        return []
    span = (max_points - 1) * step
    out = []
    first = start
    while first <= end:
        out.append((first, min(first + span, end)))
        first += span + step
    return out


def query_range(url: str, query: str, start: float, end: float, step: float,
                max_points: int = MAX_POINTS, on_page: Callable[[], None] | None = None
                ) -> list[Series]:
    """Every series of ``query`` over ``[start, end]``, the pages joined per series."""
    joined: dict[tuple, list[Series]] = {}
    for first, last in pages(start, end, step, max_points):
        for s in fetch(url, query, first, last, step):
            joined.setdefault(tuple(sorted(s.labels.items())), []).append(s)
        if on_page:
            on_page()
    return [_concat(parts) for parts in joined.values()]


def fetch(url: str, query: str, start: float, end: float, step: float) -> Iterator[Series]:
    """One ``query_range`` request."""
    params = urllib.parse.urlencode({"query": query, "start": _num(start), "end": _num(end),
                                     "step": _num(step)})
    address = url.rstrip("/") + "/api/v1/query_range?" + params
    try:
        with urllib.request.urlopen(address, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ServerError(f"{url} answered {exc.code}: {_error_text(exc.read())}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServerError(f"cannot reach Prometheus at {url} ({reason})") from None
    try:
        return iter(parse_matrix(json.loads(body)))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ServerError(f"{url} did not answer with JSON; is it a Prometheus?") from None
    except MatrixError as exc:
        raise ServerError(f"{url}: {exc}") from None


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error") or "no error text")
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace").strip() or "no error text"


def _concat(parts: list[Series]) -> Series:
    import numpy as np

    if len(parts) == 1:
        return parts[0]
    return Series(parts[0].labels, np.concatenate([p.t for p in parts]),
                  np.concatenate([p.v for p in parts]))


def _num(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))
