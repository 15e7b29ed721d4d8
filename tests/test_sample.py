"""The sample generator: exact columns, every events.md rule, determinism, size, the SLO story."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from metrics.events import KINDS
from metrics.sample import generate

AS_OF = date(2026, 11, 22)
END = pd.Timestamp(datetime(2026, 11, 22, tzinfo=UTC))
SIX_QUARTERS_BACK = pd.Timestamp("2025-04-01", tz="UTC")  # 2026Q4 minus 6 quarters

# Copied by hand from events.md, so a drift in the generator's own table is caught.
EXPECTED = {
    "team": ["team", "area", "lead"],
    "deployment": ["deployment_id", "team", "model", "tier", "spec_approved_at", "deployed_at",
                   "automated", "rollback"],
    "incident": ["incident_id", "team", "model", "tier", "severity", "cause", "onset_at",
                 "detected_at", "mitigated_at"],
    "defect": ["defect_id", "team", "model", "found_at", "stage", "severity"],
    "inference_sli": ["endpoint", "team", "tier", "window_start", "window_seconds", "requests",
                      "errors", "latency_p95_ms", "latency_p99_ms"],
    "cost": ["date", "team", "service", "category", "cost_usd", "inferences"],
    "training_run": ["run_id", "team", "model", "started_at", "status", "cost_usd"],
    "pipeline_run": ["run_id", "pipeline", "team", "tier", "scheduled_at", "status",
                     "freshness_met"],
    "model_inventory": ["snapshot_date", "model", "team", "tier", "in_production",
                        "automated_cicd", "full_lineage", "performance_monitoring",
                        "drift_monitoring", "data_quality_monitoring"],
    "team_adoption": ["snapshot_date", "team", "uses_standard_deployment",
                      "uses_standard_monitoring", "uses_model_registry"],
    "model_performance": ["model", "team", "metric", "measured_at", "value", "baseline",
                          "higher_is_better"],
    "survey_response": ["response_id", "survey", "submitted_at", "respondent_group", "score"],
    "roadmap_item": ["item_id", "quarter", "team", "committed", "delivered"],
    "hiring_req": ["req_id", "role", "critical", "opened_at", "filled_at"],
    "headcount": ["snapshot_date", "team", "headcount", "departures", "regretted_departures"],
}
KEYS = {
    "team": ["team"], "deployment": ["deployment_id"], "incident": ["incident_id"],
    "defect": ["defect_id"], "inference_sli": ["endpoint", "window_start"],
    "cost": ["date", "team", "service", "category"], "training_run": ["run_id"],
    "pipeline_run": ["run_id"], "model_inventory": ["snapshot_date", "model"],
    "team_adoption": ["snapshot_date", "team"],
    "model_performance": ["model", "metric", "measured_at"], "survey_response": ["response_id"],
    "roadmap_item": ["item_id", "quarter"], "hiring_req": ["req_id"],
    "headcount": ["snapshot_date", "team"],
}
TS_COLUMNS = {
    "deployment": ["spec_approved_at", "deployed_at"],
    "incident": ["onset_at", "detected_at", "mitigated_at"], "defect": ["found_at"],
    "training_run": ["started_at"], "pipeline_run": ["scheduled_at"],
    "model_performance": ["measured_at"], "survey_response": ["submitted_at"],
    "hiring_req": ["opened_at", "filled_at"],
}
DATE_COLUMNS = {"cost": "date", "model_inventory": "snapshot_date",
                "team_adoption": "snapshot_date", "headcount": "snapshot_date"}
BOOL_COLUMNS = {
    "deployment": ["automated", "rollback"], "pipeline_run": ["freshness_met"],
    "model_inventory": EXPECTED["model_inventory"][4:],
    "team_adoption": EXPECTED["team_adoption"][2:], "model_performance": ["higher_is_better"],
    "roadmap_item": ["committed", "delivered"], "hiring_req": ["critical"],
}
TS_TEXT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, seed=42, as_of=AS_OF)
    return out


def read(sample: Path, kind: str) -> pd.DataFrame:
    """Every CSV column as text; the SLI Parquet as typed columns."""
    if kind == "inference_sli":
        return pd.read_parquet(sample / "inference_sli.parquet")
    return pd.read_csv(sample / f"{kind}.csv", dtype=str, keep_default_na=False)


def when(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_datetime(df[col].replace("", None), utc=True)


def num(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df[col].replace("", None))


def test_every_kind_has_exactly_the_contract_columns(sample: Path) -> None:
    names = {f"{k}.parquet" if k == "inference_sli" else f"{k}.csv" for k in EXPECTED}
    assert {p.name for p in sample.iterdir()} == names
    for kind, columns in EXPECTED.items():
        assert list(read(sample, kind).columns) == columns, kind
        assert len(read(sample, kind)) > 0, kind


def test_parquet_types(sample: Path) -> None:
    schema = pq.read_schema(sample / "inference_sli.parquet")
    assert str(schema.field("window_start").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("requests").type) == "int64"


def test_same_seed_same_bytes_other_seed_differs(sample: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", seed=42, as_of=AS_OF)
    for path in again:
        assert path.read_bytes() == (sample / path.name).read_bytes(), path.name
    other = generate(tmp_path / "other", seed=7, as_of=AS_OF)
    differ = [p.name for p in other if p.read_bytes() != (sample / p.name).read_bytes()]
    assert "deployment.csv" in differ and "inference_sli.parquet" in differ


def test_keys_are_unique(sample: Path) -> None:
    for kind, key in KEYS.items():
        df = read(sample, kind)
        assert not df.duplicated(key).any(), kind


def test_text_formats(sample: Path) -> None:
    for kind, cols in TS_COLUMNS.items():
        df = read(sample, kind)
        for col in cols:
            given = df[col][df[col] != ""]
            assert given.str.match(TS_TEXT).all(), (kind, col)
    for kind, col in DATE_COLUMNS.items():
        assert read(sample, kind)[col].str.match(r"^\d{4}-\d{2}-\d{2}$").all(), kind
    for kind, cols in BOOL_COLUMNS.items():
        df = read(sample, kind)
        for col in cols:
            assert df[col].isin(["true", "false"]).all(), (kind, col)


def test_required_values_present(sample: Path) -> None:
    optional = {"area", "lead", "mitigated_at", "inferences", "filled_at", "freshness_met",
                "rollback", "latency_p95_ms", "latency_p99_ms"}
    for kind, columns in EXPECTED.items():
        df = read(sample, kind)
        for col in set(columns) - optional:
            assert not (df[col].isna() | (df[col].astype(str).str.strip() == "")).any(), col


def test_enums_and_tiers(sample: Path) -> None:
    sev = {"SEV1", "SEV2", "SEV3", "SEV4"}
    for kind in ("deployment", "incident", "pipeline_run", "model_inventory", "inference_sli"):
        assert set(read(sample, kind)["tier"].astype(int)) <= {1, 2, 3}, kind
    inc = read(sample, "incident")
    assert set(inc.severity) <= sev
    assert set(inc.cause) <= {"drift", "data_quality", "pipeline", "infrastructure", "code",
                              "other"}
    defect = read(sample, "defect")
    assert set(defect.stage) == {"pre_release", "post_release"} and set(defect.severity) <= sev
    assert set(read(sample, "cost").category) == {"inference", "training", "storage", "other"}
    assert set(read(sample, "training_run").status) == {"succeeded", "failed", "cancelled"}
    assert set(read(sample, "pipeline_run").status) == {"success", "failed"}
    survey = read(sample, "survey_response")
    assert set(survey.survey) == {"stakeholder_satisfaction", "engagement"}
    assert num(survey, "score").between(1, 5).all()
    assert read(sample, "roadmap_item").quarter.str.match(r"^\d{4}Q[1-4]$").all()


def test_row_rules(sample: Path) -> None:
    dep = read(sample, "deployment")
    assert (when(dep, "deployed_at") >= when(dep, "spec_approved_at")).all()
    inc = read(sample, "incident")
    assert (when(inc, "detected_at") >= when(inc, "onset_at")).all()
    done = inc.mitigated_at != ""
    assert (when(inc, "mitigated_at")[done] >= when(inc, "detected_at")[done]).all()
    assert 1 <= (~done).sum() <= 2  # the newest incidents are still open
    sli = read(sample, "inference_sli")
    assert ((sli.errors >= 0) & (sli.errors <= sli.requests)).all()
    assert (sli.window_seconds > 0).all() and (sli.latency_p95_ms.dropna() >= 0).all()
    both = sli.latency_p95_ms.notna() & sli.latency_p99_ms.notna()
    assert (sli.latency_p99_ms[both] >= sli.latency_p95_ms[both]).all()
    cost = read(sample, "cost")
    assert (num(cost, "cost_usd") >= 0).all() and (num(cost, "inferences").dropna() >= 0).all()
    assert (num(read(sample, "training_run"), "cost_usd") >= 0).all()
    perf = read(sample, "model_performance")
    assert (num(perf, "baseline") != 0).all() and num(perf, "value").notna().all()
    hire = read(sample, "hiring_req")
    filled = hire.filled_at != ""
    assert (when(hire, "filled_at")[filled] >= when(hire, "opened_at")[filled]).all()
    assert (~filled).any()  # some reqs are still open
    hc = read(sample, "headcount")
    assert (num(hc, "headcount") >= 0).all()
    assert (num(hc, "regretted_departures") <= num(hc, "departures")).all()
    assert (num(hc, "regretted_departures") >= 0).all()


def test_history_ends_before_as_of_and_covers_six_quarters(sample: Path) -> None:
    for kind, cols in TS_COLUMNS.items():
        df = read(sample, kind)
        for col in cols:
            assert when(df, col).max() < END, (kind, col)
    for kind, col in DATE_COLUMNS.items():
        assert read(sample, kind)[col].max() < AS_OF.isoformat(), kind
    sli = read(sample, "inference_sli")
    last = sli.window_start + pd.to_timedelta(sli.window_seconds, unit="s")
    assert last.max() == END
    for kind, col in (("deployment", "deployed_at"), ("incident", "onset_at")):
        assert when(read(sample, kind), col).min() < SIX_QUARTERS_BACK + pd.Timedelta(days=31)
    assert sli.window_start.min() == SIX_QUARTERS_BACK


def test_small_sample_stays_small(sample: Path) -> None:
    assert sum(p.stat().st_size for p in sample.iterdir()) <= 10 * 1024 * 1024


def test_sli_windows_fine_recently_hourly_before(sample: Path) -> None:
    sli = read(sample, "inference_sli")
    fine = sli.window_start >= END - pd.Timedelta(days=35)
    assert set(sli.window_seconds[fine]) == {300} and set(sli.window_seconds[~fine]) == {3600}
    assert sli.window_start.is_monotonic_increasing
    assert ((sli.requests == 0) & sli.latency_p95_ms.isna()).sum() == 2


def _ratio(sli: pd.DataFrame, endpoint: str, back: str) -> float:
    rows = sli[(sli.endpoint == endpoint) & (sli.window_start >= END - pd.Timedelta(back))]
    return rows.errors.sum() / rows.requests.sum()


def test_the_slo_story(sample: Path) -> None:
    sli = read(sample, "inference_sli")
    budget = {1: 0.001, 2: 0.005, 3: 0.01}
    burn = {e: {w: _ratio(sli, e, w) / budget[int(g.tier.iloc[-1])]
                for w in ("5min", "1h", "6h", "1D", "2h", "3D", "30D")}
            for e, g in sli.groupby("endpoint")}
    assert burn["search-query"]["1h"] > 14.4 and burn["search-query"]["5min"] > 14.4  # page
    slow = burn["fraud-score"]
    assert 3 < slow["1D"] < 6 and slow["2h"] > 3 and slow["1h"] < 14.4  # ticket, not page
    assert burn["ranking-ads"]["30D"] > 0.6 and burn["ranking-ads"]["3D"] < 1  # spent, quiet
    healthy = set(burn) - {"search-query", "fraud-score"}
    assert all(burn[e]["3D"] < 1 and burn[e]["1h"] < 6 for e in healthy)
    auto = sli[sli.endpoint == "search-autocomplete"]
    assert (auto.latency_p95_ms > 500).sum() >= 60


def test_kpis_meant_on_and_off_track(sample: Path) -> None:
    inv = read(sample, "model_inventory")
    last = inv[(inv.snapshot_date == inv.snapshot_date.max()) & (inv.in_production == "true")]
    assert (last.automated_cicd == "true").mean() >= 0.8
    crit = last[last.tier.astype(int) <= 2]
    covered = crit[EXPECTED["model_inventory"][7:]].eq("true").all(axis=1)
    assert 0.7 <= covered.mean() < 0.9
    inc = read(sample, "incident")
    ttd = (when(inc, "detected_at") - when(inc, "onset_at")).dt.total_seconds() / 60
    assert 30 < ttd.median() < 60
    ok = read(sample, "pipeline_run").status.eq("success").mean()
    assert 0.99 <= ok <= 0.996
    adopt = read(sample, "team_adoption")
    latest = adopt[adopt.snapshot_date == adopt.snapshot_date.max()]
    assert latest[EXPECTED["team_adoption"][2:]].eq("true").all(axis=1).mean() >= 0.7


def test_cost_per_1k_falls_but_rises_for_growth(sample: Path) -> None:
    cost = read(sample, "cost")
    inf = cost[cost.category == "inference"].assign(
        usd=lambda d: num(d, "cost_usd"), n=lambda d: num(d, "inferences"),
        year=lambda d: d.date.str[:7].map({"2025-10": "then", "2026-10": "now"}))
    per = inf.dropna(subset=["year"]).groupby("year")[["usd", "n"]].sum()
    assert per.usd.now / per.n.now < 0.9 * per.usd.then / per.n.then
    growth = inf[inf.team == "growth"].dropna(subset=["year"]).groupby("year")[["usd", "n"]].sum()
    assert growth.usd.now / growth.n.now > growth.usd.then / growth.n.then


def test_progress_names_every_kind(tmp_path: Path) -> None:
    said: list[str] = []
    paths = generate(tmp_path, seed=1, as_of=AS_OF, progress=said.append)
    assert len(paths) == len(KINDS)
    for path in paths:
        assert any(path.name in msg for msg in said)


def test_large_scale_sli_size_and_order(tmp_path: Path) -> None:
    generate(tmp_path, seed=3, scale="large", as_of=AS_OF, sli_rows=200_000)
    sli = pd.read_parquet(tmp_path / "inference_sli.parquet")
    assert abs(len(sli) - 200_000) <= 2_000
    assert set(sli.window_seconds) == {60}
    assert (sli.window_start + pd.Timedelta(seconds=60)).max() == END
    order = sli[["window_start", "endpoint"]]
    assert order.equals(order.sort_values(["window_start", "endpoint"]))
    assert not sli.duplicated(["endpoint", "window_start"]).any()
    assert (sli.errors <= sli.requests).all()
    assert len(pd.read_csv(tmp_path / "team.csv")) == 30


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="huge", as_of=AS_OF)
