"""Org health (`/org`): stakeholder satisfaction, engagement, regretted attrition, hiring
cycle time, roadmap predictability."""

import streamlit as st

from dashboard import components

KPIS = ["stakeholder_satisfaction", "team_engagement", "regretted_attrition",
        "hiring_cycle_time", "roadmap_predictability"]

scope, report = components.kpi_page("Org health", KPIS)
if scope.tier is not None:
    st.caption("People and survey data have no tier: the tier filter does not apply here.")
for kpi_id in KPIS:
    components.kpi_section(scope, report, kpi_id)
