"""Chart functions: pure data -> Plotly figure; the target is always drawn, hover says
value, target and sample size; one palette; report HTML is self-contained."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import charts, report, theme
from metrics import compact, present
from metrics.catalog import load_catalog


def _series(target_kind: str = "absolute") -> pd.DataFrame:
    return pd.DataFrame({
        "kpi": ["cicd_coverage"] * 3, "period": ["2026Q1", "2026Q2", "2026Q3"],
        "value": [70.0, 82.5, None], "sample_size": [10, 12, 0],
        "status": ["off_track", "on_track", "no_data"],
        "target": [80.0, 80.0, 85.0] if target_kind == "absolute" else [-20.0] * 3,
        "stretch": [95.0, 95.0, 95.0] if target_kind == "absolute" else [-40.0] * 3,
        "change": [None, None, None] if target_kind == "absolute" else [-10.0, -25.0, None],
    })


def _names(fig) -> list[str]:
    return [trace.name for trace in fig.data]


def test_trend_draws_target_as_dashed_line_with_stretch_band() -> None:
    fig = charts.kpi_trend(_series(), name="CI/CD", unit="%", op=">=")
    target = next(t for t in fig.data if t.name == "target")
    assert target.line.dash == "dash" and list(target.y) == [80.0, 80.0, 85.0]
    assert target.fill == "tonexty"  # the band up to the stretch trace before it
    assert "stretch" in _names(fig)


def test_trend_hover_has_value_target_and_sample() -> None:
    fig = charts.kpi_trend(_series(), name="CI/CD", unit="%", op=">=")
    value = next(t for t in fig.data if t.name == "CI/CD")
    assert value.hovertext[1] == ("82.5 %<br>target ≥ 80 % (stretch 95 %)<br>sample 12"
                                  "<br>✓ On track")
    assert value.marker.color[0] == theme.STATUS_COLOURS["off_track"]


def test_relative_target_is_drawn_on_the_change_panel() -> None:
    fig = charts.kpi_trend(_series("relative"), name="Lead time", unit="hours",
                           target_kind="relative", op="<=")
    target = next(t for t in fig.data if t.name == "target")
    assert target.yaxis == "y2" and list(target.y) == [-20.0] * 3
    assert "change vs baseline" in _names(fig)


def test_bars_draw_target_and_stretch_lines() -> None:
    df = pd.DataFrame({"team": ["a", "b"], "value": [1.0, 3.0], "sample_size": [4, 9]})
    fig = charts.bars_with_target(df, x="team", y="value", title="t", target=2, stretch=6,
                                  op=">=")
    dashes = sorted(shape.line.dash for shape in fig.layout.shapes)
    assert dashes == ["dash", "dot"]
    assert "sample 9" in fig.data[0].hovertext[1]


def test_burn_rate_chart_marks_every_threshold() -> None:
    df = pd.DataFrame({"t": pd.to_datetime(["2026-09-01", "2026-09-02"] * 2, utc=True),
                       "lookback": ["1h", "1h", "3d", "3d"], "burn_rate": [1, 2, 0.5, 0.7]})
    thresholds = {"1h/5m": 14.4, "6h/30m": 6.0, "1d/2h": 3.0, "3d/6h": 1.0}
    fig = charts.burn_rates(df, thresholds, "burn")
    assert sorted(shape.y0 for shape in fig.layout.shapes) == [1.0, 3.0, 6.0, 14.4]


def test_burndown_and_latency_draw_their_targets() -> None:
    days = pd.to_datetime(["2026-09-01", "2026-09-02"], utc=True)
    burn = charts.burndown(pd.DataFrame({"day": days, "budget_remaining": [100, 90],
                                         "ideal": [100, 96.7]}), "b")
    assert burn.data[0].line.dash == "dash"
    lat = charts.latency(pd.DataFrame({"window_start": days, "latency_p95_ms": [200, 320],
                                       "latency_p99_ms": [300, 500],
                                       "objective_ms": [300, 300]}), "l")
    assert next(t for t in lat.data if t.name == "p95 objective").line.dash == "dash"


def test_charts_use_transparent_backgrounds_and_the_palette() -> None:
    fig = charts.kpi_trend(_series(), name="x", unit="%", op=">=")
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert list(fig.layout.colorway) == theme.SERIES


def test_status_words_and_symbols_go_with_colour() -> None:
    assert theme.status_badge("off_track") == ":red[✗ Off track]"
    assert theme.status_badge(None) == ":gray[– No data]"
    assert set(theme.STATUS_COLOURS) == set(present.STATUS_SYMBOLS)


def _report() -> dict:
    target = {"kind": "absolute", "op": ">=", "value": 80, "stretch": 95, "source": "default"}
    return {"kpis": [
        {"id": "cicd_coverage", "name": "<b>CI/CD</b>", "unit": "%", "value": 82.5,
         "sample_size": 12, "status": "on_track", "target": target, "family": "f",
         "freshness": {"stale": False}},
        {"id": "lineage_coverage", "name": "Lineage", "unit": "%", "value": 90.0,
         "sample_size": 12, "status": "ahead", "target": target, "family": "f",
         "freshness": {"stale": True}},
    ]}


def _quarters() -> pd.DataFrame:
    return pd.DataFrame({"kpi": ["cicd_coverage"] * 2 + ["lineage_coverage"] * 2,
                         "period": ["2025Q3", "2026Q2"] * 2, "value": [75.0, 80.0, 60.0, 90.0],
                         "status": ["off_track", "on_track", "off_track", "off_track"]})


def test_review_table_puts_changed_status_first_with_qoq_and_yoy() -> None:
    table = report.review_table(_report(), _quarters(), "2026Q2", "2025Q3")
    assert list(table["id"]) == ["lineage_coverage", "cicd_coverage"]
    cicd = table.iloc[1]
    assert cicd["QoQ %"] == pytest.approx(100 * (82.5 - 80) / 80)
    assert cicd["YoY %"] == pytest.approx(10.0)
    assert table.iloc[0]["Previous status"] == "✗ Off track" and table.iloc[0]["Stale"]


TILE_VALUES = [0.0412, 0.5, 8.667, 41.5, 99.934, -12.34, 1234.5, 98765.4, 123456.7]


@pytest.mark.parametrize("unit", sorted({kpi.unit for kpi in load_catalog().values()}))
def test_every_catalog_unit_fits_a_scorecard_tile(unit: str) -> None:
    # ~200 px of a tile at 4 per row and 1400 px: about 10 characters of the value font,
    # a few more of the smaller delta font (which also says "vs 2026Q2")
    for value in TILE_VALUES:
        assert len(compact.compact(value, unit)) <= 10, (unit, compact.compact(value, unit))
        assert len(compact.compact_delta(value, unit)) <= 12, (unit,
                                                               compact.compact_delta(value, unit))


@pytest.mark.parametrize(("value", "unit", "text"), [
    (8.667, "releases/team/quarter", "8.67"), (41.5, "hours", "41.5 h"),
    (12.0, "minutes", "12 min"), (3.25, "days", "3.25 d"), (99.934, "%", "99.934 %"),
    (-4.5, "% per year", "-4.5 %"), (3.91, "score (1–5)", "3.91 /5"),
    (0.0412, "USD", "$0.0412"), (1234.5, "USD", "$1,234"), (None, "USD", "–"),
])
def test_tile_values_carry_a_short_unit(value, unit, text) -> None:
    assert compact.compact(value, unit) == text


def test_tile_deltas_carry_the_same_short_unit() -> None:
    assert compact.compact_delta(0.5, "releases/team/quarter") == "+0.5"
    assert compact.compact_delta(-0.01, "USD") == "-$0.01"
    assert compact.compact_delta(2.25, "hours") == "+2.25 h"
    assert compact.compact_delta(0.0001864, "%") == "+0.00019 %"  # two significant digits
    assert compact.compact_delta(None, "hours") is None


@pytest.mark.parametrize(("op", "value", "unit", "relative", "text"), [
    (">=", 2.0, "releases/team/quarter", False, "≥ 2"), ("<=", 60.0, "minutes", False, "≤ 60 min"),
    (">=", 99.9, "%", False, "≥ 99.9 %"), ("<=", -20.0, "hours", True, "change ≤ -20 %"),
    (">=", 4.2, "score (1–5)", False, "≥ 4.2 /5"), (None, None, "%", False, "no target"),
    ("<=", float("nan"), "%", False, "no target"),
])
def test_tile_target_is_compact(op, value, unit, relative, text) -> None:
    assert compact.compact_target(op, value, unit, relative) == text


def test_every_tile_status_line_fits_a_tile() -> None:
    # a tile is 295 px wide, ~265 px of label: ~44 characters of the label font (measured
    # on a screenshot: 35 characters took 194 px); a longer line is cut with an ellipsis
    statuses = ["ahead", "on_track", "off_track", "no_data", "no_baseline"]
    for kpi in load_catalog().values():
        t = kpi.target
        target = compact.compact_target(t.op, t.value, kpi.unit, t.kind == "relative")
        for status in statuses:
            line = f"{present.status_text(status)} · target {target}"
            assert len(line) <= 44, line
