"""What each tile, row and line of the dashboard says, against hand-computed figures:
the judged comparison of every relative KPI, pp against %, org-wide scope, provisional
and pace marks, the needs-attention list, SLO urgency and exhaustion, readable tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard import slo_views, tiles, views
from dashboard.filters import Scope, canonical_period, period_words
from metrics import compact, present
from metrics.catalog import load_catalog
from metrics.kpi.report import kpi_report, kpi_series
from metrics.periods import parse_period

Q3 = parse_period("2026Q3")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from browser_support import build_sample_store

    return build_sample_store(tmp_path_factory.mktemp("honest"))


# --- tiles compare what is judged -------------------------------------------------------

def test_every_relative_kpi_tile_shows_its_change_against_the_judged_baseline(sample):
    report = kpi_report(sample, Q3)
    facts = views.tiles(report, kpi_series(sample, Q3, 8, grain="quarter"))  # as data.py
    relative = {k.id: k for k in load_catalog().values() if k.target.kind == "relative"}
    assert relative, "the catalog has relative KPIs"
    for kpi in report["kpis"]:
        tile = facts[kpi["id"]]
        if kpi["id"] in relative:
            back = kpi["target"]["baseline_periods"]
            assert tile["relative"], kpi["id"]
            assert tile["previous"] == Q3.shift(-back).label, kpi["id"]
            assert tile["delta"] == pytest.approx(kpi["change"]), kpi["id"]
            if kpi["change"] is not None and kpi["baseline"]["value"]:
                by_hand = 100 * (kpi["value"] - kpi["baseline"]["value"]) / abs(
                    kpi["baseline"]["value"])
                assert tile["delta"] == pytest.approx(by_hand), kpi["id"]
            text = tiles.delta_html(kpi, tile)
            assert f"vs {Q3.shift(-back).label}" in text and " %" in text, text
        else:
            assert not tile["relative"], kpi["id"]
            assert tile["previous"] == "2026Q2", kpi["id"]


def test_tile_deltas_by_hand():
    series = pd.DataFrame({
        "kpi": ["a", "a", "r", "r"], "period": ["2026Q2", "2026Q3", "2026Q2", "2026Q3"],
        "period_start": pd.to_datetime(["2026-04-01", "2026-07-01"] * 2),
        "value": [80.0, 84.5, 10.0, 8.0], "status": ["on_track", "ahead", "off_track", None]})
    report = {"kpis": [
        {"id": "a", "value": 84.5, "unit": "%", "target": {"kind": "absolute"}},
        {"id": "r", "value": 8.0, "unit": "hours", "change": -20.0,
         "baseline": {"period": "2025Q3", "value": 10.0},
         "target": {"kind": "relative", "baseline_periods": 4}}]}
    facts = views.tiles(report, series)
    assert facts["a"] == {"spark": [80.0, 84.5], "spark_status": ["on_track", "ahead"],
                          "delta": 4.5, "previous": "2026Q2", "relative": False}
    assert facts["r"]["delta"] == -20.0 and facts["r"]["previous"] == "2025Q3"
    assert compact.change_delta(4.5, "%") == "+4.5 pp"
    assert compact.change_delta(-20.0, "hours", relative=True) == "-20 %"


@pytest.mark.parametrize(("delta", "unit", "relative", "text"), [
    (0.0, "%", False, "0 pp"), (-0.0, "hours", True, "0 %"), (0.0, "hours", False, "0 h"),
    (0.0, "USD", False, "0 USD"), (-1.17, "releases/team/quarter", False, "-1.17"),
    (0.056, "score (1–5)", False, "+0.056 /5"), (12.345, "% per year", False, "+12.35 pp"),
    (None, "%", False, None)])
def test_change_delta_outputs(delta, unit, relative, text):
    assert compact.change_delta(delta, unit, relative) == text


def test_a_zero_change_is_neutral_whatever_the_direction():
    assert compact.change_tone(0.0, "higher") == compact.change_tone(0.0, "lower") == "neutral"
    assert compact.change_tone(-1.0, "lower") == "good"
    assert compact.change_tone(-1.0, "higher") == "bad"
    kpi = {"id": "x", "name": "X", "unit": "%", "direction": "lower", "target": {}}
    html = tiles.delta_html(kpi, {"delta": 0.0, "previous": "2026Q2", "relative": False})
    assert tiles.TONES["neutral"] in html and "0 pp vs 2026Q2" in html


# --- scope, provisional, pace -------------------------------------------------------------

def _kpi(kpi_id, status, team_applied=True, **more):
    return {"id": kpi_id, "name": kpi_id.title(), "status": status, "unit": "%",
            "value": 50.0, "team_filter_applied": team_applied, "tier_filter_applied": True,
            "target": {"kind": "absolute", "op": ">=", "value": 80}, **more}


def test_org_wide_kpis_are_marked_and_left_out_of_the_team_count():
    report = {"kpis": [_kpi("a", "on_track"), _kpi("b", "off_track"),
                       _kpi("c", "on_track", team_applied=False),
                       _kpi("d", "off_track", team_applied=False)]}
    team = Scope(Q3, team="search")
    assert tiles.summary(report, team).startswith("1 of 2 KPIs on track or ahead · 1 off track")
    assert "(2 not counted: org-wide)" in tiles.summary(report, team)
    assert tiles.summary(report, Scope(Q3)).startswith("2 of 4 KPIs")  # org scope: all count
    assert tiles.scope_mark(report["kpis"][2], team) == "org-wide"
    assert "org-wide" in tiles.tile_html(report["kpis"][2], _facts(), team, "")
    assert "org-wide" not in tiles.tile_html(report["kpis"][0], _facts(), team, "")
    assert [line for line, _ in tiles.attention(report, team)][1].endswith("[org-wide]")


def _facts():
    return {"spark": [1.0, 2.0], "spark_status": ["on_track", "off_track"], "delta": 1.0,
            "previous": "2026Q2", "relative": False}


def test_running_period_marks_statuses_provisional_and_pace(sample):
    now = datetime(2026, 11, 16, tzinfo=UTC)  # 46 of 92 days into 2026Q4
    q4 = parse_period("2026Q4")
    report = kpi_report(sample, q4, now=now)
    assert report["complete"] is False and report["elapsed"] == pytest.approx(0.5)
    throughput = next(k for k in report["kpis"] if k["id"] == "ml_release_throughput")
    html = tiles.tile_html(throughput, _facts(), Scope(q4), "")
    assert "(provisional)" in html and "pace for the whole period" in html
    assert tiles.summary(report, Scope(q4)).endswith("provisional, to date")
    assert period_words(q4, now) == "2026Q4 to date" and period_words(Q3, now) == "2026Q3"


def test_needs_attention_lists_off_track_worst_first_with_reasons():
    far = _kpi("far", "off_track", value=10.0)   # 10 vs >= 80: 0.875 of the target off
    near = _kpi("near", "off_track", value=79.0, provisional=True)
    rel = {"id": "lead", "name": "Lead time", "status": "off_track", "unit": "hours",
           "value": 64.5, "change": -3.0, "baseline": {"period": "2025Q3", "value": 66.5},
           "target": {"kind": "relative", "op": "<=", "value": -20, "baseline_periods": 4}}
    lines = tiles.attention({"kpis": [near, _kpi("ok", "on_track"), rel, far]}, Scope(Q3))
    # off by 70 of 80 (0.875), by 17 of 20 points (0.85), by 1 of 80
    assert [line.split()[0] for line, _ in lines] == ["Far", "Lead", "Near"]
    assert lines[1][0] == ("Lead time 64.5 hours, target change ≤ -20 % vs a year earlier "
                           "(2025Q3), now -3 %")
    assert lines[2] == ("Near 79 %, target ≥ 80 %", True)


def test_sparkline_is_an_inline_image_coloured_by_status():
    img = tiles.sparkline([1.0, 3.0, 2.0], ["on_track", "off_track", "ahead"], "#D55E00")
    assert img.startswith('<img class="mk-spark"') and "src=\"data:image/svg+xml" in img
    assert "%23D55E00" in img and "%23009E73" in img  # line in the status colour, dots each
    assert tiles.sparkline([1.0], ["on_track"], "#000") == ""


# --- links ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "shown"), [
    ("2026q3", "2026Q3"), ("2026Q3", "2026Q3"), ("LATEST", "latest"), ("2026-w05", "2026-W05"),
    ("2026Q9", None), ("';--", None), ("2019Q1", None), (None, None)])
def test_a_period_in_the_link_is_read_case_aside(raw, shown):
    assert canonical_period(raw, ["2026Q3", "2026-W05"]) == shown


# --- SLO page ---------------------------------------------------------------------------

def test_budget_urgency_words():
    assert [slo_views.budget_state(v) for v in (78.0, 49.9, 24.0, 0.0, -3.0, None)] == [
        "✓ healthy", "! low", "✗ critical", "✗✗ exhausted", "✗✗ exhausted", "–"]


def test_a_paging_endpoint_runs_out_at_its_current_rate():
    # 50 % of a 30-day budget left; burning 25x now (1h), 0.5x over the day
    page = {"alert": "page", "budget_remaining": 50.0, "window_days": 30,
            "burn_rates": {"1h": 25.0, "1d": 0.5}}
    assert slo_views.exhaustion(page) == (pytest.approx(0.5 * 720 / 25), "1h")  # 14.4 h
    assert slo_views.exhaustion_text(page) == "14 h at the 1h rate (25×)"
    ticket = {**page, "alert": "ticket"}
    assert slo_views.exhaustion_text(ticket) == "30 d at the 1d rate (0.5×)"  # 0.5 × 720 ÷ 0.5
    assert slo_views.exhaustion_text({**page, "burn_rates": {"1h": 3000.0}}) == \
        "7 min at the 1h rate (3,000×)"
    assert slo_views.exhaustion_text({**page, "budget_remaining": 0.0}) == "spent"
    assert slo_views.exhaustion_text({**ticket, "burn_rates": {"1d": 0.0}}) == "not burning"


# --- tables people read -----------------------------------------------------------------

def test_readable_tables_have_no_none_nan_iso_or_negative_zero():
    df = pd.DataFrame({"at": pd.to_datetime(["2026-11-24T22:00:00Z", None]),
                       "x": [-0.0, 3.14159], "n": [1, 2], "s": ["a", None]})
    out = views.readable(df)
    assert out.to_dict("list") == {"at": ["2026-11-24 22:00 UTC", "–"], "x": ["0", "3.14"],
                                   "n": [1, 2], "s": ["a", "–"]}
    csv = views.to_csv(views.readable(df, blank="")).decode()
    assert "None" not in csv and "nan" not in csv and "-0" not in csv and "T22" not in csv


def test_server_paths_never_reach_the_data_page():
    history = pd.DataFrame({"files": ['["/srv/secret/in/a.csv", "/srv/b.csv"]'],
                            "extra_columns": ["{}"]})
    assert views.without_paths(history).to_dict("list") == {
        "files": ["a.csv, b.csv"], "extra_columns": ["–"]}


def test_quarterly_comparisons_read_pp_for_percentages():
    assert views.comparison({"value": 84.0, "unit": "%"}, 80.0) == "+4 pp"
    assert views.comparison({"value": 3.0, "unit": "hours"}, 4.0) == "-25 %"
    assert views.comparison({"value": 3.0, "unit": "hours"}, 0.0) == "–"
    assert views.comparison({"value": None, "unit": "%"}, 1.0) == "–"


def test_a_month_caption_reads_naturally():
    assert present.period_span("2026-08", "2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z") \
        == "2026-08 (1 to 31 August 2026)"


def test_the_pickers_words_change_at_utc_midnight_when_a_period_ends():
    """The period picker words each option once per UTC day: a period runs until the UTC
    midnight that ends it, whatever the hour of the run."""
    from datetime import date

    from dashboard.filters import _words

    assert _words("2026Q4", date(2026, 12, 31)) == "2026Q4 to date"
    assert _words("2026Q4", date(2027, 1, 1)) == "2026Q4"
    assert _words("2026-W53", date(2027, 1, 3)) == "2026-W53 to date"  # Sunday, last day
    assert _words("2026-W53", date(2027, 1, 4)) == "2026-W53"
    assert _words("2026-08", date(2026, 8, 31)) == "2026-08 to date"
    assert _words("2026-08", date(2026, 9, 1)) == "2026-08"
    for day, label in ((date(2026, 12, 31), "2026Q4"), (date(2027, 1, 1), "2026Q4")):
        for hour in (0, 23):  # any run of the day says the same as one at its first instant
            now = datetime.combine(day, datetime.min.time(), UTC).replace(hour=hour)
            assert _words(label, day) == period_words(parse_period(label), now)
