"""The ``prometheus`` source's flow: files or a live server → windows → ingest.

Windows are kept as numpy arrays per endpoint and written to the scratch Parquet file
endpoint by endpoint (typed columns), so a year of 5-minute windows for 200 endpoints
(21M rows) never exists as Python objects. A quarantined row's ``Row`` (its file and the
map key that would have given its team or tier) is built only when ingest reports it.
"""

from __future__ import annotations

import argparse
import re
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.importers import prom_client, prom_windows
from metrics.importers.base import Rec, Row
from metrics.importers.prom_windows import MatrixError, Series, Windows
from metrics.importers.reading import (
    ReadError,
    _loads,  # orjson where installed; its errors are ValueErrors
    read_bytes,
)
from metrics.importers.rules import Mapper, no_value, resolve
from metrics.importers.run import ImportResult

DEFAULT_STEP = 300
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SCHEMA = pa.schema([("endpoint", pa.string()), ("team", pa.string()), ("tier", pa.int64()),
                    ("window_start", pa.timestamp("ms", tz="UTC")),
                    ("window_seconds", pa.int64()), ("requests", pa.int64()),
                    ("errors", pa.int64()), ("latency_p95_ms", pa.float64()),
                    ("latency_p99_ms", pa.float64())])


class ImportProblem(Exception):
    """Nothing can be imported (bad option, unreadable file, unreachable server)."""


def parse_duration(text: str) -> float:
    """``5m`` → 300.0, ``1h30m`` → 5400.0 (Prometheus' duration syntax)."""
    parts = _DURATION.findall(text or "")
    if not parts or "".join(n + u for n, u in parts) != text or not any(int(n) for n, _ in parts):
        raise ImportProblem(f"--step {text!r} is not a duration such as 30s, 5m or 1h")
    return float(sum(int(n) * _UNIT[u] for n, u in parts))


def parse_instant(text: str, option: str) -> float:
    """``2026-03-01`` (a UTC day) or an ISO-8601 time with an offset → unix seconds."""
    try:
        ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ImportProblem(f"{option} {text!r} is not a date or an ISO-8601 time such as "
                            "2026-03-01T00:00:00Z") from None
    if ts.tzinfo is None:
        if len(text.strip()) > 10:
            raise ImportProblem(f"{option} {text!r} has no time-zone offset; add one, e.g. "
                                f"{text.strip()}Z")
        ts = ts.replace(tzinfo=UTC)
    return ts.timestamp()


def import_prometheus(db: Path, args: argparse.Namespace, mapper: Mapper, say
                      ) -> ImportResult:
    """Read (files) or fetch (``args.url``) the windows, then store them through ingest."""
    if args.url:
        windows, origin = live_windows(args, mapper, say)
    else:
        windows, origin = file_windows(args, mapper, say)
    result = ImportResult("prometheus", origin, args.dry_run)
    result.records = sum(len(w) for w in windows)
    store_windows(db, windows, mapper, result, origin[0] if origin else "", say)
    return result


def file_windows(args: argparse.Namespace, mapper: Mapper, say
                 ) -> tuple[list[Windows], list[str]]:
    if not args.files:
        raise ImportProblem("give query_range files to read, or --url of a live Prometheus")
    series = read_series(args.files, say)
    step = parse_duration(args.step) if args.step else prom_windows.infer_step(series)
    if step is None:
        raise ImportProblem("the files hold no two samples of a series, so their step is "
                            "unknown; give --step")
    values = str(mapper.map.get("prometheus.values", "counter")).strip().lower()
    if values not in ("counter", "increase"):
        raise ImportProblem(f'[prometheus] values must be "counter" or "increase", '
                            f'not {values!r}')
    endpoint_of = endpoint_namer(mapper)
    windows = prom_windows.status_windows(
        series, endpoint_of, str(mapper.map.get("prometheus.status_label", "code")),
        error_pattern(mapper), step, cumulative=values == "counter")
    files = list(args.files)
    for option, which in (("latency_p95", "p95_ms"), ("latency_p99", "p99_ms")):
        name = getattr(args, option, None)
        if name:
            prom_windows.add_latency(windows, read_series([name], say), endpoint_of, step,
                                     1000.0, which)
            files.append(name)
    return stamp(windows, step), files


