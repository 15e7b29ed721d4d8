"""Incidents & drift (`/incidents`): TTD and TTM against targets by severity and cause,
the incident list, drift rate and model performance lift over time."""

import streamlit as st

from dashboard import charts, components, data, views

scope, report = components.kpi_page("Incidents & drift", [
    "time_to_detect", "time_to_mitigate", "performance_drift_rate", "model_performance_lift"])

for kpi_id, column, unit in (("time_to_detect", "detect_minutes", "minutes"),
                             ("time_to_mitigate", "mitigate_hours", "hours")):
    kpi = components.kpi_row(report, kpi_id)
    st.subheader(kpi["name"])
    components.kpi_header(kpi, named=False)
    target = kpi["target"]
    events = data.kpi_events(kpi_id, scope.period, scope.team, scope.tier)
    left, right = st.columns(2)
    for col, by in ((left, "severity"), (right, "cause")):
        with col:
            components.chart(charts.bars_with_target(
                views.group_median(events, by, column).sort_values(by), x=by, y="median",
                title=f"Median by {by}", unit=unit, target=target["value"], op=target["op"],
                stretch=target["stretch"]), key=f"{kpi_id}-{by}")
    components.trend(scope, kpi_id, key=f"trend-{kpi_id}")

st.subheader("Incidents detected in the period")
incidents = data.kpi_events("time_to_detect", scope.period, scope.team, scope.tier)
if incidents.empty:
    st.caption("No incidents detected in this period and scope.")
else:
    components.table(incidents, column_config={
        "detect_minutes": st.column_config.NumberColumn("TTD (min)", format="%.0f")})
    st.download_button("Download CSV", views.to_csv(incidents), mime="text/csv",
                       file_name=f"incidents-{scope.period}.csv", on_click="ignore")

for kpi_id in ("performance_drift_rate", "model_performance_lift"):
    components.kpi_section(scope, report, kpi_id)
