"""Delivery (`/delivery`): releases per team, lead-time trend (median and spread),
CI/CD coverage."""

import streamlit as st

from dashboard import charts, components, data

scope, report = components.kpi_page(
    "Delivery", ["ml_release_throughput", "lead_time_for_ml_changes", "cicd_coverage"])

releases = components.kpi_row(report, "ml_release_throughput")
st.subheader(releases["name"])
components.kpi_header(releases, named=False)
by_team = data.kpi_by_team(scope.period, "ml_release_throughput", scope.tier)
target = releases["target"]
components.chart(charts.bars_with_target(
    by_team, x="team", y="value", title="Releases per team (per quarter)",
    unit=releases["unit"], target=target["value"], op=target["op"],
    stretch=target["stretch"]), key="releases-by-team")
components.trend(scope, "ml_release_throughput", key="trend-releases")
components.drill_down(scope, "ml_release_throughput", releases["name"])

lead = components.kpi_row(report, "lead_time_for_ml_changes")
st.subheader(lead["name"])
components.kpi_header(lead, named=False)
spread = data.spread_by_period(scope.period, "lead_time_for_ml_changes", "lead_time_hours",
                               8, scope.team, scope.tier)
components.chart(charts.band_trend(spread, x="period", mid="median", low="p25", high="p75",
                                   title="Lead time: median and interquartile spread",
                                   unit="hours"), key="lead-spread")
st.caption("The target is relative (change against a year earlier): see it drawn below.")
components.trend(scope, "lead_time_for_ml_changes", key="trend-lead")
components.drill_down(scope, "lead_time_for_ml_changes", lead["name"])

components.kpi_section(scope, report, "cicd_coverage")
