"""Text for people: rounded tables with units and status words (colour on a terminal)."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING

from metrics.slo.alerts import LOOKBACKS

if TYPE_CHECKING:
    from metrics.ingest.run import IngestResult

STATUS_WORDS = {"ahead": "ahead ▲", "on_track": "on track ✓", "off_track": "OFF TRACK ✗",
                "no_data": "no data –", "no_baseline": "no baseline ○"}
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


def number(value: float | None, unit: str = "") -> str:
    """Rounded for people: 99.953 → '99.953%' (nines count), 0.0412 → '0.0412', 1234.5 → '1,234'."""
    if value is None:
        return "–"
    size = abs(value)
    if unit.startswith("%") and 99 < size < 100:
        digits = 3
    elif size >= 1000:
        digits = 0
    elif size >= 10:
        digits = 1
    elif size >= 1 or size == 0:
        digits = 2
    else:
        digits = 2 - int(math.floor(math.log10(size)))  # three significant digits
    text = f"{value:,.{min(digits, 6)}f}"
    return f"{text}{'%' if unit.startswith('%') else ''}"


def target_text(t: dict, unit: str) -> str:
    if t["kind"] == "relative":
        span = "YoY" if (t.get("baseline_periods") or 1) > 1 else "vs prev"
        out = f"{t['op']} {t['value']:+g}% {span}"
    else:
        out = f"{t['op']} {number(t['value'], unit)}"
    if t.get("stretch") is not None:
        out += f" (stretch {t['stretch']:g})"
    if t.get("source") == "organisation":
        out += " *"
    return out


def _paint(text: str, key: str, color: bool) -> str:
    return f"{COLOURS[key]}{text}{RESET}" if color and key in COLOURS else text


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def kpis_table(report: dict, color: bool = False) -> str:
    scope = report["scope"]
    where = ", ".join(f"{k} {v}" for k, v in scope.items() if v is not None) or "whole org"
    rows = [["KPI", "value", "unit", "target", "status", "change", "n"]]
    statuses = []
    for k in report["kpis"]:
        change = "" if k.get("change") is None else f"{k['change']:+.1f}%"
        rows.append([k["name"], number(k["value"], k["unit"]), k["unit"],
                     target_text(k["target"], k["unit"]), STATUS_WORDS[k["status"]],
                     change, str(k.get("sample_size") or 0)])
        statuses.append(k["status"])
    text = _table(rows).splitlines()
    for i, status in enumerate(statuses):  # colour after padding so columns stay aligned
        text[i + 2] = text[i + 2].replace(STATUS_WORDS[status],
                                          _paint(STATUS_WORDS[status], status, color))
    good = sum(s in ("ahead", "on_track") for s in statuses)
    head = f"{report['period']} ({where}): {good} of {len(statuses)} KPIs on track or ahead"
    note = "* = organisation's target (config)" if any(
        k["target"].get("source") == "organisation" for k in report["kpis"]) else ""
    return "\n".join([head, "", *text] + ([f"\n{note}"] if note else []))


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



def slo_table(report: dict, color: bool = False) -> str:
    rows = [["endpoint", "team", "tier", "alert", "burning since", "availability", "objective",
             "budget left", "latency ok", *LOOKBACKS]]
    alerts = []
    for e in report["endpoints"]:
        fired = f" ({', '.join(e['fired'])})" if e.get("fired") else ""
        since = e.get("burning_since")
        rows.append([e["endpoint"], e["team"] or "", str(e["tier"]), e["alert"] + fired,
                     since[:16].replace("T", " ") if since else "",
                     number(e["availability"], "%"), f"{e['objective']:g}%",
                     number(e["budget_remaining"], "%"), number(e["latency_compliance"], "%"),
                     *[_burn(e["burn_rates"][w]) for w in LOOKBACKS]])
        alerts.append(e["alert"] + fired)
    if report["at"] is None:
        return ("No SLI windows in the store yet: ingest some with "
                "'mlkpi ingest inference_sli FILE'.")
    if len(rows) == 1:
        return f"SLOs at {report['at']}: no endpoints match."
    text = _table(rows).splitlines()
    for i, alert in enumerate(alerts):
        key = alert.split(" ")[0]
        text[i + 2] = text[i + 2].replace(alert, _paint(alert, key, color), 1)
    return f"SLOs at {report['at']} (burn rates per look-back)\n\n" + "\n".join(text)


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
    for kind, k in report["kinds"].items():
        rows.append([kind, f"{k['rows']:,}", k["newest"] or "–", "STALE" if k["stale"] else "",
                     str(report["quarantined"].get(kind, 0) or "")])
    return f"store: {report['db']}\n\n" + _table(rows)
