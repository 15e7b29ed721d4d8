"""Vocabulary tables: the words tools use → the event contract's words.

Each table is a default the map can extend or override, e.g.
``[incident] severity = { P3 = "SEV2" }`` or ``[pipeline_run] status = { cancelled =
"failed" }``. Lookups ignore case and surrounding spaces. A run state mapped to ``SKIP``
(or absent from the table) is not an event: the record is skipped with its state named.
"""

from __future__ import annotations

from collections.abc import Mapping

SKIP = "skip"

SEVERITY = {
    # P1…P5 (PagerDuty priorities, Opsgenie)
    "p1": "SEV1", "p2": "SEV2", "p3": "SEV3", "p4": "SEV4", "p5": "SEV4",
    # Jira priority names, new and old schemes
    "highest": "SEV1", "high": "SEV2", "medium": "SEV3", "low": "SEV4", "lowest": "SEV4",
    "blocker": "SEV1", "critical": "SEV1", "major": "SEV2", "minor": "SEV3", "trivial": "SEV4",
    # already in the contract's words
    "sev1": "SEV1", "sev2": "SEV2", "sev3": "SEV3", "sev4": "SEV4",
}

# PagerDuty urgency, used only when an incident has no priority
URGENCY = {"high": "SEV2", "low": "SEV4"}

PIPELINE_STATUS = {
    "success": "success", "succeeded": "success", "successful": "success",
    "completed": "success", "finished": "success", "passed": "success",
    "failed": "failed", "failure": "failed", "error": "failed", "errored": "failed",
    "timed_out": "failed", "startup_failure": "failed", "upstream_failed": "failed",
}

TRAINING_STATUS = {
    "success": "succeeded", "succeeded": "succeeded", "finished": "succeeded",
    "completed": "succeeded",
    "failed": "failed", "failure": "failed", "error": "failed", "timed_out": "failed",
    "killed": "cancelled", "cancelled": "cancelled", "canceled": "cancelled",
}


def merged(defaults: Mapping[str, str], override: object) -> dict[str, str]:
    """``defaults`` with the map's table laid over it, keys folded to lower case."""
    table = {k.lower(): v for k, v in defaults.items()}
    if isinstance(override, Mapping):
        table.update({str(k).strip().lower(): str(v).strip() for k, v in override.items()})
    return table


def look_up(table: Mapping[str, str], word: object) -> str | None:
    """The table's word for ``word`` (case and spaces ignored), or None."""
    if word is None:
        return None
    return table.get(str(word).strip().lower())
