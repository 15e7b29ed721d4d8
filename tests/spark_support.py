"""What the Spark tests share: the sample store with millisecond timestamps, its Parquet
export, a non-UTC time zone for the test process, and the comparison of two reports.

    db, lake = sample_store(tmp_path_factory.mktemp("spark"))
    with non_utc_time_zone():
        equal(report_json("--db", db, "kpis", ...), report_json(..., "--backend", url, ...), "")
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

AS_OF = date(2026, 10, 10)  # 2026Q3, 2026-09 and 2026-W39 are complete
AT = "2026-10-08T12:00:00.500Z"
REL = 1e-9
TIME_ZONE = "America/Los_Angeles"


def with_milliseconds(folder: Path) -> None:
    """Give every timestamp of the sample a millisecond part, later columns of a row a
    larger one (so no 'later ≥ earlier' rule breaks): 09:30:00Z → 09:30:00.037Z."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    stamp = re.compile(r"(T\d\d:\d\d:\d\d)(Z)")
    for path in folder.glob("*.csv"):
        lines = path.read_text().splitlines()
        out = [lines[0]]
        for n, line in enumerate(lines[1:]):
            column = iter(range(10))
            out.append(stamp.sub(lambda m, n=n, c=column: (
                f"{m[1]}.{(n * 37) % 300 + next(c) * 300:03d}{m[2]}"), line))
        path.write_text("\n".join(out) + "\n")
    sli = folder / "inference_sli.parquet"
    table = pq.read_table(sli)
    shift = pa.array([(i * 7) % 1000 * 1000 for i in range(table.num_rows)],
                     pa.duration("us"))
    moved = pc.add(table["window_start"], shift)
    pq.write_table(table.set_column(table.schema.get_field_index("window_start"),
                                    "window_start", moved), sli)


def sample_store(root: Path) -> tuple[Path, Path]:
    """(the DuckDB store of the small sample with milliseconds, its ``mlkpi export``)."""
    from metrics.cli.main import main
    from metrics.ingest.run import ingest
    from metrics.sample import generate

    files = generate(root / "sample", seed=42, scale="small", as_of=AS_OF)
    with_milliseconds(root / "sample")
    db = root / "mlkpi.duckdb"
    for path in sorted(files):
        result = ingest(db, path.name.split(".")[0], [str(path)])
        assert result.exit_code == 0, (path.name, result.file_errors, result.errors[:3])
    assert main(["--db", str(db), "export", "--out", str(root / "lake")]) == 0
    return db, root / "lake"


@contextlib.contextmanager
def non_utc_time_zone() -> Iterator[None]:
    """TZ is America/Los_Angeles meanwhile (processes started meanwhile inherit it)."""
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = TIME_ZONE
    time.tzset()
    try:
        yield
    finally:
        if old_tz is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


def report_json(*args: str) -> dict:
    """``mlkpi ARGS --format json``, which must exit 0, as a dict."""
    from metrics.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*args, "--format", "json"]) == 0
    return json.loads(out.getvalue())


def without_freshness(report: dict) -> dict:
    """The KPI report less each KPI's freshness (judged against "now", not the data)."""
    for kpi in report["kpis"]:
        kpi.pop("freshness")
    return report


def equal(a: object, b: object, where: str) -> None:
    """Equal, numbers to a relative 1e-9; every difference named."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            equal(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            equal(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-12), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
