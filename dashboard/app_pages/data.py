"""Data health (`/data`): rows and newest event per kind, stale kinds, quarantined rows
with their reasons, ingest history."""

from pathlib import Path

import streamlit as st

from dashboard import charts, components, data, views

status = st.session_state.get("_status") or data.store_status()
st.title("Data health")
# the file's name only: people the link is shared with never learn the server's folders
st.caption(f"Store: {Path(status.get('db') or '').name or '–'} (read-only snapshot)")
if status.get("state") == "missing":
    components.empty_state(status)
    st.stop()
if status.get("state") == "empty":
    components.empty_state(status)
fresh = views.freshness_table(status)
stale = fresh[fresh["stale"]]["kind"].tolist() if not fresh.empty else []
if stale:
    st.warning("Stale or empty kinds: " + ", ".join(stale) + ". The KPIs they feed say so.",
               icon="⏳")
else:
    st.success("Every kind has recent data.", icon="✅")
if not fresh.empty:
    components.chart(charts.bars_with_target(
        fresh.assign(sample_size=fresh["rows"]), x="kind", y="rows",
        title="Rows per kind"), key="rows-per-kind")
    components.table(fresh, column_config={
        "stale": st.column_config.CheckboxColumn("stale")})

st.subheader("Quarantined rows")
quarantine = data.quarantine_rows()
if quarantine.empty:
    st.caption("No rows held back.")
else:
    st.markdown(f"{len(quarantine)} most recent rows held back by ingest, with the reason.")
    components.table(views.without_paths(quarantine))
    st.download_button("Download CSV", views.to_csv(quarantine), mime="text/csv",
                       file_name="quarantine.csv", on_click="ignore")

st.subheader("Ingest history")
components.table(views.without_paths(data.ingest_history()))