def live_windows(args: argparse.Namespace, mapper: Mapper, say
                 ) -> tuple[list[Windows], list[str]]:
    if args.files:
        raise ImportProblem("give either files or --url, not both")
    if not args.since:
        raise ImportProblem("--url needs --since, the start of the first window")
    step = parse_duration(args.step or "5m")
    start = np.floor(parse_instant(args.since, "--since") / step) * step
    until = parse_instant(args.until, "--until") if args.until else datetime.now(UTC).timestamp()
    end = np.floor(until / step) * step
    if end <= start:
        raise ImportProblem("--until must be at least one step after --since")
    if args.max_points < 2:
        raise ImportProblem("--max-points must be at least 2")
    queries = {name: mapper.map.get(f"prometheus.{name}") for name in
               ("requests", "errors", "latency_p95_ms", "latency_p99_ms")}
    for needed in ("requests", "errors"):
        if not queries[needed]:
            raise ImportProblem(f"--url needs the query [prometheus] {needed} in the map")
    total = len(prom_client.pages(start + step, end, step, args.max_points))
    asked = [0]

    def ask(name: str) -> list[Series]:
        query = str(queries[name]).replace("{{step}}", f"{int(step)}s")

        def page() -> None:
            asked[0] += 1
            say(f"asking {args.url} for {name}: page {asked[0] % total or total} of {total}")
        try:
            return prom_client.query_range(args.url, query, start + step, end, step,
                                           args.max_points, page)
        except prom_client.ServerError as exc:
            raise ImportProblem(f"[prometheus] {name}: {exc}") from None

    endpoint_of = endpoint_namer(mapper)
    windows = prom_windows.joined_windows(ask("requests"), ask("errors"), endpoint_of, step)
    for name, which in (("latency_p95_ms", "p95_ms"), ("latency_p99_ms", "p99_ms")):
        if queries[name]:
            prom_windows.add_latency(windows, ask(name), endpoint_of, step, 1.0, which)
    return stamp(windows, step), [args.url]


def read_series(files: list[str], say) -> list[Series]:
    """Every series of the files (JSON, or JSON Lines of pages), pages joined per series.

    A JSON Lines file is parsed a page at a time, so only one page's Python objects exist
    at once (a year of 5-minute windows is ten 11,000-point pages per series)."""
    joined: dict[tuple, list[Series]] = {}
    for name in files:
        say(f"reading {name}")
        try:
            for data in _documents(name):
                for s in prom_windows.parse_matrix(data):
                    joined.setdefault(tuple(sorted(s.labels.items())), []).append(s)
        except (ReadError, MatrixError) as exc:
            raise ImportProblem(f"{name}: {str(exc).rstrip('.')}") from None
    return [Series(parts[0].labels, np.concatenate([p.t for p in parts]),
                   np.concatenate([p.v for p in parts])) for parts in joined.values()]


def _documents(name: str) -> Iterator[object]:
    data = read_bytes(name)
    if not data.strip():
        raise ReadError("the file is empty")
    try:
        yield _loads(data)
        return
    except ValueError:
        pass
    for n, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            try:
                yield _loads(line)
            except ValueError:
                raise ReadError(f"line {n} is not JSON or JSON Lines (one query_range "
                                "response per line)") from None


def endpoint_namer(mapper: Mapper):
    entry = str(mapper.map.get("prometheus.endpoint", "label:service")).strip()
    name = entry.partition(":")[2] if entry.startswith("label:") else entry

    def endpoint_of(labels: dict) -> str:
        value = labels.get(name)
        if value in (None, ""):
            raise ImportProblem(f"a series has no label {name!r} ({_shown(labels)}); set "
                                "[prometheus] endpoint in the map, e.g. "
                                "endpoint = \"label:destination_service\"")
        return str(value)
    return endpoint_of


