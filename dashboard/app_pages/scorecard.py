"""Scorecard (`/`): every KPI as a tile, grouped by the blueprint's five families."""

import streamlit as st

from dashboard import charts, components, data, filters, theme, views
from metrics.catalog import FAMILY_NAMES

scope = filters.current()
report = data.kpi_report(scope.period, scope.team, scope.tier)
tiles = data.kpi_tiles(scope.period, scope.team, scope.tier, grain=scope.grain)
counts = views.status_counts(report)
catalog = data.catalog()

st.title("Scorecard")
components.scope_caption(scope, report)
good = counts["ahead"] + counts["on_track"]
st.markdown(
    f"### {good} of {len(report['kpis'])} KPIs on track or ahead"
    f" · {counts['off_track']} off track · {counts['no_data']} no data"
    + (f" · {counts['no_baseline']} no baseline" if counts["no_baseline"] else ""))
components.chart(charts.status_counts(counts), key="status-counts")
components.freshness_banner(report, [k["id"] for k in report["kpis"]])

by_family: dict[str, list[dict]] = {}
for kpi in report["kpis"]:
    by_family.setdefault(kpi.get("family") or catalog[kpi["id"]].family, []).append(kpi)

for family, name in FAMILY_NAMES.items():
    if family not in by_family:
        continue
    st.subheader(name)
    columns = st.columns(4)
    for i, kpi in enumerate(by_family[family]):
        tile = tiles[kpi["id"]]
        unit = kpi.get("unit", "")
        delta = charts.fmt_delta(tile["delta"], unit)
        with columns[i % 4]:
            st.metric(
                kpi["name"], charts.fmt_short(kpi["value"], unit), delta=delta,
                delta_color="inverse" if kpi.get("direction") == "lower" else "normal",
                delta_description=f"vs {tile['previous']}" if tile["previous"] else None,
                chart_data=tile["spark"] or None, border=True,
                help=f"{catalog[kpi['id']].what} Unit: {unit}.")
            st.markdown(f"{theme.status_badge(kpi['status'])}  \n"
                        f"target {components.kpi_target_text(kpi)}")
            for caveat in components.caveats(kpi, scope.tier is not None):
                st.caption(caveat)
