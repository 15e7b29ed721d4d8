"""Map keys several sources read, declared once (a source lists the ones it reads)."""

from __future__ import annotations

from metrics.importers.mapfile import COMMON_KEYS, Key

TIMEZONE, TEAM, TIER, MODEL = COMMON_KEYS

PRODUCTION = Key("deployment.production", "patterns",
                 "environments that are production (shell patterns; default prod*)")
SPEC_APPROVED_AT = Key("deployment.spec_approved_at", "time",
                       "when the change was approved: a field or path of the record, "
                       "e.g. created_at")
AUTOMATED = Key("deployment.automated", "rule",
                "whether a standard automated pipeline shipped it (true/false, or a rule)")
ROLLBACK = Key("deployment.rollback", "table",
               "fields whose value marks a rollback (shell patterns), e.g. "
               "{ task = \"deploy:rollback\" }")
DEPLOYMENT_KEYS = (TEAM, TIER, MODEL, PRODUCTION, SPEC_APPROVED_AT, AUTOMATED, ROLLBACK)

CAUSE = Key("incident.cause", "rule",
            "drift, data_quality, pipeline, infrastructure, code or other; from labels or "
            "keywords of the title")
ONSET_AT = Key("incident.onset_at", "time",
               "when the impact began, where the tool has no impact start "
               "(e.g. detected_at)")
SEVERITY = Key("incident.severity", "table",
               "priority or urgency words → SEV1…SEV4, over the default table")
INCIDENT_KEYS = (TEAM, TIER, MODEL, CAUSE, ONSET_AT, SEVERITY, TIMEZONE)

DEFECT_SEVERITY = Key("defect.severity", "table",
                      "priority words → SEV1…SEV4 for defects, over the default table")
STAGE = Key("defect.stage", "rule", "pre_release or post_release, e.g. from a label")

PIPELINE = Key("pipeline_run.pipeline", "rule",
               "the pipeline's name (default: the source's own, e.g. the DAG id)")
PIPELINE_STATUS = Key("pipeline_run.status", "table",
                      "run states → success / failed / skip, over the default table")
FRESHNESS_MET = Key("pipeline_run.freshness_met", "rule",
                    "whether the output met its freshness SLA (optional)")
PIPELINE_KEYS = (TEAM, TIER, PIPELINE, PIPELINE_STATUS, FRESHNESS_MET, TIMEZONE)
