"""dashboard.views: pure shaping of engine output, no store and no Streamlit. Expected
figures are worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import slo_views, views
from metrics.catalog import load_catalog


def _series(values: list[float | None], status: str = "on_track",
            change: float | None = None) -> pd.DataFrame:
    return pd.DataFrame({"value": values, "sample_size": [3] * len(values),
                         "status": [status] * len(values), "change": [change] * len(values)})


def test_by_team_takes_the_last_period_and_the_level_that_meets_the_target() -> None:
    relative = {"kind": "relative", "op": "<=", "value": -20, "baseline_periods": 4}
    table = views.by_team({"ads": _series([60.0, 50.0, 55.0, 52.0, 45.0], "on_track", -25.0),
                           "search": _series([None, 70.0], "no_baseline")}, relative)
    assert list(table["team"]) == ["ads", "search"]
    ads, search = table.iloc[0], table.iloc[1]
    assert ads["value"] == 45.0 and ads["status"] == "on_track" and ads["change"] == -25.0
    assert ads["target_level"] == pytest.approx(48.0)  # 60 × (1 − 20 ÷ 100)
    assert search["value"] == 70.0 and pd.isna(search["target_level"])  # no baseline value
    absolute = {"kind": "absolute", "op": ">=", "value": 80}
    assert views.by_team({"ads": _series([None])}, absolute).iloc[0]["target_level"] == 80


def test_spread_gives_median_and_quartiles_per_period_in_order() -> None:
    table = views.spread({
        "2026Q2": pd.DataFrame({"lead_time_hours": [4.0, 1.0, 3.0, 2.0]}),
        "2026Q3": pd.DataFrame({"lead_time_hours": ["x", None]}),  # nothing numeric
        "2026Q1": pd.DataFrame({"other": [1.0]}),  # no such column
    }, "lead_time_hours")
    assert list(table["period"]) == ["2026Q2", "2026Q3", "2026Q1"]
    q2 = table.iloc[0]
    # sorted 1, 2, 3, 4: median (2 + 3) ÷ 2; p25 = 1 + 0.75 × (2 − 1); p75 = 3 + 0.25 × 1
    assert (q2["median"], q2["p25"], q2["p75"], q2["sample_size"]) == (2.5, 1.75, 3.25, 4)
    assert table.iloc[1]["sample_size"] == 0 and pd.isna(table.iloc[1]["median"])
    assert table.iloc[2]["sample_size"] == 0


def _costs(rows: list[tuple[str, str, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["service", "team", "cost_usd", "inferences"])


def test_cost_vs_baseline_puts_each_service_against_its_own_year_earlier() -> None:
    now = _costs([("rank", "ads", 6.0, 1000), ("rank", "ads", 4.0, 1000),  # 10 $ / 2k
                  ("embed", "search", 30.0, 3000), ("new", "ads", 1.0, 100),
                  ("idle", "ads", 5.0, 0)])
    before = _costs([("rank", "ads", 6.0, 1000), ("embed", "search", 8.0, 1000)])
    table = views.cost_vs_baseline(now, before, change=-10, top=12)
    # sorted by spend: embed 30 $, rank 10 $, new 1 $; idle served nothing and is left out
    assert list(table["service"]) == ["embed", "rank", "new"]
    embed, rank, new = (table.iloc[i] for i in range(3))
    assert embed["cost_per_1k"] == pytest.approx(10.0)   # 1000 × 30 ÷ 3000
    assert embed["baseline"] == pytest.approx(8.0)       # 1000 × 8 ÷ 1000
    assert embed["target_level"] == pytest.approx(7.2)   # 8 × (1 − 10 ÷ 100)
    assert rank["cost_per_1k"] == pytest.approx(5.0) and rank["sample_size"] == 2
    assert rank["target_level"] == pytest.approx(5.4)    # 6 × 0.9
    assert pd.isna(new["baseline"]) and pd.isna(new["target_level"])
    assert len(views.cost_vs_baseline(now, before, change=-10, top=1)) == 1
    assert views.cost_vs_baseline(_costs([]), before, change=-10).empty


def test_group_median_and_uncovered_models() -> None:
    incidents = pd.DataFrame({"severity": ["sev1", "sev2", "sev1", "sev1"],
                              "detect_minutes": [10.0, 50.0, 30.0, 20.0]})
    medians = views.group_median(incidents, "severity", "detect_minutes")
    assert medians.to_dict("records") == [
        {"severity": "sev1", "median": 20.0, "sample_size": 3},
        {"severity": "sev2", "median": 50.0, "sample_size": 1}]
    assert list(views.group_median(incidents, "cause", "detect_minutes").columns) == [
        "cause", "median", "sample_size"]
    models = pd.DataFrame({"model": ["a", "b", "c", "d"], "team": ["x"] * 4,
                           "tier": [1, 3, 2, 1], "in_production": [True, True, True, False],
                           "all_monitors": [False, False, True, False]})
    # b is tier 3 (over 2), c is covered, d is not in production
    assert list(views.uncovered(models, "all_monitors", max_tier=2)["model"]) == ["a"]
    assert list(views.uncovered(models, "all_monitors")["model"]) == ["a", "b"]


def test_catalog_table_words_each_kpis_target_once() -> None:
    catalog = load_catalog()
    targets = {kpi_id: {"kind": k.target.kind, "op": k.target.op, "value": k.target.value,
                        "stretch": k.target.stretch, "baseline_periods": 4,
                        "source": "default", "from": None} for kpi_id, k in catalog.items()}
    targets["cicd_coverage"] = {"kind": "absolute", "op": ">=", "value": 90, "stretch": None,
                                "source": "organisation", "from": "2026Q3"}
    table = views.catalog_table(catalog, targets).set_index("id")
    assert list(table.index) == list(catalog)
    assert table.loc["cicd_coverage", "target"] == "≥ 90 %"
    assert table.loc["cicd_coverage", "target source"] == "organisation from 2026Q3"
    lead = table.loc["lead_time_for_ml_changes"]
    assert lead["target"] == "change ≤ -20 % vs a year earlier (stretch -40 %)"


def test_slo_texts_and_freshness_read_for_people() -> None:
    assert slo_views.threshold_text({"1h/5m": 14.4, "6h/30m": 6.0, "1d/2h": 3.0, "3d/6h": 1.0}) \
        == "1h/5m > 14.4 · 6h/30m > 6 (page); 1d/2h > 3 · 3d/6h > 1 (ticket)"
    fresh = views.freshness_table({"kinds": {
        "deployment": {"rows": 4, "newest": "2026-08-01T09:30:00Z", "stale": False},
        "team": {"rows": 0, "newest": None, "stale": True}}})
    assert fresh.to_dict("records") == [
        {"kind": "deployment", "rows": 4, "newest": "2026-08-01 09:30 UTC", "stale": False},
        {"kind": "team", "rows": 0, "newest": "–", "stale": True}]
