"""The scorecard drawn as one block of HTML: tiles, sparklines and the "needs attention" list.

One element for the whole page instead of 21 metric elements each with a chart: the same
facts (value, status in words and colour, target, the judged change, a sparkline coloured
by status, caveats) reach the browser in one message and draw without a chart library.
Every text is escaped: nothing from the store becomes markup.

    counted(kpi, scope)                   # False for an org-wide KPI at team scope
    attention(report, scope)              # off-track KPIs, worst first, one line each
    page_html(report, tiles, scope, whats)
    scorecard_page(report, tiles, scope, whats, families)   # all the page's text, ready
"""

from __future__ import annotations

from html import escape
from typing import Any, NamedTuple
from urllib.parse import quote

from dashboard import theme
from dashboard.filters import Scope
from metrics import compact, present
from metrics.catalog import FAMILY_NAMES

SMALL_SAMPLE = 5  # below this many events a value rests on a tiny sample
TONES = {"good": theme.GREEN, "bad": theme.VERMILLION, "neutral": theme.GREY}

CSS = """<style>
.mk-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:.6rem;
 margin:.2rem 0 1rem 0}
.mk-tile{border:1px solid rgba(128,128,128,.35);border-left:6px solid var(--s);
 border-radius:.5rem;padding:.5rem .7rem;line-height:1.3}
.mk-name{font-weight:600;font-size:.95rem}
.mk-status{color:var(--s);font-weight:600;font-size:.85rem}
.mk-target{font-size:.8rem;opacity:.8}
.mk-row{display:flex;justify-content:space-between;align-items:flex-end;gap:.4rem}
.mk-value{font-size:1.6rem;font-weight:600;white-space:nowrap}
.mk-delta{font-size:.8rem;font-weight:600}
.mk-note{font-size:.78rem;opacity:.85;margin-top:.15rem}
.mk-scope{display:inline-block;font-size:.72rem;border:1px solid currentColor;
 border-radius:.6rem;padding:0 .4rem;opacity:.8}
.mk-att{border:1px solid rgba(213,94,0,.6);border-radius:.5rem;padding:.4rem .8rem;
 margin:.3rem 0 1rem 0}
.mk-att li{margin:.15rem 0}
.mk-family{font-size:1.15rem;font-weight:600;margin:.6rem 0 .2rem 0}
</style>"""


def scope_mark(kpi: dict[str, Any], scope: Scope) -> str | None:
    """'org-wide' for a KPI the team filter cannot cut, 'all tiers' for the tier filter."""
    if scope.team is not None and not kpi.get("team_filter_applied"):
        return "org-wide"
    if scope.tier is not None and not kpi.get("tier_filter_applied"):
        return "all tiers"
    return None


def counted(kpi: dict[str, Any], scope: Scope) -> bool:
    """Whether the KPI counts in the scope's "N of M on track" (kpis.md: not when the
    scope's filter does not apply to it)."""
    return scope_mark(kpi, scope) is None


def summary(report: dict[str, Any], scope: Scope) -> str:
    """'12 of 18 KPIs on track or ahead · 4 off track · 2 no data (3 org-wide not counted)'."""
    kpis = [k for k in report["kpis"] if counted(k, scope)]
    n = {s: sum(k["status"] == s for k in kpis) for s in present.STATUS_LABELS}
    text = (f"{n['ahead'] + n['on_track']} of {len(kpis)} KPIs on track or ahead"
            f" · {n['off_track']} off track · {n['no_data']} no data")
    if n["no_baseline"]:
        text += f" · {n['no_baseline']} no baseline"
    left = len(report["kpis"]) - len(kpis)
    if left:
        text += f" ({left} not counted: {'org-wide' if scope.team else 'all tiers'})"
    if report.get("complete") is False:
        text += " — provisional, to date"
    return text


def _gap(kpi: dict[str, Any]) -> float:
    """How far a KPI misses its target, in shares of the target (for ordering only)."""
    target = kpi.get("target") or {}
    goal = target.get("value")
    got = kpi.get("change") if target.get("kind") == "relative" else kpi.get("value")
    if present.missing(goal) or present.missing(got):
        return 0.0
    return abs(got - goal) / max(abs(goal), 1.0)


