"""The review's summary, written from the figures (spec: review.md).

    summary(pack)
    # '15 of 21 KPIs on track or ahead. 3 changed status since 2026Q2: Lead time for ML
    #  changes (On track → Off track), …. Off track: Lead time for ML changes, ….'

Counts come from the rows, never from a fixed number; a KPI the scope's filter does not
apply to ("org-wide") is left out of the count; a running quarter says "to date" and its
provisional statuses are never counted as changes.
"""

from __future__ import annotations

from metrics.review import wording
from metrics.review.figures import Pack, Row

GOOD = ("on_track", "ahead")


def sentences(pack: Pack) -> list[str]:
    counted = [r for r in pack.rows if not r.org_wide]
    good = [r for r in counted if r.status in GOOD]
    to_date = "" if pack.complete else " to date"
    out = [f"{len(good)} of {len(counted)} KPIs on track or ahead{to_date}."]
    if not pack.complete:
        out.append(f"{pack.label} is still running ({pack.elapsed:.0%} elapsed): every "
                   "status is provisional and none is counted as a change.")
    else:
        out.append(_changes(counted, pack.previous))
    off = [r for r in counted if r.status == "off_track"]
    out.append(f"Off track{to_date}: {_names(off)}." if off else f"None off track{to_date}.")
    empty = [r for r in counted if r.status in ("no_data", "no_baseline")]
    if empty:
        out.append(f"Not judged ({wording.plural(len(empty), 'KPI')} without data or "
                   f"baseline): {_names(empty)}.")
    if pack.restated:
        out.append(f"{wording.plural(len(pack.restated), 'KPI')} restated since the close "
                   f"of {wording.when(pack.closed_at)}: {_names(pack.restated)}.")
    left_out = len(pack.rows) - len(counted)
    if left_out:
        out.append(f"{wording.plural(left_out, 'KPI')} cannot be filtered to "
                   f"{pack.scope_text} and show the organisation's figure (org-wide).")
    return out


def summary(pack: Pack) -> str:
    return " ".join(sentences(pack))


def _changes(rows: list[Row], previous: str) -> str:
    changed = [r for r in rows if r.changed]
    if not changed:
        return f"No KPI changed status since {previous}."
    items = [f"{r.name} ({wording.status(r.previous_status)} → {wording.status(r.status)})"
             for r in changed]
    return f"{len(changed)} changed status since {previous}: {'; '.join(items)}."


def _names(rows: list[Row]) -> str:
    return ", ".join(r.name for r in rows)
