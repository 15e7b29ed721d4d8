"""Small UI pieces shared by the pages: empty state, freshness and sample warnings,
the drill-down expander, KPI header lines. UI only: numbers come from `data`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, data, filters, theme, tiles, views
from dashboard.filters import Scope
from dashboard.plaintext import plain
from metrics import compact, present

SMALL_SAMPLE = 5  # below this many events a value is flagged as resting on a tiny sample

EMPTY_STATE = (
    "**No events yet.** Load some with `mlkpi ingest KIND FILE…` (one kind per file, see "
    "`mlkpi ingest --help`), or run `mlkpi demo` to explore realistic sample data."
)


def empty_state(status: dict[str, Any]) -> None:
    st.info(EMPTY_STATE, icon="📭")
    if status.get("message"):
        st.caption(status["message"])


def plain_title(text: object) -> str:
    """Text shown as itself in a Plotly title (which reads a few HTML tags)."""
    return html.escape(str(text))


def chart(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", key=key,
                    config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"]})


def kpi_row(report: dict[str, Any], kpi_id: str) -> dict[str, Any]:
    """The report entry of one KPI (every catalog KPI is in the report)."""
    return next(k for k in report["kpis"] if k["id"] == kpi_id)


def value_text(kpi: dict[str, Any]) -> str:
    return present.quantity(kpi.get("value"), kpi.get("unit", ""))


def kpi_target_text(kpi: dict[str, Any]) -> str:
    target = kpi.get("target") or {}
    text = present.kpi_target(target, kpi.get("unit", ""))
    if target.get("source") == "organisation":
        text += " · organisation's target" + (f" from {target['from']}"
                                              if target.get("from") else "")
    return text


# px: three tiles a row beside the sidebar on a 1400 px wide screen (more on wider ones),
# wide enough for the longest KPI name and its status and target on one line each
TILE_WIDTH = 295


def tile_label(kpi: dict[str, Any], tier_chosen: bool = False) -> str:
    """A scorecard tile's label, one line each: the KPI's name; its status in words and
    colour and its target ('✓ On track · target ≤ 7 d'); any caveat ('🔍 small sample
    (3)'). The full target (stretch, the organisation's override) is in ``tile_help``."""
    target = kpi.get("target") or {}
    short = compact.compact_target(target.get("op"), target.get("value"),
                                   kpi.get("unit", ""), target.get("kind") == "relative")
    lines = [kpi["name"], f"{theme.status_badge(kpi['status'])} · target {short}"]
    if notes := caveats(kpi, tier_chosen):
        lines.append(" · ".join(notes))
    return "  \n".join(lines)


def tile_help(kpi: dict[str, Any], what: str) -> str:
    """A tile's tooltip: the KPI's whole name, what it measures, its full target, its unit."""
    return (f"**{kpi['name']}**: {what} Target: {kpi_target_text(kpi)}. "
            f"Unit: {kpi.get('unit', '')}.")


def caveats(kpi: dict[str, Any], tier_chosen: bool = False) -> list[str]:
    """Short warnings for one KPI value: stale data, tiny sample, tier filter ignored."""
    notes = []
    if (kpi.get("freshness") or {}).get("stale"):
        newest = (kpi["freshness"] or {}).get("newest") or "never"
        notes.append(f"⏳ stale data (newest event {str(newest)[:10]})")
    n = kpi.get("sample_size")
    if kpi.get("value") is not None and n is not None and n < SMALL_SAMPLE:
        notes.append(f"🔍 small sample ({n})")
    if tier_chosen and not kpi.get("tier_filter_applied"):
        notes.append("tier filter does not apply")
    return notes


def kpi_header(kpi: dict[str, Any], named: bool = True) -> None:
    """One line: (name,) value, status badge, target, caveats."""
    scope = st.session_state.get("_scope")
    extra = " · ".join(caveats(kpi, bool(scope and scope.tier)))
    name = f"**{kpi['name']}**: " if named else ""
    st.markdown(f"{name}**{value_text(kpi)}** — {theme.status_badge(kpi['status'])}"
                f" · target {kpi_target_text(kpi)}" + (f" · {extra}" if extra else ""))


def trend(scope: Scope, kpi_id: str, n: int = 8, key: str | None = None) -> None:
    """The KPI's trend over the last `n` periods of the scope's grain, target drawn.
    Sliced from the all-KPI series the scorecard (and the warm-up) already cached."""
    series = data.kpi_series(scope.period, n, None, scope.team, scope.tier)
    kpi = data.catalog()[kpi_id]
    part = series[series["kpi"] == kpi_id]
    if part.empty:
        st.caption(f"No trend for {kpi.name} yet.")
        return
    chart(charts.kpi_trend(part, name=kpi.name, unit=kpi.unit, target_kind=kpi.target.kind,
                           op=kpi.target.op), key=key)


def drill_down(scope: Scope, kpi_id: str, name: str) -> None:
    """Expander 'Events behind <KPI>' with the rows and a CSV download."""
    with st.expander(f"Events behind {name}"):
        events = data.kpi_events(kpi_id, scope.period, scope.team, scope.tier)
        if events.empty:
            st.caption("No events in this period and scope.")
            return
        st.dataframe(views.readable(events), hide_index=True)
        st.download_button("Download CSV", views.to_csv(views.readable(events, blank="")),
                           mime="text/csv",
                           file_name=f"{kpi_id}-{scope.period}.csv", key=f"dl-{kpi_id}",
                           on_click="ignore")


def kpi_section(scope: Scope, report: dict[str, Any], kpi_id: str, n: int = 8,
                titled: bool = True) -> None:
    """Subheader, header line, trend chart and drill-down for one KPI."""
    kpi = kpi_row(report, kpi_id)
    if titled:
        st.subheader(kpi["name"])
    kpi_header(kpi, named=not titled)
    trend(scope, kpi_id, n, key=f"trend-{kpi_id}")
    drill_down(scope, kpi_id, kpi["name"])


def kpi_page(title: str, kpi_ids: list[str]) -> tuple[Scope, dict[str, Any]]:
    """The head of a KPI page: its title, scope caption and stale-data warning for
    ``kpi_ids``; returns the scope and the period's KPI report the page draws from."""
    scope = filters.current()
    report = data.kpi_report(scope.period, scope.team, scope.tier)
    page_head(title, scope.caption(report))
    freshness_banner(report, kpi_ids)
    return scope, report


def freshness_banner(report: dict[str, Any], kpi_ids: list[str]) -> None:
    """One warning naming the KPIs of this page that stand on stale data."""
    if text := tiles.stale_text(report, kpi_ids):
        st.warning(text, icon="⏳")


def page_head(title: str, caption: str, headline: str | None = None) -> None:
    """The page's title, its caption (small, grey) and an optional headline, drawn as one
    element: each element is a message the server sends and the browser draws, and the
    executive's page is opened by many people at once. Only ``title`` and ``headline``
    may hold Markdown (ours); the caption is shown as typed."""
    parts = [f"# {title}", f":gray[:small[{plain(caption)}]]"]
    if headline:
        parts.append(f"### {headline}")
    st.markdown("\n\n".join(parts))


def table(df: pd.DataFrame, **kwargs: Any) -> None:
    """A table people read: columns without a column_config of their own go through
    ``views.readable`` (no 'None', ISO instants or unrounded floats)."""
    configured = set(kwargs.get("column_config") or {})
    plain = views.readable(df[[c for c in df.columns if c not in configured]])
    shown = df.copy()
    for name in plain.columns:
        shown[name] = plain[name]
    st.dataframe(shown, hide_index=True, **kwargs)