def reason(kpi: dict[str, Any]) -> str:
    """'Lead time for ML changes 64.5 hours, target change ≤ -20 % vs a year earlier
    (2025Q3), now -3 %'."""
    target = kpi.get("target") or {}
    unit = kpi.get("unit", "")
    text = (f"{kpi['name']} {present.quantity(kpi.get('value'), unit)}, target "
            f"{present.kpi_target(target, unit)}")
    if target.get("kind") == "relative":
        base = (kpi.get("baseline") or {}).get("period")
        if base:
            text += f" ({base})"
        text += f", now {present.change_text(kpi.get('change'))}"
    return text


def attention(report: dict[str, Any], scope: Scope) -> list[tuple[str, bool]]:
    """The off-track KPIs, worst first: (reason, provisional) each."""
    off = [k for k in report["kpis"] if k["status"] == "off_track"]
    off.sort(key=_gap, reverse=True)
    out = []
    for kpi in off:
        line = reason(kpi)
        if mark := scope_mark(kpi, scope):
            line += f" [{mark}]"
        out.append((line, bool(kpi.get("provisional"))))
    return out


def sparkline(values: list[float], statuses: list[str | None], colour: str) -> str:
    """An SVG line of the values (x from the first value held), one dot per
    period coloured by that period's status; '' for fewer than two values."""
    if len(values) < 2:
        return ""
    w, h, pad = 96.0, 30.0, 3.0
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    xs = [pad + i * (w - 2 * pad) / (len(values) - 1) for i in range(len(values))]
    ys = [h - pad - (v - low) / span * (h - 2 * pad) for v in values]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" '
        f'fill="{theme.STATUS_COLOURS.get(s or "no_data", theme.GREY)}"/>'
        for x, y, s in zip(xs, ys, statuses, strict=True))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="30" '
           f'viewBox="0 0 96 30"><polyline points="{line}" fill="none" stroke="{colour}" '
           f'stroke-width="2"/>{dots}</svg>')
    # an image of inline data: the page sanitises inline SVG away, and a data URI is no
    # request to any host
    return (f'<img class="mk-spark" alt="trend of the last {len(values)} periods" '
            f'src="data:image/svg+xml;utf8,{quote(svg)}"/>')


def delta_html(kpi: dict[str, Any], tile: dict[str, Any]) -> str:
    """The judged change and what it is against, coloured good/bad, zero neutral."""
    text = compact.change_delta(tile["delta"], kpi.get("unit", ""), tile["relative"])
    if text is None or not tile.get("previous"):
        return f'<span class="mk-delta" style="color:{theme.GREY}">no earlier value</span>'
    tone = compact.change_tone(tile["delta"], kpi.get("direction", "higher"))
    target = kpi.get("target") or {}
    against = (f"vs {tile['previous']}, {present.baseline_words(target.get('baseline_periods'))}"
               if tile["relative"] else f"vs {tile['previous']}")
    return (f'<span class="mk-delta" style="color:{TONES[tone]}">{escape(text)} '
            f"{escape(against)}</span>")


def notes(kpi: dict[str, Any], scope: Scope) -> list[str]:
    """Caveats under a tile: scope not applied, pace, stale data, tiny sample."""
    out = []
    if mark := scope_mark(kpi, scope):
        out.append(f'<span class="mk-scope">{mark}</span>')
    if kpi.get("pace"):
        out.append("pace for the whole period")
    if (kpi.get("freshness") or {}).get("stale"):
        newest = (kpi["freshness"] or {}).get("newest")
        out.append(f"stale data (newest {present.instant(newest)[:10] if newest else 'never'})")
    n = kpi.get("sample_size")
    if kpi.get("value") is not None and n is not None and n < SMALL_SAMPLE:
        out.append(f"small sample ({n})")
    return out


