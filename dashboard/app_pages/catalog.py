"""KPI catalog (`/catalog`): every KPI's definition, formula, anchor, unit, direction,
target (default or the organisation's, and from which period), cadence and sources."""

import streamlit as st

from dashboard import charts, components, data, filters

scope = filters.current() if st.session_state.get("_scope") else None
period = scope.period if scope else None
table = data.catalog_table(period)
st.title("KPI catalog")
st.caption(f"{len(table)} KPIs from the role blueprint"
           + (f" · targets in force for {period}" if period else " · default targets"))

counts = table.groupby("family", sort=False).size().reset_index(name="KPIs")
components.chart(charts.bars_with_target(counts, x="family", y="KPIs",
                                         title="KPIs per family", sample="KPIs"),
                 key="catalog-families")
# a static table: every word shown, wrapping (a scroll box cut the targets at 1440 px)
st.table(table[["KPI", "family", "unit", "direction", "target", "target source",
                "cadence"]].set_index("KPI"))
for _, row in table.iterrows():
    with st.expander(f"{row['KPI']} — {row['family']}"):
        st.markdown(f"**What:** {row['what']}  \n**Why:** {row['why']}")
        st.markdown(f"**Formula:** {row['formula']}  \n**Anchor:** `{row['anchor']}` · "
                    f"**Unit:** {row['unit']} · **Direction:** {row['direction']} · "
                    f"**Cadence:** {row['cadence']}")
        st.markdown(f"**Target:** {row['target']} ({row['target source']}) · "
                    f"blueprint: {row['blueprint target']}")
        st.markdown(f"**Source kinds:** {row['sources']} · tier filter {row['tier filter']}"
                    f" · id `{row['id']}`")
