import re
from pathlib import Path

import pytest

from metrics.catalog import KNOWN_KINDS, CatalogError, Target, load_catalog


def test_every_catalog_kpi_has_a_formula_and_every_formula_a_kpi() -> None:
    from metrics.kpi.formulas import FORMULAS

    assert set(load_catalog()) == set(FORMULAS)


def test_catalog_ids_are_snake_case_and_names_unique() -> None:
    catalog = load_catalog()
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", kpi_id) for kpi_id in catalog)
    names = [kpi.name for kpi in catalog.values()]
    assert len(set(names)) == len(names)


def test_default_targets() -> None:
    c = load_catalog()
    assert c["ml_release_throughput"].target == Target("absolute", ">=", 2, 6)
    assert c["lead_time_for_ml_changes"].target == Target("relative", "<=", -20, -40, "year")
    assert c["cicd_coverage"].target == Target("absolute", ">=", 80, 95)
    assert c["model_performance_lift"].target == Target("absolute", ">=", 0)
    assert c["performance_drift_rate"].target == Target("absolute", "<=", 10)
    assert c["time_to_detect"].target == Target("absolute", "<=", 60, 30)
    assert c["time_to_mitigate"].target == Target("absolute", "<=", 8, 2)
    assert c["inference_availability"].target == Target("absolute", ">=", 99.9)
    assert c["inference_latency_slo"].target == Target("absolute", ">=", 99)
    assert c["cost_per_1k_inferences"].target == Target("relative", "<=", -10, -30, "year")
    assert c["cost_per_training_run"].target == Target("relative", "<=", 0, None, "previous")
    assert c["pipeline_reliability"].target == Target("absolute", ">=", 99)
    assert c["lineage_coverage"].target == Target("absolute", ">=", 90, 100)
    assert c["monitoring_coverage"].target == Target("absolute", ">=", 90)
    assert c["defect_escape_rate"].target == Target("relative", "<", 0, None, "previous")
    assert c["stakeholder_satisfaction"].target == Target("absolute", ">=", 4.2)
    assert c["roadmap_predictability"].target == Target("absolute", ">=", 80, 90)
    assert c["team_engagement"].target == Target("relative", ">=", 0, None, "previous")
    assert c["regretted_attrition"].target == Target("absolute", "<=", 5)
    assert c["hiring_cycle_time"].target == Target("relative", "<=", 0, None, "previous")
    assert c["platform_adoption"].target == Target("absolute", ">=", 70, 90)


def test_cadence_units_notes_and_params() -> None:
    c = load_catalog()
    assert c["ml_release_throughput"].cadence == "monthly"  # Monthly/Quarterly
    assert c["model_performance_lift"].cadence == "weekly"  # Weekly/Monthly
    assert c["time_to_mitigate"].cadence == "monthly"  # Per incident / Monthly
    assert c["stakeholder_satisfaction"].cadence == "quarterly"
    assert c["regretted_attrition"].unit == "% per year"
    assert c["team_engagement"].unit == "score (1–5)"
    assert c["time_to_detect"].target_note == "critical online models: tier 1"
    assert c["inference_availability"].target_note == "tier-1"
    assert c["pipeline_reliability"].target_note == "tier-1"
    assert c["cicd_coverage"].target_note is None
    assert c["performance_drift_rate"].params == {"drift_threshold": 5}
    assert c["cicd_coverage"].tier_filter is True
    assert c["platform_adoption"].tier_filter is False
    assert set(c["ml_release_throughput"].sources) == {"deployment", "team"}
    assert all(set(kpi.sources) <= KNOWN_KINDS for kpi in c.values())


def test_families_in_blueprint_order() -> None:
    families = load_catalog().families()
    assert list(families) == ["delivery_throughput", "business_outcomes",
                              "operational_excellence", "quality_risk",
                              "organisational_health"]
    assert sum(len(kpis) for kpis in families.values()) == len(load_catalog())
    assert load_catalog()["defect_escape_rate"].family_name == "Quality & risk"


def test_default_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


GOOD_BLOCK = """
[[kpi]]
id = "{id}"
name = "N"
what = "W"
why = "Y"
blueprint_target = "T"
frequency = "Monthly"
cadence = "monthly"
family = "quality_risk"
unit = "%"
direction = "higher"
anchor = "defect.found_at"
formula = "F"
sources = ["defect"]
tier_filter = false
target = {{ kind = "absolute", op = ">=", value = 80, stretch = 95 }}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_temp_catalog_loads(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, GOOD_BLOCK.format(id="a") + GOOD_BLOCK.format(id="b")))
    assert list(catalog) == ["a", "b"]


def test_broken_catalog_reports_every_problem_at_once(tmp_path: Path) -> None:
    no_unit = GOOD_BLOCK.format(id="cicd_coverage").replace('unit = "%"\n', "")
    bad_direction = GOOD_BLOCK.format(id="x").replace('"higher"', '"up"')
    wrong_op = GOOD_BLOCK.format(id="y").replace('direction = "higher"', 'direction = "lower"')
    bad_stretch = GOOD_BLOCK.format(id="z").replace("stretch = 95", "stretch = 70")
    relative = GOOD_BLOCK.format(id="r").replace('"absolute"', '"relative"')
    kinds = GOOD_BLOCK.format(id="k").replace('["defect"]', '["defect", "tweets"]')
    extra = GOOD_BLOCK.format(id="e") + 'colour = "red"\n'
    text = no_unit + bad_direction + wrong_op + bad_stretch + relative + kinds + extra
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, text))
    message = str(info.value)
    assert "kpi 'cicd_coverage': unit is missing" in message
    assert "kpi 'x': direction must be 'higher' or 'lower'" in message
    assert "kpi 'y': target.op must be '<=' or '<' because lower is better" in message
    assert "kpi 'z': target.stretch must be above the target value" in message
    assert "kpi 'r': target.baseline is missing" in message
    assert "kpi 'k': sources: unknown event kind 'tweets'" in message
    assert "kpi 'e': unknown key 'colour'" in message
    assert len(info.value.problems) == 7


def test_enums_and_types(tmp_path: Path) -> None:
    block = (GOOD_BLOCK.format(id="q")
             .replace('"monthly"', '"hourly"')
             .replace('"quality_risk"', '"vibes"')
             .replace('unit = "%"', 'unit = "furlongs"')
             .replace("tier_filter = false", "tier_filter = true")
             .replace("value = 80", 'value = "80"'))
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, block))
    message = str(info.value)
    assert "kpi 'q': cadence must be 'weekly', 'monthly' or 'quarterly'" in message
    assert "kpi 'q': family must be" in message
    assert "kpi 'q': unit must be" in message
    assert "kpi 'q': tier_filter must be false for sources defect" in message
    assert "kpi 'q': target.value must be a number" in message


def test_duplicate_id_is_named(tmp_path: Path) -> None:
    text = GOOD_BLOCK.format(id="dup") + GOOD_BLOCK.format(id="other") + GOOD_BLOCK.format(
        id="dup")
    with pytest.raises(CatalogError, match=re.escape("kpi 'dup': id is a duplicate")):
        load_catalog(write(tmp_path, text))


def test_missing_id_names_the_block_number(tmp_path: Path) -> None:
    text = GOOD_BLOCK.format(id="a") + GOOD_BLOCK.format(id="b").replace('id = "b"\n', "")
    with pytest.raises(CatalogError, match=re.escape("kpi #2: id is missing")):
        load_catalog(write(tmp_path, text))


def test_unreadable_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(write(tmp_path, "[[kpi]\n"))
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load_catalog(tmp_path / "missing.toml")