def tile_html(kpi: dict[str, Any], tile: dict[str, Any], scope: Scope, what: str) -> str:
    status = kpi.get("status") or "no_data"
    colour = theme.STATUS_COLOURS.get(status, theme.GREY)
    word = present.status_text(status) + (" (provisional)" if kpi.get("provisional") else "")
    target = present.kpi_target(kpi.get("target"), kpi.get("unit", ""))
    caveats = notes(kpi, scope)
    return (
        f'<div class="mk-tile" style="--s:{colour}" data-kpi="{escape(kpi["id"])}" '
        f'title="{escape(kpi["name"])}: {escape(what)} Unit: {escape(kpi.get("unit", ""))}.">'
        f'<div class="mk-name">{escape(kpi["name"])}</div>'
        f'<div class="mk-status">{escape(word)}</div>'
        f'<div class="mk-target">target {escape(target)}</div>'
        f'<div class="mk-row"><span class="mk-value">'
        f'{escape(compact.compact(kpi.get("value"), kpi.get("unit", "")))}</span>'
        f'{sparkline(tile["spark"], tile["spark_status"], colour)}</div>'
        f"{delta_html(kpi, tile)}"
        + (f'<div class="mk-note">{" · ".join(caveats)}</div>' if caveats else "")
        + "</div>")


def attention_html(report: dict[str, Any], scope: Scope) -> str:
    items = attention(report, scope)
    if not items:
        return ('<div class="mk-att" style="border-color:rgba(0,158,115,.6)">'
                "<b>Needs attention:</b> nothing is off track.</div>")
    lines = "".join(f"<li>{escape(line)}{' <i>(provisional)</i>' if prov else ''}</li>"
                    for line, prov in items)
    marked = sum(line.endswith("]") for line, _ in items)
    also = f" ({marked} of them {'org-wide' if scope.team else 'all tiers'})" if marked else ""
    return (f'<div class="mk-att"><b>Needs attention: {len(items)} off track</b>{also}, '
            f"worst first<ul>{lines}</ul></div>")


def page_html(report: dict[str, Any], tiles: dict[str, dict[str, Any]], scope: Scope,
              whats: dict[str, str], families: dict[str, str]) -> str:
    """The whole scorecard below its title: attention list, then tiles by family."""
    parts = [CSS, attention_html(report, scope)]
    by_family: dict[str, list[dict[str, Any]]] = {}
    for kpi in report["kpis"]:
        by_family.setdefault(kpi.get("family") or families[kpi["id"]], []).append(kpi)
    for family, name in FAMILY_NAMES.items():
        if family not in by_family:
            continue
        parts.append(f'<div class="mk-family">{escape(name)}</div><div class="mk-grid">')
        parts += [tile_html(k, tiles[k["id"]], scope, whats.get(k["id"], ""))
                  for k in by_family[family]]
        parts.append("</div>")
    return "".join(parts)


def stale_text(report: dict[str, Any], kpi_ids: list[str]) -> str | None:
    """The warning naming the KPIs of a page that stand on stale data; None when none do."""
    stale = [k["name"] for k in report["kpis"]
             if k["id"] in kpi_ids and (k.get("freshness") or {}).get("stale")]
    return ("Stale data behind: " + ", ".join(stale) + ". See the Data health page."
            if stale else None)


class ScorecardPage(NamedTuple):
    """Everything the scorecard page draws, as finished text: a run sends these strings
    (read from the cache) instead of reading the report and building them again."""

    title: str
    caption: str
    headline: str
    stale: str | None
    html: str


def scorecard_page(report: dict[str, Any], tiles: dict[str, dict[str, Any]], scope: Scope,
                   whats: dict[str, str], families: dict[str, str]) -> ScorecardPage:
    """The scorecard of ``report`` for ``scope``: 'Scorecard — to date' for a running
    period, the scope caption, the on-track summary, the stale warning and the tiles."""
    return ScorecardPage(
        title="Scorecard" + (" — to date" if report.get("complete") is False else ""),
        caption=scope.caption(report), headline=summary(report, scope),
        stale=stale_text(report, [k["id"] for k in report["kpis"]]),
        html=page_html(report, tiles, scope, whats, families))
