"""SLO burn (`/slo`): endpoints worst first, burn rates against the alert thresholds,
error-budget burn-down and latency per endpoint."""

import streamlit as st

from dashboard import charts, components, data, filters, views
from dashboard.plaintext import plain
from metrics import present

scope = filters.current()
st.title("SLO burn")
slo = data.slo_report(scope.team, scope.tier)
st.caption(f"Evaluated at {present.instant(slo.get('at'))} (end of the newest SLI window) · "
           f"{plain(scope.words)} · SLOs use their own rolling window, not the period filter.")
if not slo["endpoints"]:
    st.info("No endpoint has serving data in this scope. Ingest `inference_sli` files "
            "(`mlkpi ingest inference_sli FILE`) or widen the team/tier filter.")
    st.stop()
for warning in slo.get("warnings", []):
    st.warning(warning, icon="⚠️")

table = views.slo_table(slo)
first = slo["endpoints"][0]
st.markdown(f"**Alert thresholds** ({first['window_days']}-day window; an alert fires when "
            f"both look-backs burn above): {views.threshold_text(first['thresholds'])}")
burn_cols = {c: st.column_config.NumberColumn(format="%.2f") for c in table if
             c.startswith("burn ")}
components.table(table, column_config={
    **burn_cols,
    "availability %": st.column_config.NumberColumn(format="%.3f"),
    "latency compliance %": st.column_config.NumberColumn(format="%.2f"),
    "budget remaining %": st.column_config.ProgressColumn(min_value=0, max_value=100,
                                                          format="%.1f"),
    "hours to exhaustion": st.column_config.NumberColumn(format="%.0f"),
})

names = [e["endpoint"] for e in slo["endpoints"]]
endpoint = st.selectbox("Endpoint", names, key="endpoint", bind="query-params")
entry = next(e for e in slo["endpoints"] if e["endpoint"] == endpoint)
hours = entry.get("hours_to_exhaustion")
a, b, c, d = st.columns(4)
a.metric("Alert", entry["alert"].replace("_", " "), border=True,
         help="Rows fired: " + (", ".join(entry["fired"]) or "none"))
b.metric("Budget remaining", present.quantity(entry["budget_remaining"], "%"), border=True)
c.metric("Availability", present.quantity(entry["availability"], "%"), border=True,
         delta=f"objective {entry['objective']:g} %", delta_color="off", delta_arrow="off")
d.metric("Time to exhaustion at the 1d rate",
         "not burning" if hours is None else f"{hours:,.0f} h", border=True)
if entry.get("burning_since"):
    st.markdown(f"🔥 **{plain(endpoint)}** is burning budget (1h burn rate "
                f"{entry['burn_rates']['1h']:.2f} > 1) since "
                f"**{present.since_text(entry['burning_since'], slo.get('at'))}**.")
else:
    st.caption(f"{plain(endpoint)} is not burning budget now (1h burn rate at or below 1, or no "
               "requests in the last hour).")

components.chart(charts.burn_rates(data.burn_rate_series(endpoint), entry["thresholds"],
                                   f"Burn rate of {endpoint} (last 7 days)"), key="slo-burn")
left, right = st.columns(2)
with left:
    components.chart(charts.burndown(data.budget_burndown(endpoint),
                                     f"Error budget over the {entry['window_days']}-day window"),
                     key="slo-burndown")
with right:
    components.chart(charts.latency(data.latency_series(endpoint),
                                    "p95 / p99 latency vs objective (7 days)"),
                     key="slo-latency")

st.subheader("Notifications")
history = data.slo_notifications(endpoint)
if history.empty:
    st.caption(f"No alert-state change of {endpoint} has been notified yet: schedule "
               "`mlkpi slo notify --to URL` after each SLI import.")
else:
    components.table(history, column_config={
        "evaluated at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]")})
