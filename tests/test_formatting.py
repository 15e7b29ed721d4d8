"""The CLI's text for people (rounding, units, targets and status words from
``metrics.present``), and its CSV unrounded."""

from __future__ import annotations

import csv
import io

import pytest

from metrics.cli.output import kpis_csv, kpis_table, slo_csv, slo_table


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
    lines = text.splitlines()
    assert lines[0] == "2026Q3 (team search): 1 of 2 KPIs on track or ahead"
    ttd = lines[4]  # the first row, its target wrapped within its column
    assert ttd.startswith("Time to detect") and "45.73 min" in ttd
    assert "≤ 60 minutes (stretch 30" in ttd and "✓ On track" in ttd
    assert lines[5].strip() == "minutes)"
    assert "≥ 90 % *" in text and "✗ Off track" in text
    assert "* = organisation's target (config)" in text
    rows = list(csv.DictReader(io.StringIO(kpis_csv(report))))
    assert rows[0]["value"] == "45.73333" and rows[0]["team"] == "search"  # unrounded
    assert rows[1]["target_source"] == "organisation"


def test_kpis_table_marks_what_the_scope_cannot_cut_and_leaves_it_out_of_the_count():
    report = {"period": "2026Q3", "scope": {"team": "search", "tier": 1}, "kpis": [
        _kpi(team_filter_applied=True, tier_filter_applied=True),
        _kpi(id="team_engagement", name="Team engagement", unit="score (1–5)", value=3.9,
             status="off_track", team_filter_applied=False, tier_filter_applied=False),
        _kpi(id="cost_per_training_run", name="Cost per run", unit="USD", value=212.5,
             status="off_track", team_filter_applied=True, tier_filter_applied=False),
    ]}
    text = kpis_table(report)
    assert text.splitlines()[0] == "2026Q3 (team search, tier 1): 1 of 1 KPIs on track or ahead"
    assert "Team engagement [org-wide]" in text
    assert "Cost per run [all\u00a0tiers]" in text  # never broken across lines
    assert "[org-wide] = its events carry no team" in text
    assert "[all tiers] = its events carry no tier" in text


def test_a_running_period_is_to_date_with_its_pace_and_provisional_statuses():
    report = {"period": "2026Q4", "complete": False, "elapsed": 0.6,
              "scope": {"team": None, "tier": None}, "kpis": [
                  _kpi(provisional=True),
                  _kpi(id="ml_release_throughput", name="Throughput", value=11.5714,
                       unit="releases/team/quarter", pace=True, provisional=True,
                       target={"kind": "absolute", "op": ">=", "value": 2, "stretch": 6,
                               "baseline_periods": None, "source": "default", "from": None})]}
    lines = kpis_table(report).splitlines()
    assert lines[0] == ("2026Q4 to date (whole org): 2 of 2 KPIs on track or ahead; 60% of the "
                        "period has passed, every status provisional")
    assert any(line.startswith("Throughput") and "11.57 pace" in line for line in lines)
    assert lines[-1] == "pace = the count so far scaled to the whole period"


def test_tables_fit_100_columns_whatever_the_names(make_store):
    long = "A very long KPI name that goes on and on about what it measures in detail"
    report = {"period": "2026Q3", "scope": {"team": "a-team-with-a-long-name", "tier": None},
              "kpis": [_kpi(name=long, team_filter_applied=False, change=-12.3456)]}
    assert max(map(len, kpis_table(report).splitlines())) <= 100
    burns = dict.fromkeys(["5m", "30m", "1h", "2h", "6h", "1d", "3d"], 123.456)
    slo = {"at": "2026-11-22T00:00:00Z", "endpoints": [{
        "endpoint": "an-endpoint-with-a-very-long-name-indeed", "team": "search", "tier": 1,
        "objective": 99.95, "latency_p95_objective_ms": 300, "window_days": 30,
        "availability": 99.12345, "latency_compliance": 97.5, "budget_consumed": 1234.5,
        "budget_remaining": -1134.5, "burn_rates": burns, "alert": "page",
        "fired": ["1h/5m", "6h/30m", "1d/2h", "3d/6h"],
        "burning_since": "2026-11-21T22:00:00Z"}]}
    assert max(map(len, slo_table(slo).splitlines())) <= 100


def test_slo_table_shows_the_alert_the_rows_that_fired_and_since_when():
    burns = dict.fromkeys(["5m", "30m", "1h", "2h", "6h", "1d", "3d"], 20.0)
    report = {"at": "2026-11-22T00:00:00Z", "endpoints": [{
        "endpoint": "search-query", "team": "search", "tier": 1, "objective": 99.9,
        "latency_p95_objective_ms": 300, "window_days": 30, "availability": 99.974,
        "latency_compliance": 100.0, "budget_consumed": 26.0, "budget_remaining": 74.0,
        "burn_rates": {**burns, "3d": None}, "alert": "page", "fired": ["1h/5m"],
        "burning_since": "2026-11-21T22:00:00Z"}]}
    lines = slo_table(report).splitlines()
    assert lines[0].startswith("SLOs at 2026-11-22 00:00 UTC, worst first.")
    first = lines[5]
    assert first.startswith("search-query") and "✗✗ page" in first
    assert "99.974 %" in first and "74 %" in first and "20.00" in first
    assert first.endswith("–")  # no requests in the 3d look-back
    assert "search · tier 1" in lines[6] and "1h/5m" in lines[6] and "of 99.9 %" in lines[6]
    assert "since 2026-11-21" in lines[7]
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
