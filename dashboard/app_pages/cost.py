"""Cost (`/cost`): cost per 1k inferences by team and service against the year-over-year
target; cost per training run."""

import streamlit as st

from dashboard import charts, components, data

scope, report = components.kpi_page("Cost", ["cost_per_1k_inferences", "cost_per_training_run"])

per_1k = components.kpi_row(report, "cost_per_1k_inferences")
st.subheader(per_1k["name"])
components.kpi_header(per_1k, named=False)
by_team = data.kpi_by_team(scope.period, "cost_per_1k_inferences", scope.tier)
components.chart(charts.bars_vs_levels(
    by_team, x="team", y="value", level="target_level", unit="USD",
    title="Cost per 1k inferences by team, with the level that meets the YoY target"),
    key="cost-by-team")
components.trend(scope, "cost_per_1k_inferences", key="trend-cost-1k")
services = data.cost_by_service_vs_year(scope.period, scope.team, scope.tier)
if not services.empty:
    components.chart(charts.bars_vs_levels(
        services, x="service", y="cost_per_1k", level="target_level", unit="USD",
        title="By service (12 largest spenders), with the level that meets the YoY target"),
        key="cost-by-service")
components.drill_down(scope, "cost_per_1k_inferences", per_1k["name"])

components.kpi_section(scope, report, "cost_per_training_run")
