"""One trend chart per KPI as SVG (vector: it prints crisply at any size), with its target.

    svg = trend_svg(row, pack.trends[row.id], "2026Q3")

Text stays text in the SVG (``svg.fonttype = none``), so the PDF can be searched and the
reviewed quarter's label is real text on the page. The target is a dashed line, the band
to the stretch is shaded; a relative target ("≤ −20 % vs a year earlier") is drawn as the
value it implies in each quarter, baseline × (1 + target ÷ 100).
"""

from __future__ import annotations

import io
import re
import textwrap

from metrics.review import wording
from metrics.review.figures import Row

BLUE, GREEN, GREY, VERMILLION = "#0072B2", "#009E73", "#666666", "#D55E00"
WIDTH_IN, HEIGHT_IN = 3.5, 2.3


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans",
                                "font.size": 7, "svg.hashsalt": "mlkpi"})
    import matplotlib.pyplot as plt

    return plt


def implied(point: dict, level: float | None) -> float | None:
    """The value a relative target asks for in one period: with value 45 and change −25 %
    (baseline 60), a target of −20 % asks for 60 × 0.8 = 48."""
    value, change = point.get("value"), point.get("change")
    if level is None or value is None or change is None or change == -100:
        return None
    return value / (1 + change / 100) * (1 + level / 100)


def _targets(row: Row, points: list[dict]) -> tuple[list, list]:
    relative = (row.target or {}).get("kind") == "relative"
    if relative:
        return ([implied(p, p["target"]) for p in points],
                [implied(p, p["stretch"]) for p in points])
    return [p["target"] for p in points], [p["stretch"] for p in points]


def unique_ids(svg: str, prefix: str) -> str:
    """Prefix every id of an SVG (and the references to it), so that many SVGs inlined in
    one page never share one: matplotlib names them 'line2d_1', 'p729b89e4e5' in each."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    pattern = re.compile(rf'(\bid="|url\(#|href="#)({names})(?=["\)])')
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def trend_svg(row: Row, points: list[dict], label: str) -> str:
    """The SVG text of one KPI's trend over `points` (oldest first), `label` highlighted."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    try:
        _draw(ax, row, points, label)
        fig.subplots_adjust(left=0.12, right=0.97, top=0.8, bottom=0.27)  # one draw
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = out.getvalue()
    return unique_ids(text[text.index("<svg"):], row.id)  # no XML prolog: inlined in HTML


def _draw(ax, row: Row, points: list[dict], label: str) -> None:
    xs = list(range(len(points)))
    labels = [p["label"] for p in points]
    values = [p["value"] for p in points]
    targets, stretches = _targets(row, points)
    ax.set_title("\n".join(textwrap.wrap(row.name, 52)), fontsize=8, loc="left",
                 fontweight="bold", pad=14)
    ax.text(0, 1.02, _headline(row, label), transform=ax.transAxes, fontsize=6.5,
            color=BLUE, va="bottom", ha="left")
    if label in labels:
        i = labels.index(label)
        ax.axvspan(i - 0.4, i + 0.4, color="#E8E8E8", zorder=0)
    if any(t is not None for t in targets):
        ax.plot(xs, _nan(targets), color=GREY, linestyle="--", linewidth=1,
                label=_target_label(row.target, "target"))
        if any(s is not None for s in stretches):
            ax.fill_between(xs, _nan(targets), _nan(stretches), color=GREEN, alpha=0.12,
                            linewidth=0, label=_target_label(row.target, "stretch"))
    ax.plot(xs, _nan(values), color=BLUE, marker="o", markersize=3, linewidth=1.6,
            label="value")
    if row.restated and row.value is not None and label in labels:
        ax.plot([labels.index(label)], [row.value], marker="D", color=VERMILLION,
                markersize=4, linestyle="none", label="as closed")
    ax.set_xticks(xs, labels, fontsize=6)
    for tick in ax.get_xticklabels():
        if tick.get_text() == label:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", labelsize=6)
    ax.yaxis.set_major_formatter(lambda v, _pos: wording.plain(v))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3,
              frameon=False, handlelength=1.8)


def _headline(row: Row, label: str) -> str:
    """'2026Q3: 84.21 % · target ≥ 80 % (stretch 95 %)' — the reviewed quarter, named."""
    to_date = " to date" if row.provisional else ""
    text = f"{label}{to_date}: {wording.number(row.value, row.unit)}"
    if row.restated:
        text += f" as closed (now {wording.number(row.recomputed, row.unit)})"
    return text + f" · {wording.status(row.status)}"


def _target_label(spec: dict | None, key: str) -> str:
    """'target ≥ 80', 'stretch 95', 'target −20 % vs baseline' (short: legends stay inside)."""
    spec = spec or {}
    level = spec.get("value" if key == "target" else key)
    if level is None:
        return key
    if spec.get("kind") == "relative":
        return f"{key} {'+' if level > 0 else ''}{wording.plain(level)} % vs baseline"
    op = wording.OPS.get(spec.get("op", ""), "") if key == "target" else ""
    return f"{key} {op} {wording.plain(level)}".replace("  ", " ")


def _nan(values: list) -> list[float]:
    return [float("nan") if v is None else v for v in values]
