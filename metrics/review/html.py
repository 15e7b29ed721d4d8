"""The review pack as one self-contained HTML page, also the source of the PDF.

    page = render_html(pack, paper="a4")

Everything is inline (styles, SVG charts), nothing is fetched: it opens offline. Every
text from the store (names, notes, authors) is escaped. Print rules: the paper size, page
numbers in the bottom margin, no table row or chart split across pages.
"""

from __future__ import annotations

import base64
from html import escape

from metrics.review import charts, wording
from metrics.review.figures import Pack, Row
from metrics.review.summary import sentences

PAPERS = {"a4": "A4", "letter": "letter"}
MARGIN_MM = 15

_STYLE = """
@page { size: %(size)s; margin: %(margin)smm %(margin)smm %(bottom)smm;
  @bottom-center { content: "%(title)s · page " counter(page) " of " counter(pages);
                   font: 8pt 'DejaVu Sans', sans-serif; color: #555; } }
html { font: 9pt/1.35 'DejaVu Sans', Arial, sans-serif; color: #1a1a1a; background: #fff; }
body { margin: 0 auto; max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; break-after: avoid; }
.meta { color: #444; margin: 0 0 4mm; }
.summary p { margin: 0 0 1.5mm; }
table { width: 100%%; border-collapse: collapse; table-layout: fixed; font-size: 7.5pt; }
th, td { padding: 1.2mm 1mm; border-bottom: 0.3pt solid #bbb; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f0f0; }
tr, figure, .note, .restated { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
td.num { text-align: right; }
.off_track { color: #B14700; font-weight: bold; }
.ahead { color: #005A8C; font-weight: bold; }
.on_track { color: #006B4F; }
.small { color: #555; font-size: 6.5pt; }
.charts { font-size: 0; }
figure { display: inline-block; width: 49%%; margin: 0 0 3mm; vertical-align: top;
  font-size: 8pt; }
figure:nth-child(odd) { margin-right: 2%%; }
figure svg, figure img { width: 100%%; height: auto; display: block; }
.note { margin: 0 0 2mm; }
.note .by { color: #555; font-size: 7.5pt; }
"""

_COLUMNS = ("KPI", "Value", "Target", "Status", "vs %(previous)s", "vs %(year)s",
            "Sample", "Data")
_WIDTHS = (21, 14, 16, 12, 10, 10, 9, 8)


def render_html(pack: Pack, paper: str = "a4", inline_charts: bool = True) -> str:
    """The review as one self-contained page. ``inline_charts``: each chart's SVG is part
    of the page (its text selectable in a browser); otherwise an image of its own (the
    PDF's renderer then lays out ~3,500 fewer elements, a third of its time)."""
    title = f"ML KPI review {pack.label}{'' if pack.complete else ' (to date)'}"
    style = _STYLE % {"size": PAPERS[paper], "margin": MARGIN_MM, "bottom": MARGIN_MM + 3,
                      "title": escape(title)}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)} — {escape(pack.scope_text)}</title>",
        f"<style>{style}</style></head><body>",
        f"<h1>{escape(title)}</h1>", _meta(pack),
        "<div class='summary'>" + "".join(f"<p>{escape(s)}</p>" for s in sentences(pack))
        + "</div>",
        "<h2>Every KPI</h2>", _table(pack),
        "<h2>Trends by quarter</h2>", _charts(pack, inline_charts),
        "<h2>Notes</h2>", _notes(pack),
    ]
    if pack.closed_at:
        parts += ["<h2>Restatements</h2>", _restatements(pack)]
    parts.append("</body></html>")
    return "\n".join(parts)


def _meta(pack: Pack) -> str:
    bits = [f"Scope: {pack.scope_text}", f"data as of {wording.when(pack.as_of)}"]
    if pack.closed_at:
        bits.append(f"closed {wording.when(pack.closed_at)} by {pack.closed_by}")
    bits.append(f"generated {wording.when(pack.generated_at)} by mlkpi")
    return f"<p class='meta'>{escape(' · '.join(bits))}</p>"