def error_pattern(mapper: Mapper) -> str:
    pattern = str(mapper.map.get("prometheus.error_codes", "5.."))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ImportProblem(f"[prometheus] error_codes {pattern!r} is not a regex ({exc})"
                            ) from None
    return pattern


def stamp(windows: list[Windows], step: float) -> list[Windows]:
    for w in windows:
        w.step = step
    return sorted(windows, key=lambda w: w.endpoint)


def _shown(labels: dict) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class EndpointRows:
    """The rows of the scratch file as ``Row``s, built on demand (record n → its endpoint)."""

    def __init__(self, windows: list[Windows], owners: list[dict], origin: str) -> None:
        self.windows, self.owners, self.origin = windows, owners, origin
        self.firsts = list(np.cumsum([0] + [len(w) for w in windows])[:-1])
        self.total = sum(len(w) for w in windows)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, n: int) -> Row:
        i = bisect_right(self.firsts, n) - 1
        w, owner = self.windows[i], self.owners[i]
        start = datetime.fromtimestamp(w.start_ms[n - self.firsts[i]] / 1000, UTC)
        record = f"{w.endpoint} {start.isoformat().replace('+00:00', 'Z')}"
        return Row("inference_sli", {}, self.origin, 1, record, owner["problems"])


def owner_of(w: Windows, mapper: Mapper) -> dict:
    """Team and tier of one endpoint from the map (label:NAME reads its series' labels)."""
    rec = Rec({}, "", labels=w.labels, fields={"endpoint": w.endpoint, "service": w.endpoint})
    values: dict = {"endpoint": w.endpoint}
    problems: dict = {}
    for column in ("team", "tier"):
        rule = mapper.map.get(column)
        value = resolve(rule, rec, values) if rule is not None else None
        if value is None:
            problems[column] = no_value(column, mapper.key(column))
        values[column] = value
    tier = values["tier"]
    if tier is not None and not (isinstance(tier, int) or str(tier).strip().isdigit()):
        problems["tier"] = f"tier: {tier!r} is not 1, 2 or 3; check [tier] in the map"
        tier = None
    return {"team": values["team"], "tier": None if tier is None else int(tier),
            "problems": problems}


def store_windows(db: Path, windows: list[Windows], mapper: Mapper, result: ImportResult,
                  origin: str, say) -> None:
    from metrics.importers import stage

    owners = [owner_of(w, mapper) for w in windows]
    rows = EndpointRows(windows, owners, origin)

    def write(path: Path) -> None:
        with pq.ParquetWriter(path, SCHEMA) as out:
            for w, owner in zip(windows, owners, strict=True):
                out.write_table(table_of(w, owner))

    say(f"storing {len(rows):,} inference_sli windows")
    result.kinds["inference_sli"] = stage.store_rows(db, "inference_sli", rows, result, say,
                                                     write=write)


def table_of(w: Windows, owner: dict) -> pa.Table:
    n = len(w)
    step = int(round(w.step))
    p95 = w.p95_ms if len(w.p95_ms) == n else np.full(n, np.nan)
    p99 = w.p99_ms if len(w.p99_ms) == n else np.full(n, np.nan)
    return pa.table({
        "endpoint": pa.array([w.endpoint] * n, pa.string()),
        "team": pa.array([owner["team"] and str(owner["team"])] * n, pa.string()),
        "tier": pa.array([owner["tier"]] * n, pa.int64()),
        "window_start": pa.array(w.start_ms, pa.timestamp("ms", tz="UTC")),
        "window_seconds": pa.array(np.full(n, step), pa.int64()),
        "requests": pa.array(w.requests, pa.int64()),
        "errors": pa.array(w.errors, pa.int64()),
        "latency_p95_ms": pa.array(p95, pa.float64(), from_pandas=True),
        "latency_p99_ms": pa.array(p99, pa.float64(), from_pandas=True),
    }, schema=SCHEMA)

