"""Scorecard (`/`): every KPI as a tile, grouped by the blueprint's five families.

For the executive opening a link: the one-line summary, what needs attention (the
off-track KPIs, worst first, each with its reason), then per tile the value, the status in
words and colour, the target, the change its status is judged on and a sparkline coloured
by status. The tiles are one block of HTML (``dashboard.tiles``): no chart library, one
element, so the page draws in a fraction of the time 21 metric charts took."""

import streamlit as st

from dashboard import components, data, filters, tiles

scope = filters.current()
report = data.kpi_report(scope.period, scope.team, scope.tier)

components.page_head("Scorecard" + (" — to date" if report.get("complete") is False else ""),
                     components.scope_text(scope, report), tiles.summary(report, scope))
components.freshness_banner(report, [k["id"] for k in report["kpis"]])
st.html(data.scorecard_html(scope.period, scope.team, scope.tier))
