from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.config import ConfigError, OrgConfig, config_path_from_env, load_config
from metrics.kpi.targets import resolve_target
from metrics.periods import parse_period
from metrics.slo.objectives import Objective, slo_objective

CATALOG = load_catalog()


def config(tmp_path: Path, text: str) -> OrgConfig:
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        config(tmp_path, text)
    return str(info.value)


def target(kpi_id: str, period: str, org: OrgConfig):
    return resolve_target(CATALOG[kpi_id], parse_period(period), org)


# --- paths -------------------------------------------------------------------

def test_config_path_from_cli_then_env_then_none() -> None:
    assert config_path_from_env("a.toml", {"MLKPI_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path_from_env(None, {"MLKPI_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path_from_env(None, {}) is None
    assert config_path_from_env(None, {"MLKPI_CONFIG": ""}) is None


def test_none_and_empty_file_change_nothing(tmp_path: Path) -> None:
    assert load_config(None) == OrgConfig()
    empty = config(tmp_path, "")
    t = target("cicd_coverage", "2026Q3", empty)
    assert (t.op, t.value, t.stretch, t.source, t.from_period) == (">=", 80, 95, "default", None)


# --- resolving targets ---------------------------------------------------------

def test_defaults_resolve_with_baseline_periods_per_grain() -> None:
    org = OrgConfig()
    q = target("lead_time_for_ml_changes", "2026Q3", org)
    assert q.to_json() == {"kind": "relative", "op": "<=", "value": -20, "stretch": -40,
                           "baseline_periods": 4, "source": "default", "from": None}
    assert target("lead_time_for_ml_changes", "2026-08", org).baseline_periods == 12
    assert target("lead_time_for_ml_changes", "2026-W32", org).baseline_periods == 52
    assert target("defect_escape_rate", "2026-W32", org).baseline_periods == 1
    assert target("cicd_coverage", "2026Q3", org).baseline_periods is None


CHANGING = """
[kpi.cicd_coverage]
target = 80

[[kpi.cicd_coverage.change]]
from = "2026Q3"
target = 90
"""


def test_target_changes_between_two_quarters(tmp_path: Path) -> None:
    org = config(tmp_path, CHANGING)
    assert target("cicd_coverage", "2026Q2", org).value == 80
    assert target("cicd_coverage", "2026Q2", org).from_period is None
    assert target("cicd_coverage", "2026Q2", org).source == "organisation"
    for period in ("2026Q3", "2026-08", "2026-W40", "2027Q1"):
        t = target("cicd_coverage", period, org)
        assert (t.value, t.stretch, t.from_period, t.source) == (90, 95, "2026Q3",
                                                                 "organisation")
    # 2026-W27 starts 2026-06-29, before 2026Q3 starts: the change does not apply yet.
    assert target("cicd_coverage", "2026-W27", org).value == 80


def test_newest_applicable_change_wins_whatever_the_file_order(tmp_path: Path) -> None:
    org = config(tmp_path, """
[[kpi.cicd_coverage.change]]
from = "2027Q1"
target = 92
[[kpi.cicd_coverage.change]]
from = "2026-08"
target = 85
""")
    assert target("cicd_coverage", "2026-07", org).value == 80  # the catalog default
    assert target("cicd_coverage", "2026-07", org).source == "default"
    assert target("cicd_coverage", "2026-09", org).value == 85
    assert target("cicd_coverage", "2026-09", org).from_period == "2026-08"
    assert target("cicd_coverage", "2027-W10", org).value == 92


def test_stretch_false_removes_the_stretch(tmp_path: Path) -> None:
    org = config(tmp_path, "[kpi.cicd_coverage]\nstretch = false\n")
    t = target("cicd_coverage", "2026Q3", org)
    assert (t.value, t.stretch, t.source) == (80, None, "organisation")
    assert t.to_json()["stretch"] is None


def test_op_override(tmp_path: Path) -> None:
    org = config(tmp_path, '[kpi.defect_escape_rate]\nop = "<="\n')
    t = target("defect_escape_rate", "2026-08", org)
    assert (t.kind, t.op, t.value, t.baseline) == ("relative", "<=", 0, "previous")


def test_change_that_sets_only_stretch_inherits_target(tmp_path: Path) -> None:
    org = config(tmp_path, """
[kpi.time_to_detect]
target = 45

[[kpi.time_to_detect.change]]
from = "2026-W32"
stretch = 20
""")
    before = target("time_to_detect", "2026-W31", org)
    after = target("time_to_detect", "2026-W32", org)
    assert (before.value, before.stretch) == (45, 30)
    assert (after.op, after.value, after.stretch, after.from_period) == ("<=", 45, 20, "2026-W32")


def test_relative_override(tmp_path: Path) -> None:
    org = config(tmp_path, "[kpi.cost_per_1k_inferences]\ntarget = -15\nstretch = -35\n")
    assert target("cost_per_1k_inferences", "2026Q3", org).to_json() == {
        "kind": "relative", "op": "<=", "value": -15, "stretch": -35,
        "baseline_periods": 4, "source": "organisation", "from": None}


# --- refusals: one sentence naming table and key -------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('[kpi.cicd_coverage]\nstretch = "high"\n',
     "kpi.cicd_coverage.stretch must be a number (or false to remove it)"),
    ("[kpi.cicd_coverage]\nstretch = true\n",
     "kpi.cicd_coverage.stretch must be a number (or false to remove it)"),
    ('[kpi.cicd_coverage]\ntarget = "85"\n', "kpi.cicd_coverage.target must be a number"),
    ("[kpi.cicd_coverage]\ntarget = nan\n", "kpi.cicd_coverage.target must be a number"),
    ("[kpi.nope]\ntarget = 1\n", "kpi.nope is not a KPI of the catalog"),
    ("[kpi.cicd_coverage]\nfoo = 1\n", "unknown key kpi.cicd_coverage.foo"),
    ('[kpi.cicd_coverage]\nop = "=="\n',
     "kpi.cicd_coverage.op must be one of '>=', '<=', '<', '>'"),
    ('[kpi.cicd_coverage]\nop = "<="\n',
     "kpi.cicd_coverage.op must be '>=' or '>' because higher is better for cicd_coverage"),
    ("[kpi.cicd_coverage]\nstretch = 70\n",
     "kpi.cicd_coverage.stretch 70 must be above the target 80 for op '>=' "
     "(or set stretch = false)"),
    ("[kpi.cicd_coverage]\ntarget = 96\n",
     "kpi.cicd_coverage.stretch 95 must be above the target 96 for op '>=' "
     "(or set stretch = false)"),
    ("[kpi.time_to_detect]\nstretch = 90\n",
     "kpi.time_to_detect.stretch 90 must be below the target 60 for op '<=' "
     "(or set stretch = false)"),
    ('[[kpi.cicd_coverage.change]]\nfrom = "2026Q3"\nstretch = 50\n',
     "kpi.cicd_coverage.change[1].stretch 50 must be above the target 80 for op '>=' "
     "(or set stretch = false)"),
    ("[kpi.cicd_coverage]\nchange = 3\n",
     "kpi.cicd_coverage.change must be an array of tables ([[kpi.cicd_coverage.change]])"),
    ("[[kpi.cicd_coverage.change]]\ntarget = 90\n",
     'kpi.cicd_coverage.change[1].from is missing; give the first period it applies to, '
     'e.g. from = "2026Q3"'),
    ('[[kpi.cicd_coverage.change]]\nfrom = "2026Q3"\n[[kpi.cicd_coverage.change]]\n'
     'from = "2026Q9"\n',
     "kpi.cicd_coverage.change[2].from must be a period such as 2026Q3, 2026-08 or 2026-W32"),
    ('[[kpi.cicd_coverage.change]]\nfrom = "2026Q3"\nbar = 1\n',
     "unknown key kpi.cicd_coverage.change[1].bar"),
    ('[[kpi.cicd_coverage.change]]\nfrom = "2026Q3"\n[[kpi.cicd_coverage.change]]\n'
     'from = "2026-07"\n',
     "kpi.cicd_coverage.change has two entries starting at 2026-07-01T00:00:00Z; keep one"),
    ("[slo.tier.1]\navailability = 100\n",
     "slo.tier.1.availability must be between 0 and 100 (exclusive)"),
    ("[slo.tier.1]\navailability = 0\n",
     "slo.tier.1.availability must be between 0 and 100 (exclusive)"),
    ('[slo.endpoint."ranker.v2"]\nlatency_p95_ms = 0\n',
     'slo.endpoint."ranker.v2".latency_p95_ms must be a number greater than 0'),
    ("[slo.tier.2]\nwindow_days = 91\n",
     "slo.tier.2.window_days must be a whole number of days from 1 to 90"),
    ("[slo.tier.2]\nwindow_days = 0\n",
     "slo.tier.2.window_days must be a whole number of days from 1 to 90"),
    ("[slo.tier.2]\nwindow_days = 28.0\n",
     "slo.tier.2.window_days must be a whole number of days from 1 to 90"),
    ("[slo.tier.2]\nwindow_days = true\n",
     "slo.tier.2.window_days must be a whole number of days from 1 to 90"),
    ("[slo.tier.4]\navailability = 99\n", "slo.tier.4 is not a tier; use slo.tier.1, 2 or 3"),
    ("[slo.tier.1]\nfoo = 1\n", "unknown key slo.tier.1.foo"),
    ("[slo.region]\nfoo = 1\n", "unknown key slo.region (use slo.tier or slo.endpoint)"),
    ("colour = 1\n",
     "unknown key colour (a config has only kpi, slo, dashboard and access tables)"),
    ("[dashboard]\nurl = \"kpi.example.org\"\n",
     "dashboard.url must be an http:// or https:// address such as https://kpi.example.org"),
    ("[dashboard]\nlink = 1\n", "unknown key dashboard.link"),
    ("dashboard = 1\n", "dashboard must be a table"),
])
def test_refusals(tmp_path: Path, text: str, message: str) -> None:
    assert refused(tmp_path, text) == message


