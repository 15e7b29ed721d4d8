"""The contract declared in ``metrics/events.py`` matches ``events.md`` (v1), by hand."""

from __future__ import annotations

import pytest

from metrics.event_types import SQL_TYPES
from metrics.events import KINDS, choice_rules, describe

# events.md, written out by hand: kind -> (key, {column: type + " opt" if optional})
CONTRACT = {
    "team": (("team",), {"team": "str", "area": "str opt", "lead": "str opt"}),
    "deployment": (("deployment_id",), {
        "deployment_id": "str", "team": "str", "model": "str", "tier": "int",
        "spec_approved_at": "ts", "deployed_at": "ts", "automated": "bool",
        "rollback": "bool opt"}),
    "incident": (("incident_id",), {
        "incident_id": "str", "team": "str", "model": "str", "tier": "int", "severity": "str",
        "cause": "str", "onset_at": "ts", "detected_at": "ts", "mitigated_at": "ts opt"}),
    "defect": (("defect_id",), {
        "defect_id": "str", "team": "str", "model": "str", "found_at": "ts", "stage": "str",
        "severity": "str"}),
    "inference_sli": (("endpoint", "window_start"), {
        "endpoint": "str", "team": "str", "tier": "int", "window_start": "ts",
        "window_seconds": "int", "requests": "int", "errors": "int",
        "latency_p95_ms": "float opt", "latency_p99_ms": "float opt"}),
    "cost": (("date", "team", "service", "category"), {
        "date": "date", "team": "str", "service": "str", "category": "str",
        "cost_usd": "float", "inferences": "int opt"}),
    "training_run": (("run_id",), {
        "run_id": "str", "team": "str", "model": "str", "started_at": "ts", "status": "str",
        "cost_usd": "float"}),
    "pipeline_run": (("run_id",), {
        "run_id": "str", "pipeline": "str", "team": "str", "tier": "int",
        "scheduled_at": "ts", "status": "str", "freshness_met": "bool opt"}),
    "model_inventory": (("snapshot_date", "model"), {
        "snapshot_date": "date", "model": "str", "team": "str", "tier": "int",
        "in_production": "bool", "automated_cicd": "bool", "full_lineage": "bool",
        "performance_monitoring": "bool", "drift_monitoring": "bool",
        "data_quality_monitoring": "bool"}),
    "team_adoption": (("snapshot_date", "team"), {
        "snapshot_date": "date", "team": "str", "uses_standard_deployment": "bool",
        "uses_standard_monitoring": "bool", "uses_model_registry": "bool"}),
    "model_performance": (("model", "metric", "measured_at"), {
        "model": "str", "team": "str", "metric": "str", "measured_at": "ts", "value": "float",
        "baseline": "float", "higher_is_better": "bool"}),
    "survey_response": (("response_id",), {
        "response_id": "str", "survey": "str", "submitted_at": "ts",
        "respondent_group": "str", "score": "float"}),
    "roadmap_item": (("item_id", "quarter"), {
        "item_id": "str", "quarter": "str", "team": "str", "committed": "bool",
        "delivered": "bool"}),
    "hiring_req": (("req_id",), {
        "req_id": "str", "role": "str", "critical": "bool", "opened_at": "ts",
        "filled_at": "ts opt"}),
    "headcount": (("snapshot_date", "team"), {
        "snapshot_date": "date", "team": "str", "headcount": "int", "departures": "int",
        "regretted_departures": "int"}),
}

ENUMS = {
    ("incident", "severity"): ("SEV1", "SEV2", "SEV3", "SEV4"),
    ("defect", "severity"): ("SEV1", "SEV2", "SEV3", "SEV4"),
    ("incident", "cause"): ("drift", "data_quality", "pipeline", "infrastructure", "code",
                            "other"),
    ("defect", "stage"): ("pre_release", "post_release"),
    ("cost", "category"): ("inference", "training", "storage", "other"),
    ("training_run", "status"): ("succeeded", "failed", "cancelled"),
    ("pipeline_run", "status"): ("success", "failed"),
    ("survey_response", "survey"): ("stakeholder_satisfaction", "engagement"),
}


def test_exactly_the_kinds_of_the_contract_in_order():
    assert list(KINDS) == list(CONTRACT)


@pytest.mark.parametrize("name", list(CONTRACT))
def test_columns_types_optionality_and_key_match_the_contract(name):
    key, columns = CONTRACT[name]
    kind = KINDS[name]
    declared = {c.name: c.type + ("" if c.required else " opt") for c in kind.columns}
    assert declared == columns
    assert kind.names == list(columns)  # the column order of events.md, too
    assert kind.key == key
    assert set(kind.key) <= set(kind.required), "a key column must be required"
    assert all(c.type in SQL_TYPES for c in kind.columns)


@pytest.mark.parametrize("name", list(CONTRACT))
def test_every_dated_kind_has_an_anchor_column(name):
    kind = KINDS[name]
    if name == "team":
        assert kind.anchor == ""
    else:
        assert kind.has_column(kind.anchor)


@pytest.mark.parametrize(("name", "column"), list(ENUMS))
def test_enums_match_the_contract(name, column):
    assert KINDS[name].column(column).choices == ENUMS[(name, column)]
    (rule,) = [r for r in choice_rules(KINDS[name]) if r.column == column]
    assert rule.reason == f"{column} must be one of {', '.join(ENUMS[(name, column)])}"


def test_every_tier_is_one_two_or_three():
    tiers = [k for k in KINDS.values() if k.has_column("tier")]
    assert {k.name for k in tiers} == {"deployment", "incident", "inference_sli",
                                       "pipeline_run", "model_inventory"}
    assert all(k.column("tier").choices == (1, 2, 3) for k in tiers)


def test_rollback_defaults_to_false_and_other_optionals_to_null():
    defaults = {(k.name, c.name): c.default for k in KINDS.values() for c in k.columns
                if not c.required}
    assert defaults.pop(("deployment", "rollback")) is False
    assert set(defaults.values()) == {None}


def test_rule_reasons_name_the_column_they_are_about():
    for kind in KINDS.values():
        for rule in (*kind.rules, *choice_rules(kind)):
            assert kind.has_column(rule.column)
            assert rule.reason.startswith(rule.column), rule


def test_describe_lists_every_column_and_the_key():
    text = describe(KINDS["inference_sli"])
    assert text.splitlines()[0] == (
        "inference_sli: serving counts of one endpoint over one window "
        "(key: endpoint, window_start)")
    assert "latency_p99_ms" in text and "float opt" in text
