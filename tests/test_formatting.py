"""Text for people: rounding that keeps the nines, units, status words, and CSV unrounded."""

from __future__ import annotations

import csv
import io

import pytest

from metrics.cli.output import kpis_csv, kpis_table, number, slo_csv, slo_table


def test_numbers_keep_the_nines_and_small_values_their_digits():
    assert number(99.953, "%") == "99.953%"  # 99.95 and 99.9 must not both read "100.0"
    assert number(84.2105, "%") == "84.2%"
    assert number(0.044897, "USD") == "0.0449"  # three significant digits
    assert number(1234.5) == "1,234"  # banker's rounding of .5 to even
    assert number(3.04431, "hours") == "3.04"
    assert number(None) == "–"


def _kpi(**kw):
    base = {"id": "time_to_detect", "name": "Time to detect", "unit": "minutes",
            "value": 45.73333, "sample_size": 20, "status": "on_track", "change": None,
            "target": {"kind": "absolute", "op": "<=", "value": 60, "stretch": 30,
                       "baseline_periods": None, "source": "default", "from": None}}
    return {**base, **kw}


def test_kpis_table_says_how_many_are_on_track_and_marks_the_organisations_targets():
    report = {"period": "2026Q3", "scope": {"team": "search", "tier": None}, "kpis": [
        _kpi(),
        _kpi(id="cicd_coverage", name="CI/CD", unit="%", value=75.0, status="off_track",
             target={"kind": "absolute", "op": ">=", "value": 90, "stretch": None,
                     "baseline_periods": None, "source": "organisation", "from": "2026Q3"}),
    ]}
    text = kpis_table(report)
    assert text.splitlines()[0] == "2026Q3 (team search): 1 of 2 KPIs on track or ahead"
    assert "45.7" in text and "<= 60.0 (stretch 30)" in text and "on track ✓" in text
    assert ">= 90.0% *" in text and "OFF TRACK ✗" in text
    assert "* = organisation's target (config)" in text
    rows = list(csv.DictReader(io.StringIO(kpis_csv(report))))
    assert rows[0]["value"] == "45.73333" and rows[0]["team"] == "search"  # unrounded
    assert rows[1]["target_source"] == "organisation"


def test_slo_table_shows_the_alert_the_rows_that_fired_and_since_when():
    burns = dict.fromkeys(["5m", "30m", "1h", "2h", "6h", "1d", "3d"], 20.0)
    report = {"at": "2026-11-22T00:00:00Z", "endpoints": [{
        "endpoint": "search-query", "team": "search", "tier": 1, "objective": 99.9,
        "latency_p95_objective_ms": 300, "window_days": 30, "availability": 99.974,
        "latency_compliance": 100.0, "budget_consumed": 26.0, "budget_remaining": 74.0,
        "burn_rates": {**burns, "3d": None}, "alert": "page", "fired": ["1h/5m"],
        "burning_since": "2026-11-21T22:00:00Z"}]}
    text = slo_table(report)
    line = text.splitlines()[-1]
    assert "page (1h/5m)" in line and "2026-11-21 22:00" in line
    assert "99.974%" in line and "74.0%" in line and "20.00" in line and line.endswith("–")
    row = next(csv.DictReader(io.StringIO(slo_csv(report))))
    assert row["burn_3d"] == "" and row["burning_since"] == "2026-11-21T22:00:00Z"


def test_status_of_a_store_that_does_not_exist_reports_every_kind_empty(tmp_path):
    import json
    import subprocess
    import sys

    from metrics.events import KINDS

    db = tmp_path / "none.duckdb"
    run = subprocess.run([sys.executable, "-m", "metrics.cli", "--db", str(db), "status",
                          "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0
    report = json.loads(run.stdout)
    assert set(report["kinds"]) == set(KINDS)
    assert all(k == {"rows": 0, "newest": None, "stale": True} for k in report["kinds"].values())
    assert report["quarantined"] == {}
    assert "no store" in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []  # reading never creates a store


@pytest.mark.parametrize(("command", "option", "said"), [
    ("kpis", ["--team", "nobody"], "no stored event mentions team 'nobody'; "
                                   "known teams: ads, search."),
    ("slo", ["--team", "nobody"], "no stored event mentions team 'nobody'; "
                                  "known teams: ads, search."),
    ("kpis", ["--tier", "3"], "no stored event has tier 3; tiers in the store: 1."),
])
def test_a_scope_no_event_mentions_is_refused_in_one_sentence(make_store, command, option,
                                                                said):
    import subprocess
    import sys

    db = make_store({"team": [{"team": "search"}, {"team": "ads"}], "deployment": [
        {"deployment_id": "d1", "team": "search", "model": "m", "tier": 1,
         "spec_approved_at": "2026-07-01T00:00:00Z", "deployed_at": "2026-07-02T00:00:00Z",
         "automated": True}]})
    period = ["--period", "2026Q3"] if command == "kpis" else []
    run = subprocess.run([sys.executable, "-m", "metrics.cli", "--db", str(db), command,
                          *period, *option, "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == f"mlkpi: {said}\n"
