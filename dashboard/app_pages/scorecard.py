"""Scorecard (`/`): every KPI as a tile, grouped by the blueprint's five families.

For the executive opening a link: the one-line summary, then per tile the value, the
status in words and colour, the target, the change since the previous period and a
sparkline. No Plotly chart here: the summary line says what a status bar would, and the
page appears sooner without loading Plotly."""

import streamlit as st

from dashboard import components, data, filters, views
from metrics import present
from metrics.catalog import FAMILY_NAMES

scope = filters.current()
report = data.kpi_report(scope.period, scope.team, scope.tier)
tiles = data.kpi_tiles(scope.period, scope.team, scope.tier)
counts = views.status_counts(report)
catalog = data.catalog()

st.title("Scorecard")
components.scope_caption(scope, report)
good = counts["ahead"] + counts["on_track"]
st.markdown(
    f"### {good} of {len(report['kpis'])} KPIs on track or ahead"
    f" · {counts['off_track']} off track · {counts['no_data']} no data"
    + (f" · {counts['no_baseline']} no baseline" if counts["no_baseline"] else ""))
components.freshness_banner(report, [k["id"] for k in report["kpis"]])

by_family: dict[str, list[dict]] = {}
for kpi in report["kpis"]:
    by_family.setdefault(kpi.get("family") or catalog[kpi["id"]].family, []).append(kpi)

for family, name in FAMILY_NAMES.items():
    if family not in by_family:
        continue
    st.subheader(name)
    # one element per tile, in a row that wraps: the status and target are the label's
    # second line (fewer messages per session than a grid of columns: docs/performance.md)
    with st.container(horizontal=True, gap="small"):
        for kpi in by_family[family]:
            tile = tiles[kpi["id"]]
            unit = kpi.get("unit", "")
            st.metric(
                components.tile_label(kpi, scope.tier is not None),
                present.compact(kpi["value"], unit),
                delta=present.compact_delta(tile["delta"], unit),
                delta_color="inverse" if kpi.get("direction") == "lower" else "normal",
                delta_description=f"vs {tile['previous']}" if tile["previous"] else None,
                chart_data=tile["spark"] or None, border=True, width=components.TILE_WIDTH,
                help=components.tile_help(kpi, catalog[kpi["id"]].what))
