"""The event contract (``events.md``), declared once per kind.

This module is the single source for validation (``ingest``), table schemas (``store``),
``mlkpi ingest --help`` and the data-health page. A kind is a list of columns plus row
rules written as SQL over the *typed* staging columns; each rule says, in one sentence,
why a row breaks it (the types are in ``event_types``).
"""

from __future__ import annotations

from metrics.event_types import Column, Kind, Rule

# every timestamp and date lies in [EARLIEST, END) UTC, offsets within ±18:00 (events.md)
EARLIEST = "1970-01-01"
END = "2200-01-01"
MAX_OFFSET_HOURS = 18

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
TIERS = (1, 2, 3)  # 1 = most critical
TIERS_TEXT = ", ".join(map(str, TIERS[:-1])) + f" or {TIERS[-1]}"  # "1, 2 or 3"


def _s(name: str, required: bool = True, choices: tuple = (), doc: str = "") -> Column:
    return Column(name, "str", required, choices=choices, doc=doc)


def _tier() -> Column:
    return Column("tier", "int", choices=TIERS, doc=f"{TIERS_TEXT} (1 = most critical)")


def _not_before(later: str, earlier: str) -> Rule:
    return Rule(later, f"{later} < {earlier}", f"{later} is before {earlier}")


def _at_least(col: str, bound: str, text: str) -> Rule:
    return Rule(col, f"{col} < {bound}", f"{col} must be {text}")


_KINDS = (
    Kind(
        "team", "the org roster",
        (_s("team"), _s("area", False, doc="e.g. platform, applied"), _s("lead", False)),
        ("team",),
    ),
    Kind(
        "deployment", "one production release of a model or ML feature",
        (
            _s("deployment_id"), _s("team"), _s("model"), _tier(),
            Column("spec_approved_at", "ts"),
            Column("deployed_at", "ts", doc=">= spec_approved_at"),
            Column("automated", "bool", doc="shipped by a standard automated CI/CD pipeline"),
            Column("rollback", "bool", False, default=False,
                   doc="default false; a rollback is not a release"),
        ),
        ("deployment_id",),
        (_not_before("deployed_at", "spec_approved_at"),),
        anchor="deployed_at",
    ),
    Kind(
        "incident", "an ML degradation or outage",
        (
            _s("incident_id"), _s("team"), _s("model"), _tier(),
            _s("severity", choices=SEVERITIES, doc="SEV1 … SEV4 (SEV1 worst)"),
            _s("cause", choices=("drift", "data_quality", "pipeline", "infrastructure",
                                 "code", "other")),
            Column("onset_at", "ts"),
            Column("detected_at", "ts", doc=">= onset_at"),
            Column("mitigated_at", "ts", False, doc=">= detected_at; empty while ongoing"),
        ),
        ("incident_id",),
        (_not_before("detected_at", "onset_at"), _not_before("mitigated_at", "detected_at")),
        anchor="detected_at",
    ),
    Kind(
        "defect", "an ML defect found before or after release",
        (
            _s("defect_id"), _s("team"), _s("model"), Column("found_at", "ts"),
            _s("stage", choices=("pre_release", "post_release")),
            _s("severity", choices=SEVERITIES),
        ),
        ("defect_id",),
        anchor="found_at",
    ),
    Kind(
        "inference_sli", "serving counts of one endpoint over one window",
        (
            _s("endpoint"), _s("team"), _tier(), Column("window_start", "ts"),
            Column("window_seconds", "int", doc="> 0 (60 or 300 are typical)"),
            Column("requests", "int", doc=">= 0"),
            Column("errors", "int", doc="0 <= errors <= requests"),
            Column("latency_p95_ms", "float", False, doc=">= 0"),
            Column("latency_p99_ms", "float", False, doc=">= latency_p95_ms when both given"),
        ),
        ("endpoint", "window_start"),
        (
            Rule("window_seconds", "window_seconds <= 0", "window_seconds must be above 0"),
            _at_least("requests", "0", "0 or more"),
            _at_least("errors", "0", "0 or more"),
            Rule("errors", "errors > requests", "errors is greater than requests"),
            _at_least("latency_p95_ms", "0", "0 or more"),
            Rule("latency_p99_ms", "latency_p99_ms < latency_p95_ms",
                 "latency_p99_ms is below latency_p95_ms"),
        ),
        anchor="window_start",
    ),
    Kind(
        "cost", "one line of a billing export",
        (
            Column("date", "date"), _s("team"),
            _s("service", doc="endpoint, model or cluster the cost belongs to"),
            _s("category", choices=("inference", "training", "storage", "other")),
            Column("cost_usd", "float", doc=">= 0"),
            Column("inferences", "int", False,
                   doc=">= 0; the inferences served, on inference lines"),
        ),
        ("date", "team", "service", "category"),
        (_at_least("cost_usd", "0", "0 or more"), _at_least("inferences", "0", "0 or more")),
        anchor="date",
    ),
    Kind(
        "training_run", "one training run or experiment",
        (
            _s("run_id"), _s("team"), _s("model"), Column("started_at", "ts"),
            _s("status", choices=("succeeded", "failed", "cancelled")),
            Column("cost_usd", "float", doc=">= 0"),
        ),
        ("run_id",),
        (_at_least("cost_usd", "0", "0 or more"),),
        anchor="started_at",
    ),
    Kind(
        "pipeline_run", "one scheduled data/feature pipeline run",
        (
            _s("run_id"), _s("pipeline"), _s("team"), _tier(), Column("scheduled_at", "ts"),
            _s("status", choices=("success", "failed")),
            Column("freshness_met", "bool", False, doc="the output met its freshness SLA"),
        ),
        ("run_id",),
        anchor="scheduled_at",
    ),
    Kind(
        "model_inventory", "a dated snapshot of one model's controls",
        (
            Column("snapshot_date", "date"), _s("model"), _s("team"), _tier(),
            Column("in_production", "bool"), Column("automated_cicd", "bool"),
            Column("full_lineage", "bool", doc="data → features → model → deployment traced"),
            Column("performance_monitoring", "bool"), Column("drift_monitoring", "bool"),
            Column("data_quality_monitoring", "bool"),
        ),
        ("snapshot_date", "model"),
        anchor="snapshot_date",
    ),
    Kind(
        "team_adoption", "a dated snapshot of one team's use of the platform",
        (
            Column("snapshot_date", "date"), _s("team"),
            Column("uses_standard_deployment", "bool"),
            Column("uses_standard_monitoring", "bool"),
            Column("uses_model_registry", "bool"),
        ),
        ("snapshot_date", "team"),
        anchor="snapshot_date",
    ),
    Kind(
        "model_performance", "one measurement of a model's primary metric",
        (
            _s("model"), _s("team"), _s("metric", doc="e.g. precision, ctr, churn_rate"),
            Column("measured_at", "ts"), Column("value", "float", doc="finite"),
            Column("baseline", "float", doc="finite, not 0"),
            Column("higher_is_better", "bool"),
        ),
        ("model", "metric", "measured_at"),
        (Rule("baseline", "baseline = 0", "baseline must not be 0"),),
        anchor="measured_at",
    ),
    Kind(
        "survey_response", "one answer to a 1–5 survey",
        (
            _s("response_id"),
            _s("survey", choices=("stakeholder_satisfaction", "engagement")),
            Column("submitted_at", "ts"),
            _s("respondent_group", doc="e.g. product, security, or a team"),
            Column("score", "float", doc="1 <= score <= 5"),
        ),
        ("response_id",),
        (Rule("score", "score < 1 OR score > 5", "score must be between 1 and 5"),),
        anchor="submitted_at",
    ),
    Kind(
        "roadmap_item", "a planned item of one quarter",
        (
            _s("item_id"), _s("quarter", doc="YYYYQn"), _s("team"),
            Column("committed", "bool"), Column("delivered", "bool"),
        ),
        ("item_id", "quarter"),
        (Rule("quarter", "NOT regexp_full_match(quarter, '[0-9]{4}Q[1-4]')",
              "quarter must look like 2026Q3"),),
        anchor="quarter",
    ),
    Kind(
        "hiring_req", "one opened role",
        (
            _s("req_id"), _s("role"),
            Column("critical", "bool", doc="a senior MLE/MLOps role"),
            Column("opened_at", "ts"),
            Column("filled_at", "ts", False, doc=">= opened_at"),
        ),
        ("req_id",),
        (_not_before("filled_at", "opened_at"),),
        anchor="opened_at",
    ),
    Kind(
        "headcount", "a dated snapshot of one team's people",
        (
            Column("snapshot_date", "date"), _s("team"),
            Column("headcount", "int", doc=">= 0"),
            Column("departures", "int", doc=">= 0"),
            Column("regretted_departures", "int",
                   doc="0 <= regretted <= departures; departures since the previous snapshot"),
        ),
        ("snapshot_date", "team"),
        (
            _at_least("headcount", "0", "0 or more"),
            _at_least("departures", "0", "0 or more"),
            _at_least("regretted_departures", "0", "0 or more"),
            Rule("regretted_departures", "regretted_departures > departures",
                 "regretted_departures is greater than departures"),
        ),
        anchor="snapshot_date",
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}


def choice_rules(kind: Kind) -> list[Rule]:
    """The enum rules implied by ``choices``: ``severity NOT IN ('SEV1', …)``."""
    rules = []
    for col in kind.columns:
        if not col.choices:
            continue
        listed = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in col.choices)
        shown = ", ".join(str(v) for v in col.choices)
        rules.append(Rule(col.name, f"{col.name} NOT IN ({listed})",
                          f"{col.name} must be one of {shown}"))
    return rules


