"""Platform & governance (`/platform`): adoption, lineage and monitoring coverage, with the
models that are not covered."""

import streamlit as st

from dashboard import components, data, views

scope, report = components.kpi_page(
    "Platform & governance", ["platform_adoption", "lineage_coverage", "monitoring_coverage"])

components.kpi_section(scope, report, "platform_adoption")

for kpi_id, flag, max_tier, what in (
        ("lineage_coverage", "full_lineage", None, "without full lineage"),
        ("monitoring_coverage", "all_monitors", 2,
         "(tier 1–2) missing performance, drift or data-quality monitoring")):
    components.kpi_section(scope, report, kpi_id)
    events = data.kpi_events(kpi_id, scope.period, scope.team, scope.tier)
    missing = views.uncovered(events, flag, max_tier)
    st.markdown(f"**Production models {what}** ({len(missing)})")
    if missing.empty:
        st.caption("None: every model in scope is covered.")
    else:
        components.table(missing)
