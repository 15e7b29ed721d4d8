"""Many readers in one process, as Streamlit sessions are: each opens its own connection.

DuckDB shares one database instance per file in a process, so the second connection
finds the first one's locked configuration; it must still open, in UTC, hardened.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from metrics.kpi.report import kpi_report
from metrics.periods import parse_period
from metrics.slo.report import slo_report
from metrics.sql.backend import open_backend
from metrics.store.db import connect_read


@pytest.fixture
def db(make_store) -> Path:
    return make_store({
        "team": [{"team": "search"}, {"team": "ads"}],
        "inference_sli": [{"endpoint": "e1", "team": "search", "tier": 1,
                           "window_start": "2026-09-30T23:00:00Z", "window_seconds": 300,
                           "requests": 1000, "errors": 1}],
    })


def test_a_second_connection_in_the_same_process_opens(db):
    first, second = connect_read(db), connect_read(db)
    assert second.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
    assert second.execute("SELECT count(*) FROM team").fetchall() == [(2,)]
    with pytest.raises(duckdb.Error):
        second.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.Error):
        second.execute("SET TimeZone = 'Asia/Tokyo'")
    first.close()
    second.close()


def test_eight_threads_reading_at_once_see_no_errors_and_the_right_numbers(db):
    errors, values = [], []

    def read(i: int) -> None:
        try:
            for _ in range(5):
                if i % 3 == 0:
                    report = kpi_report(db, parse_period("2026Q3"))
                    values.append(next(k["value"] for k in report["kpis"]
                                       if k["id"] == "inference_availability"))
                elif i % 3 == 1:
                    values.append(slo_report(db)["endpoints"][0]["availability"])
                else:
                    backend = open_backend(db)
                    values.append(100 - 0.1 * (backend.table("team").count().execute() - 1))
                    backend.disconnect()
        except Exception as exc:  # any error in any thread fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # 1 error in 1000 requests: availability 99.9 % in the KPI and in the SLO report;
    # two teams on the roster: 100 − 0.1 × (2 − 1) = 99.9 by the third kind of reader
    assert values == pytest.approx([99.9] * 40)


def test_a_reader_opened_during_a_long_read_sees_the_new_snapshot(tmp_path: Path) -> None:
    """DuckDB hands a new connection the instance of a file name that is still open. A
    dashboard's overlapping sessions would so read the first snapshot forever; readers
    open the snapshot by its generation's name instead and see each ingest at once."""
    from conftest import write_csv

    from metrics.ingest.run import ingest
    from metrics.store.db import snapshot_path

    db = tmp_path / "mlkpi.duckdb"

    def add(name: str) -> None:
        path = write_csv(tmp_path / f"{name}.csv", [{"team": name, "lead": f"lead of {name}"}])
        assert ingest(db, "team", [str(path)]).exit_code == 0

    def teams(con: duckdb.DuckDBPyConnection) -> list[str]:
        return [t for (t,) in con.execute("SELECT team FROM team ORDER BY team").fetchall()]

    add("a")
    held = connect_read(db)  # a long read of the first snapshot
    add("b")
    second = connect_read(db)
    assert teams(second) == ["a", "b"], "a new reader got the old snapshot's instance"
    assert teams(held) == ["a"]  # the old reader keeps its snapshot until it closes
    add("c")
    third = connect_read(db)
    assert teams(third) == ["a", "b", "c"] and teams(held) == ["a"]
    for con in (held, second, third):
        con.close()
    snap = snapshot_path(db)
    names = sorted(p.name for p in tmp_path.glob(snap.name + "*"))
    assert names == [snap.name, f"{snap.name}.g{snap.stat().st_ino}"], names  # old ones gone