def _value_cell(row: Row) -> str:
    text = escape(wording.number(row.value, row.unit))
    marks = []
    if row.provisional:
        marks.append("pace to date" if row.pace else "to date")
    if row.org_wide:
        marks.append("org-wide")
    if row.restated:
        marks.append(f"restated: now {wording.number(row.recomputed, row.unit)} "
                     f"({row.reason})")
    if marks:
        text += f"<br><span class='small'>{escape('; '.join(marks))}</span>"
    return text


def _status_cell(row: Row) -> str:
    text = wording.status_mark(row.status) + (" (provisional)" if row.provisional else "")
    if row.changed:
        text += f" — was {wording.status(row.previous_status)}"
    return f"<span class='{escape(row.status)}'>{escape(text)}</span>"


def _table(pack: Pack) -> str:
    names = {"previous": pack.previous, "year": pack.year_before}
    cols = "".join(f"<col style='width:{w}%'>" for w in _WIDTHS)
    head = "".join(f"<th>{escape(c % names)}</th>" for c in _COLUMNS)
    body = []
    for row in pack.rows:
        cells = [escape(row.name), _value_cell(row), escape(wording.target(row.target, row.unit)),
                 _status_cell(row), escape(wording.change(row.qoq, row.unit)),
                 escape(wording.change(row.yoy, row.unit)), str(row.sample_size),
                 escape(wording.stale(row.stale))]
        body.append("<tr>" + "".join(
            f"<td{' class=num' if i in (4, 5, 6) else ''}>{c}</td>"
            for i, c in enumerate(cells)) + "</tr>")
    return (f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
            f"<p class='small'>Changes of a percentage are in points (pp), of anything else "
            f"in %. 'Data' says whether the newest event of a source is older than two "
            f"review periods (stale).</p>")


def _charts(pack: Pack, inline: bool = True) -> str:
    figures = []
    for row in pack.rows:
        svg = charts.trend_svg(row, pack.trends.get(row.id, []), pack.label)
        if not inline:
            data = base64.b64encode(svg.encode()).decode()
            svg = (f"<img src='data:image/svg+xml;base64,{data}' "
                   f"alt='{escape(row.name)} by quarter'>")
        figures.append(f"<figure>{svg}</figure>")
    return f"<div class='charts'>{''.join(figures)}</div>"


def _notes(pack: Pack) -> str:
    if not pack.notes:
        return f"<p>No notes for {escape(pack.label)} in this scope.</p>"
    names = {row.id: row.name for row in pack.rows}
    items = [f"<div class='note'><b>{escape(names.get(n['kpi'], n['kpi']))}</b>: "
             f"{escape(n['text'])}<br><span class='by'>{escape(n['author'])}, "
             f"{escape(wording.when(n['written_at']))}</span></div>" for n in pack.notes]
    return "".join(items)


def _restatements(pack: Pack) -> str:
    closed = (f"<p>{escape(pack.label)} was closed {escape(wording.when(pack.closed_at))} "
              f"by {escape(pack.closed_by or '')}: the figures above are the closed ones.</p>")
    if not pack.restated:
        return closed + "<p>No figure has moved since the close.</p>"
    rows = "".join(
        f"<tr class='restated'><td>{escape(r.name)}</td>"
        f"<td>{escape(wording.number(r.value, r.unit))}</td>"
        f"<td>{escape(wording.number(r.recomputed, r.unit))}</td>"
        f"<td>{escape(r.reason or '')}</td></tr>" for r in pack.restated)
    return (closed + "<table><colgroup><col style='width:28%'><col style='width:17%'>"
            "<col style='width:17%'><col style='width:38%'></colgroup><thead><tr>"
            "<th>KPI</th><th>Closed</th><th>Recomputed</th><th>Why</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")