def test_file_not_found_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == (f"config file {missing} does not exist; "
                               "fix --config or $MLKPI_CONFIG.")


def test_toml_syntax_error_names_the_path(tmp_path: Path) -> None:
    message = refused(tmp_path, "[kpi.cicd_coverage\n")
    assert message.startswith(f"config file {tmp_path / 'org.toml'} is not valid TOML: ")
    assert "line 1" in message


def test_nothing_runs_on_a_half_read_config(tmp_path: Path) -> None:
    # The first table is good, the second is not: the whole file is refused.
    text = "[kpi.cicd_coverage]\ntarget = 85\n[slo.tier.1]\navailability = 120\n"
    assert refused(tmp_path, text) == ("slo.tier.1.availability must be between 0 and 100 "
                                       "(exclusive)")


# --- SLO objectives -------------------------------------------------------------

def test_slo_defaults_per_tier() -> None:
    org = OrgConfig()
    assert slo_objective("a", 1, org) == Objective(99.9, 300, 30, "default")
    assert slo_objective("a", 2, org) == Objective(99.5, 500, 30, "default")
    assert slo_objective("a", 3, org) == Objective(99.0, 1000, 30, "default")


def test_slo_tier_then_endpoint_overrides(tmp_path: Path) -> None:
    org = config(tmp_path, """
[slo.tier.1]
availability = 99.95
latency_p95_ms = 250
window_days = 28

[slo.endpoint."ranker-v2"]
availability = 99.99
""")
    assert slo_objective("ranker-v2", 1, org) == Objective(99.99, 250, 28, "organisation")
    assert slo_objective("search-v1", 1, org) == Objective(99.95, 250, 28, "organisation")
    assert slo_objective("search-v1", 2, org) == Objective(99.5, 500, 30, "default")
    # An endpoint override on a tier with no tier table falls back to slo.md's defaults.
    assert slo_objective("ranker-v2", 3, org) == Objective(99.99, 1000, 30, "organisation")

