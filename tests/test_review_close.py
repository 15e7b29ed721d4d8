"""Closing a quarter: figures frozen in the store with who/when, closing twice, reopening,
and restatements after late events; the summary's counts. Expectations by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrics.cli.main import main
from metrics.periods import parse_period
from metrics.review.figures import Pack, Row, change
from metrics.review.summary import summary
from metrics.store import closes
from metrics.store.notes import add_note, notes_path

ROSTER = [{"team": "a"}, {"team": "b"}]


def deploy(i: int, team: str, deployed: str, lead_hours: int) -> dict:
    from datetime import datetime, timedelta

    at = datetime.fromisoformat(deployed.replace("Z", "+00:00"))
    spec = (at - timedelta(hours=lead_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"deployment_id": f"d{i}", "team": team, "model": f"m-{team}", "tier": 1,
            "spec_approved_at": spec, "deployed_at": deployed, "automated": True,
            "rollback": False}


# 2026Q3: 4 releases for 2 teams = 2.0 a team (target ≥ 2: on track); lead times 10, 20,
# 30, 40 h: median 25 h.
ON_TIME = [deploy(1, "a", "2026-07-10T00:00:00Z", 10), deploy(2, "a", "2026-08-10T00:00:00Z", 20),
           deploy(3, "b", "2026-09-10T00:00:00Z", 30), deploy(4, "b", "2026-09-20T00:00:00Z", 40)]
# ingested after the close: 4 more in 2026Q3 (2 h each) and 1 in 2026Q4, which is not
# 2026Q3's: 8 releases ÷ 2 = 4.0; lead times 2, 2, 2, 2, 10, 20, 30, 40: median 6 h.
LATE = [deploy(10 + i, "a", f"2026-09-2{i}T12:00:00Z", 2) for i in range(1, 5)] + [
    deploy(20, "b", "2026-10-02T00:00:00Z", 2)]


@pytest.fixture
def db(make_store) -> Path:
    return make_store({"team": ROSTER, "deployment": ON_TIME})


def cli(db: Path, *args: str) -> int:
    return main(["--db", str(db), *args])


def kpis(db: Path, capsys) -> dict:
    capsys.readouterr()
    assert cli(db, "kpis", "--period", "2026Q3", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    return {k["id"]: k for k in report["kpis"]} | {"_top": report}


def test_close_freezes_once(db, capsys) -> None:
    assert cli(db, "close", "--period", "2026q3", "--by", "ana") == 0
    assert capsys.readouterr().out.startswith("closed 2026Q3 (whole organisation): 21 KPIs")
    assert cli(db, "close", "--period", "2026Q3", "--by", "ben") == 0
    assert "already closed" in capsys.readouterr().out
    assert [h["action"] for h in closes.history(db, "2026Q3")] == ["close"]
    assert closes.history(db, "2026Q3")[0]["by"] == "ana"
    got = kpis(db, capsys)
    throughput = got["ml_release_throughput"]
    assert throughput["closed"]["value"] == 2.0 and throughput["closed"]["status"] == "on_track"
    assert throughput["closed"]["at"] == got["_top"]["closed_at"]
    assert throughput["restated"] is False
    assert got["lead_time_for_ml_changes"]["closed"]["value"] == 25.0
    assert got["cicd_coverage"]["closed"]["value"] is None  # no inventory: frozen as none
    # another scope and another quarter stay open
    capsys.readouterr()
    assert cli(db, "kpis", "--period", "2026Q2", "--format", "json") == 0
    assert "closed" not in json.loads(capsys.readouterr().out)["kpis"][0]


def test_late_events_restate_with_reason(db, make_store, capsys, tmp_path) -> None:
    assert cli(db, "close", "--period", "2026Q3", "--by", "ana") == 0
    make_store({"deployment": LATE}, db=db)
    got = kpis(db, capsys)
    throughput, lead = got["ml_release_throughput"], got["lead_time_for_ml_changes"]
    assert (throughput["closed"]["value"], throughput["value"]) == (2.0, 4.0)
    assert (lead["closed"]["value"], lead["value"]) == (25.0, 6.0)
    reason = "late events: 4 deployments ingested after close"
    assert throughput["restated"] is True and throughput["restated_reason"] == reason
    assert lead["restated"] is True and lead["restated_reason"] == reason
    assert got["cicd_coverage"]["restated"] is False
    # the report shows the closed figure as the quarter's, the recomputed one beside it
    out = tmp_path / "review.md"
    assert cli(db, "report", "--period", "2026Q3", "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert ("| ML feature delivery throughput | 2 releases/team/quarter (restated: now 4 "
            "releases/team/quarter) |") in text
    assert (f"- **Lead time for ML changes**: closed 25 hours, recomputed 6 hours — {reason}"
            in text)
    assert "2 KPIs restated since the close" in text
    html = tmp_path / "review.html"
    assert cli(db, "report", "--period", "2026Q3", "--out", str(html)) == 0
    assert reason in html.read_text(encoding="utf-8")


def test_reopen_is_explicit_and_recorded(db, make_store, capsys) -> None:
    assert cli(db, "close", "--period", "2026Q3", "--reopen", "--by", "ben") == 0
    assert "is not closed" in capsys.readouterr().out
    assert cli(db, "close", "--period", "2026Q3", "--by", "ana") == 0
    make_store({"deployment": LATE}, db=db)
    capsys.readouterr()
    assert cli(db, "close", "--period", "2026Q3", "--reopen", "--by", "ben") == 0
    assert capsys.readouterr().out.startswith("reopened 2026Q3")
    assert "closed" not in kpis(db, capsys)["ml_release_throughput"]
    assert [(h["action"], h["by"]) for h in closes.history(db, "2026Q3")] == [
        ("close", "ana"), ("reopen", "ben")]
    assert cli(db, "close", "--period", "2026Q3", "--by", "cy") == 0  # freezes today's 4.0
    got = kpis(db, capsys)["ml_release_throughput"]
    assert got["closed"]["value"] == 4.0 and got["restated"] is False


def test_notes_are_frozen_with_the_quarter(db, capsys, tmp_path) -> None:
    path = notes_path(db)
    add_note(path, "ml_release_throughput", "2026Q3", None, None, "ana", "Two teams shipped")
    assert cli(db, "close", "--period", "2026Q3", "--by", "ana") == 0
    add_note(path, "ml_release_throughput", "2026Q3", None, None, "ben", "Written later")
    out = tmp_path / "review.md"
    assert cli(db, "report", "--period", "2026Q3", "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert "Two teams shipped (ana, " in text and "Written later" not in text


@pytest.mark.parametrize("period, words", [("2026-08", "only a quarter"),
                                           ("2099Q1", "still running")])
def test_close_refuses_what_cannot_be_closed(db, capsys, period, words) -> None:
    assert cli(db, "close", "--period", period) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert closes.history(db, parse_period(period).label) == []


# -- the summary, on hand-made rows ---------------------------------------------------------

def row(i: int, status: str, before: str | None, provisional=False, org_wide=False) -> Row:
    return Row(id=f"k{i}", name=f"KPI {i}", family="f", unit="%", value=1.0, target=None,
               status=status, sample_size=1, stale=False, provisional=provisional,
               pace=False, org_wide=org_wide, previous_value=None, previous_status=before,
               year_value=None, qoq=None, yoy=None)


def pack(rows: list[Row], complete: bool = True, team: str | None = None) -> Pack:
    return Pack(parse_period("2026Q3"), {"team": team, "tier": None}, complete,
                "2026-10-01T00:00:00Z", 1.0 if complete else 0.5, rows, {}, [])


def test_summary_counts_from_the_rows() -> None:
    rows = [row(1, "on_track", "on_track"), row(2, "ahead", "off_track"),
            row(3, "off_track", "on_track"), row(4, "no_data", None)]
    assert summary(pack(rows)) == (
        "2 of 4 KPIs on track or ahead. 2 changed status since 2026Q2: KPI 2 (Off track → "
        "Ahead); KPI 3 (On track → Off track). Off track: KPI 3. Not judged (1 KPI without "
        "data or baseline): KPI 4.")


def test_summary_of_a_running_quarter_counts_no_change() -> None:
    rows = [row(1, "on_track", "off_track", provisional=True),
            row(2, "off_track", "on_track", provisional=True)]
    text = summary(pack(rows, complete=False))
    assert text.startswith("1 of 2 KPIs on track or ahead to date. 2026Q3 is still running "
                           "(50% elapsed): every status is provisional and none is counted "
                           "as a change. Off track to date: KPI 2.")
    assert "changed status" not in text


def test_summary_leaves_org_wide_kpis_out_of_a_team_count() -> None:
    rows = [row(1, "on_track", None), row(2, "off_track", None, org_wide=True)]
    text = summary(pack(rows, team="search"))
    assert text.startswith("1 of 1 KPIs on track or ahead.")
    assert "None off track." in text
    assert text.endswith("1 KPI cannot be filtered to team search and show the "
                         "organisation's figure (org-wide).")


@pytest.mark.parametrize("value, before, unit, expected", [
    (81.0, 78.0, "%", 3.0),            # points for a percentage
    (45.0, 60.0, "hours", -25.0),      # 100 × (45 − 60) ÷ 60
    (2.0, 0.0, "USD", None),           # no change from zero
    (None, 3.0, "days", None),
    (-3.0, -2.0, "score (1–5)", -50.0),  # against |baseline|
])
def test_change(value, before, unit, expected) -> None:
    assert change(value, before, unit) == expected