def describe(kind: Kind) -> str:
    """One line per column, for ``mlkpi ingest --help`` and the data-health page."""
    key = ", ".join(kind.key)
    lines = [f"{kind.name}: {kind.doc} (key: {key})"]
    for c in kind.columns:
        opt = "" if c.required else " opt"
        doc = f"  {c.doc}" if c.doc else ""
        lines.append(f"    {c.name:<26}{c.type}{opt}{doc}")
    return "\n".join(lines)


def markdown() -> str:
    """The contract as Markdown for ``docs/events.md``: a section per kind with its key, rules
    and a table of columns (type, required, meaning)."""
    parts = []
    for kind in KINDS.values():
        parts.append(f"### `{kind.name}`\n\n{kind.doc[0].upper() + kind.doc[1:]}. "
                     f"Key: {', '.join(f'`{k}`' for k in kind.key)}."
                     + (f" Dated by `{kind.anchor}`." if kind.anchor else "") + "\n")
        parts.append("| column | type | required | meaning |\n|---|---|---|---|")
        for c in kind.columns:
            meaning = c.doc or (f"one of {', '.join(map(str, c.choices))}" if c.choices else "")
            parts.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} "
                         f"| {meaning} |")
        rules = [r.reason for r in (*kind.rules, *choice_rules(kind))]
        if rules:
            parts.append("\nA row is quarantined when: " + "; ".join(rules) + ".")
        parts.append("")
    return "\n".join(parts)
