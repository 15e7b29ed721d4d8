"""A store written before timestamps were bounded may hold a year-10000 instant, which no
reader can turn into a datetime. Its next reader (or writer) moves such rows to the
quarantine with their reason, once; status, kpis and the dashboard's data then work."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from metrics.cli.main import main
from metrics.store import health, repair
from metrics.store.db import connect_read, writer

GOOD = ("'ok', 'core', 'm', 1, TIMESTAMPTZ '2026-07-01 00:00:00+00', "
        "TIMESTAMPTZ '2026-07-02 00:00:00+00', true, false, 1")


def older_store(tmp_path: Path) -> Path:
    """A store as an older mlkpi left it: out-of-bounds values, and not checked yet."""
    db = tmp_path / "old.duckdb"
    with writer(db) as con:
        con.execute(f"""INSERT INTO deployment VALUES ({GOOD}),
            ('y10000', 'core', 'm', 1, TIMESTAMPTZ '2026-07-01 00:00:00+00',
             '9999-12-31T23:59:59-14:00'::TIMESTAMPTZ, true, false, 1),
            ('bc', 'core', 'm', 1, '0001-01-01T00:00:00+14:00'::TIMESTAMPTZ,
             TIMESTAMPTZ '2026-07-02 00:00:00+00', true, false, 1)""")
        con.execute("""INSERT INTO cost VALUES
            (DATE '2026-07-01', 'core', 's', 'other', 1, NULL, 1),
            (DATE '9999-12-31' + 2, 'core', 's', 'other', 1, NULL, 1)""")
        con.execute("DELETE FROM meta WHERE key = ?", [repair.MARKER])
    return db


def test_status_and_kpis_work_and_report_the_rows_as_quarantined(tmp_path, capsys):
    db = older_store(tmp_path)
    assert main(["--db", str(db), "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["kinds"]["deployment"]["rows"] == 1
    assert status["kinds"]["deployment"]["newest"] == "2026-07-02T00:00:00Z"
    assert status["kinds"]["cost"]["rows"] == 1
    assert status["quarantined"] == {"deployment": 2, "cost": 1}
    assert main(["--db", str(db), "kpis", "--period", "2026Q3", "--format", "json"]) == 0
    kpis = json.loads(capsys.readouterr().out)["kpis"]
    assert next(k for k in kpis if k["id"] == "lead_time_for_ml_changes")["sample_size"] == 1


def test_the_quarantine_keeps_each_row_with_its_reason(tmp_path):
    db = older_store(tmp_path)
    rows = health.quarantine_rows(db)
    got = sorted(zip(rows["kind"], rows["column"], rows["reason"], rows["file"], strict=True))
    between = "must lie between 1970-01-01 and 2200-01-01 (UTC)"
    assert got == [
        ("cost", "date", f"date {between}", repair.STORED_EARLIER),
        ("deployment", "deployed_at", f"deployed_at {between}", repair.STORED_EARLIER),
        ("deployment", "spec_approved_at", f"spec_approved_at {between}", repair.STORED_EARLIER),
    ]
    raws = [json.loads(r) for r in rows["raw"]]
    assert sorted(r.get("deployment_id", "") for r in raws) == ["", "bc", "y10000"]


def test_the_dashboards_span_reads_only_bounded_events(tmp_path):
    db = older_store(tmp_path)
    assert health.event_span(db) == (datetime(2026, 7, 1, tzinfo=UTC),
                                     datetime(2026, 7, 2, tzinfo=UTC))


def test_the_check_runs_once_per_store(tmp_path):
    db = older_store(tmp_path)
    connect_read(db).close()
    with writer(db) as con:  # a value put in by hand after the check is not looked for again
        assert repair.is_checked(con)
        assert repair.quarantine_out_of_bounds(con) == {}
    con = connect_read(db)
    try:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 3
    finally:
        con.close()


def test_a_new_store_is_marked_checked(tmp_path):
    with writer(tmp_path / "new.duckdb") as con:
        assert repair.is_checked(con)
