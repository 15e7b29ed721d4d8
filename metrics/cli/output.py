"""Text for people: rounded tables with units and status words (colour on a terminal)."""

from __future__ import annotations

import csv
import io
import textwrap
from typing import TYPE_CHECKING

from metrics.compact import compact
from metrics.present import alert_text, change_text, instant, kpi_target, quantity, status_text
from metrics.slo.alerts import LOOKBACKS

if TYPE_CHECKING:
    from metrics.ingest.run import IngestResult

COLOURS = {"ahead": "\033[34m", "on_track": "\033[36m", "off_track": "\033[33;1m",
           "page": "\033[33;1m", "ticket": "\033[35m"}
RESET = "\033[0m"
MAX_ERRORS_SHOWN = 20


def ingest_summary(r: IngestResult) -> str:
    if r.strict_rejected:
        head = (f"{r.kind}: nothing stored (--strict): {r.quarantined} row"
                f"{'s' if r.quarantined != 1 else ''} would be quarantined")
    else:
        head = (f"{r.kind}: {r.inserted} inserted, {r.updated} updated, "
                f"{r.duplicates} duplicates skipped, {r.quarantined} quarantined")
    lines = [head]
    for name, cols in r.extra_columns.items():
        lines.append(f"  {name}: ignored extra columns {', '.join(cols)}")
    for e in r.errors[:MAX_ERRORS_SHOWN]:
        lines.append(f"  {e['file']}, line {e['line']}, {e['column']}: {e['reason']}")
    if len(r.errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  … and {len(r.errors) - MAX_ERRORS_SHOWN} more (use --format json)")
    return "\n".join(lines)


def target_text(t: dict, unit: str) -> str:
    """The target in words (``present.kpi_target``); '*' marks the organisation's."""
    return kpi_target(t, unit) + (" *" if t.get("source") == "organisation" else "")


def _paint(text: str, key: str, color: bool) -> str:
    return f"{COLOURS[key]}{text}{RESET}" if color and key in COLOURS else text


NBSP = "\u00a0"  # a space a wrapped cell never breaks at: "[all tiers]" stays whole
WIDTH = 100  # every table fits a 100-column terminal: long cells wrap within their column


def _table(rows: list[list[str]], widths: list[int]) -> list[str]:
    """Rows of cells as aligned lines; a cell wraps at spaces (or "\n") within its column's
    width, so a row may take several lines. The header is underlined."""
    wrapped = [[_wrap(cell, w) for cell, w in zip(row, widths, strict=True)] for row in rows]
    used = [max(len(line) for row in wrapped for line in row[i]) for i in range(len(widths))]
    out = []
    for n, row in enumerate(wrapped):
        for k in range(max(len(cell) for cell in row)):
            parts = [(cell[k] if k < len(cell) else "").ljust(w) for cell, w in zip(row, used,
                                                                                   strict=True)]
            out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in used))
    return out


def _wrap(cell: str, width: int) -> list[str]:
    lines = []
    for part in cell.split("\n"):
        lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines


def _fits(widths: list[int]) -> list[int]:
    assert sum(widths) + 2 * (len(widths) - 1) <= WIDTH, widths
    return widths


KPI_WIDTHS = _fits([26, 12, 26, 11, 9, 6])


def kpis_table(report: dict, color: bool = False) -> str:
    """Every KPI in 100 columns: name, value, target, status, change, sample size. A KPI the
    scope cannot filter says "org-wide" and is left out of the count; a running period is
    "to date", its statuses provisional and its whole-period counts at their pace."""
    scope = report["scope"]
    where = ", ".join(f"{k} {v}" for k, v in scope.items() if v is not None) or "whole org"
    running = report.get("complete") is False
    rows = [["KPI", "value", "target", "status", "change", "n"]]
    statuses, counted, marks = [], [], set()
    for k in report["kpis"]:
        name, value = k["name"], compact(k["value"], k["unit"])  # a long unit: see target
        if (reach := _reach(k, scope)) is not None:
            name += f" [{reach.replace(' ', NBSP)}]"
            marks.add(reach)
        if k.get("pace"):
            value += " pace"
            marks.add("pace")
        change = "" if k.get("change") is None else change_text(k["change"])
        rows.append([name, value, target_text(k["target"], k["unit"]), status_text(k["status"]),
                     change, str(k.get("sample_size") or 0)])
        statuses.append(k["status"])
        if _reach(k, scope) is None:
            counted.append(k["status"])
    text = _table(rows, KPI_WIDTHS)
    for i, line in enumerate(text):  # colour after padding so columns stay aligned
        for status in set(statuses):
            if status_text(status) in line:
                text[i] = line.replace(status_text(status),
                                       _paint(status_text(status), status, color))
    good = sum(s in ("ahead", "on_track") for s in counted)
    period = report["period"] + (" to date" if running else "")
    head = f"{period} ({where}): {good} of {len(counted)} KPIs on track or ahead"
    if running:
        head += f"; {report['elapsed']:.0%} of the period has passed, every status provisional"
    notes = [LEGEND[m] for m in LEGEND if m in marks]
    if any(k["target"].get("source") == "organisation" for k in report["kpis"]):
        notes.append("* = organisation's target (config)")
    return "\n".join([head, "", *text] + (["", *notes] if notes else []))


