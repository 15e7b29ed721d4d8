"""The review pack as Markdown (for a wiki or a mail) and as CSV (for a spreadsheet).

    render_markdown(pack)   # title, summary, table, trends in figures, notes, restatements
    render_csv(pack)        # bytes: UTF-8 with a BOM, one row per KPI, numbers unrounded
"""

from __future__ import annotations

import csv
import io

from metrics.review import wording
from metrics.review.figures import Pack, Row
from metrics.review.summary import sentences

CSV_COLUMNS = ("period", "scope", "kpi_id", "kpi", "family", "unit", "value", "target",
               "target_op", "target_value", "target_stretch", "status", "provisional",
               "previous_period", "previous_value", "previous_status", "qoq_change",
               "year_before_period", "year_before_value", "yoy_change", "change_unit",
               "sample_size", "data", "org_wide", "closed_at", "recomputed_value",
               "restated", "restatement_reason")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(pack: Pack) -> str:
    title = f"ML KPI review {pack.label}{'' if pack.complete else ' (to date)'}"
    meta = f"Scope: {pack.scope_text} · data as of {wording.when(pack.as_of)}"
    if pack.closed_at:
        meta += f" · closed {wording.when(pack.closed_at)} by {pack.closed_by}"
    lines = [f"# {title}", "", meta, "", *[s for s in sentences(pack)], "",
             "## Every KPI", "",
             f"| KPI | Value | Target | Status | vs {pack.previous} | vs {pack.year_before} "
             "| Sample | Data |", "|---|---|---|---|---|---|---|---|"]
    for r in pack.rows:
        value = wording.number(r.value, r.unit)
        if r.restated:
            value += f" (restated: now {wording.number(r.recomputed, r.unit)})"
        status = wording.status(r.status) + (" (provisional)" if r.provisional else "")
        lines.append("| " + " | ".join(_md(c) for c in (
            r.name, value, wording.target(r.target, r.unit), status,
            wording.change(r.qoq, r.unit), wording.change(r.yoy, r.unit),
            str(r.sample_size), wording.stale(r.stale))) + " |")
    lines += ["", "## Trends by quarter", ""]
    for r in pack.rows:
        points = pack.trends.get(r.id, [])
        lines.append(f"- **{_md(r.name)}**: " + " → ".join(
            f"{p['label']} {wording.number(p['value'], r.unit)}" for p in points))
    lines += ["", "## Notes", ""]
    names = {r.id: r.name for r in pack.rows}
    lines += [f"- **{_md(names.get(n['kpi'], n['kpi']))}**: {_md(n['text'])} "
              f"({_md(n['author'])}, {wording.when(n['written_at'])})" for n in pack.notes]
    if not pack.notes:
        lines.append(f"No notes for {pack.label} in this scope.")
    if pack.closed_at:
        lines += ["", "## Restatements", ""]
        lines += [f"- **{_md(r.name)}**: closed {wording.number(r.value, r.unit)}, "
                  f"recomputed {wording.number(r.recomputed, r.unit)} — {r.reason}"
                  for r in pack.restated] or ["No figure has moved since the close."]
    return "\n".join(lines) + "\n"


def _csv_row(pack: Pack, r: Row) -> list:
    target = r.target or {}
    return [pack.label, pack.scope_text, r.id, r.name, r.family, r.unit, _raw(r.value),
            wording.target(r.target, r.unit), target.get("op", ""),
            _raw(target.get("value")), _raw(target.get("stretch")), wording.status(r.status),
            "yes" if r.provisional else "no", pack.previous, _raw(r.previous_value),
            wording.status(r.previous_status) if r.previous_status else "",
            _raw(r.qoq), pack.year_before, _raw(r.year_value), _raw(r.yoy),
            "points" if r.unit.startswith("%") else "percent", r.sample_size,
            wording.stale(r.stale), "yes" if r.org_wide else "no", pack.closed_at or "",
            _raw(r.recomputed), "yes" if r.restated else "no", r.reason or ""]


def render_csv(pack: Pack) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in pack.rows:
        writer.writerow(_csv_row(pack, r))
    return out.getvalue().encode("utf-8-sig")


def _raw(value: object) -> str:
    """Unrounded: repr of a float (8.666666666666666), '' for none."""
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)