LEGEND = {
    "org-wide": "[org-wide] = its events carry no team: the whole org's figure, not counted "
                "above",
    "all tiers": "[all tiers] = its events carry no tier: every tier's figure, not counted "
                 "above",
    "pace": "pace = the count so far scaled to the whole period",
}


def _reach(kpi: dict, scope: dict) -> str | None:
    """What the figure covers when the scope asks for a cut its events cannot make:
    "org-wide" (no team column), "all tiers" (no tier column); None when it applies."""
    if scope.get("team") is not None and kpi.get("team_filter_applied") is False:
        return "org-wide"
    if scope.get("tier") is not None and kpi.get("tier_filter_applied") is False:
        return "all tiers"
    return None


def kpis_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["period", "team", "tier", "id", "name", "unit", "value", "sample_size",
                "status", "target_op", "target", "stretch", "target_source",
                "baseline_period", "baseline", "change"])
    for k in report["kpis"]:
        t, b = k["target"], k.get("baseline") or {}
        w.writerow([report["period"], report["scope"]["team"] or "", report["scope"]["tier"] or "",
                    k["id"], k["name"], k["unit"], _raw(k["value"]), k.get("sample_size", 0),
                    k["status"], t["op"], t["value"], _raw(t.get("stretch")), t.get("source", ""),
                    b.get("period", ""), _raw(b.get("value")), _raw(k.get("change"))])
    return buf.getvalue()


def _raw(v: object) -> str:
    return "" if v is None else repr(v) if isinstance(v, float) else str(v)



TABLE_LOOKBACKS = ("1h", "6h", "1d", "3d")  # the alert rows' long look-backs; json/csv: all
SLO_WIDTHS = _fits([20, 16, 9, 8, 9, *[5] * len(TABLE_LOOKBACKS)])


def slo_table(report: dict, color: bool = False) -> str:
    """Endpoints worst first in 100 columns: the endpoint with its team and tier, the alert
    with the rows that fired and since when, availability against objective, budget left,
    latency compliance, and the burn rates of the alert rows' long look-backs."""
    if report["at"] is None:
        return ("No SLI windows in the store yet: ingest some with "
                "'mlkpi ingest inference_sli FILE'.")
    if not report["endpoints"]:
        return f"SLOs at {instant(report['at'])}: no endpoints match."
    rows = [["endpoint", "alert", "avail.", "budget", "latency", *TABLE_LOOKBACKS]]
    alerts = []
    for e in report["endpoints"]:
        fired = f"\n{', '.join(e['fired'])}" if e.get("fired") else ""
        since = e.get("burning_since")
        rows.append([f"{e['endpoint']}\n{e['team'] or '–'} · tier {e['tier']}",
                     alert_text(e["alert"]) + fired + (f"\nsince {instant(since)}" if since
                                                       else ""),
                     f"{quantity(e['availability'], '%')}\nof {quantity(e['objective'], '%')}",
                     quantity(e["budget_remaining"], "%"),
                     quantity(e["latency_compliance"], "%"),
                     *[_burn(e["burn_rates"][w]) for w in TABLE_LOOKBACKS]])
        alerts.append((e["alert"], alert_text(e["alert"])))
    text = _table(rows, SLO_WIDTHS)
    for i, line in enumerate(text):
        for key, alert in alerts:
            if line[SLO_WIDTHS[0] + 2:].startswith(alert):
                text[i] = line.replace(alert, _paint(alert, key, color), 1)
    return (f"SLOs at {instant(report['at'])}, worst first. Burn rates over the alert rules' "
            f"long look-backs\n(all {len(LOOKBACKS)} with --format json or csv).\n\n"
            + "\n".join(text))


def _burn(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.2f}"


def slo_csv(report: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["at", "endpoint", "team", "tier", "objective", "latency_p95_objective_ms",
                "window_days", "availability", "latency_compliance", "budget_consumed",
                "budget_remaining", *[f"burn_{x}" for x in LOOKBACKS], "alert", "fired",
                "burning_since"])
    for e in report["endpoints"]:
        w.writerow([report["at"], e["endpoint"], e["team"], e["tier"], e["objective"],
                    e["latency_p95_objective_ms"], e["window_days"], _raw(e["availability"]),
                    _raw(e["latency_compliance"]), _raw(e["budget_consumed"]),
                    _raw(e["budget_remaining"]), *[_raw(e["burn_rates"][x]) for x in LOOKBACKS],
                    e["alert"], " ".join(e["fired"]), e.get("burning_since") or ""])
    return buf.getvalue()


def status_table(report: dict) -> str:
    rows = [["kind", "rows", "newest event", "stale", "quarantined"]]
    widths = _fits([20, 14, 22, 6, 11])
    for kind, k in report["kinds"].items():
        rows.append([kind, f"{k['rows']:,}", instant(k["newest"]), "STALE" if k["stale"] else "",
                     str(report["quarantined"].get(kind, 0) or "")])
    return (f"store: {report['db']}\n\n" + "\n".join(_table(rows, widths))
            + _notifications_line(report))


def _notifications_line(report: dict) -> str:
    """'SLO notifications: 2 deliveries failed …' when some are pending, else nothing."""
    note = report.get("notifications") or {}
    if not note.get("pending"):
        return ""
    return (f"\n\nSLO notifications: {note['pending']} deliver"
            f"{'y' if note['pending'] == 1 else 'ies'} failed and will be retried by the next "
            f"'mlkpi slo notify' (last error: {note['last_error']})")
