"""SLO burn (`/slo`): endpoints worst first, burn rates against the alert thresholds,
error-budget burn-down and latency per endpoint. The chosen endpoint is in the link
(``endpoint=ranker-v2``); endpoint names are shown as plain text, never as markup."""

import streamlit as st

from dashboard import charts, components, data, filters, slo_views
from dashboard.plaintext import plain
from metrics import present

scope = filters.current()
slo = data.slo_report(scope.team, scope.tier)
components.page_head("SLO burn", f"Evaluated at {present.instant(slo.get('at'))} (end of the "
                     f"newest SLI window) · {scope.words} · SLOs use their own rolling "
                     "window, not the period filter.")
if not slo["endpoints"]:
    st.info("No endpoint has serving data in this scope. Ingest `inference_sli` files "
            "(`mlkpi ingest inference_sli FILE`) or widen the team/tier filter.")
    st.stop()
for warning in slo.get("warnings", []):
    st.warning(plain(warning), icon="⚠️")

table = slo_views.slo_table(slo)
first = slo["endpoints"][0]
st.markdown(f"**Alert thresholds** ({first['window_days']}-day window; an alert fires when "
            f"both look-backs burn above): {slo_views.threshold_text(first['thresholds'])}")
# three narrow tables rather than one that scrolls sideways at 1440 px: where each endpoint
# stands, then its objectives and compliance, then its burn rates (rows in the same order)
height = 38 + 35 * len(table)
pinned = {"endpoint": st.column_config.TextColumn(pinned=True)}
components.table(table[list(slo_views.STANDING)], height=height, column_config={
    **pinned,
    "alert": st.column_config.TextColumn(width=75),
    "budget": st.column_config.TextColumn(width=85),
    "burning since": st.column_config.TextColumn(width=200),
    "budget remaining %": st.column_config.ProgressColumn(min_value=0, max_value=100,
                                                          format="%.1f", color="blue",
                                                          width="small"),
})
st.markdown("**Objectives and compliance** (the window's figures)")
components.table(table[list(slo_views.COMPLIANCE)], height=height, column_config={
    **pinned,
    "availability %": st.column_config.NumberColumn(format="%.3f"),
    "objective %": st.column_config.NumberColumn(format="%.2f"),
    "latency compliance %": st.column_config.NumberColumn(format="%.2f"),
})
burns = [c for c in table if c.startswith("burn ")]
st.markdown("**Burn rates** (× the pace that spends the budget exactly over the window)")
components.table(table[["endpoint", *burns]], height=height, column_config={
    **pinned, **{c: st.column_config.NumberColumn(format="%.2f") for c in burns}})

names = [e["endpoint"] for e in slo["endpoints"]]
endpoint = filters.url_choice("endpoint", names, "Endpoint")
entry = next(e for e in slo["endpoints"] if e["endpoint"] == endpoint)
a, b, c, d = st.columns(4)
a.metric("Alert", present.alert_text(entry["alert"]), border=True,
         help="Rows fired: " + (", ".join(entry["fired"]) or "none"))
b.metric("Budget remaining", present.quantity(entry["budget_remaining"], "%"), border=True,
         delta=slo_views.budget_state(entry["budget_remaining"]), delta_color="off",
         delta_arrow="off")
c.metric("Availability", present.quantity(entry["availability"], "%"), border=True,
         delta=f"objective {present.number(entry['objective'], '%')} %", delta_color="off",
         delta_arrow="off")
hours, look = slo_views.exhaustion(entry)
d.metric("Budget spent in", slo_views.exhaustion_text(entry).split(" at the ")[0], border=True,
         delta=f"at the {look} rate" if hours else None, delta_color="off", delta_arrow="off",
         help="A paging endpoint: at its 1h burn rate, what it burns now. Otherwise at its "
              "1d burn rate.")
if entry.get("burning_since"):
    st.markdown(f"**{plain(endpoint)}** is burning budget (1h burn rate "
                f"{present.number(entry['burn_rates']['1h'])} > 1) since "
                f"**{present.since_text(entry['burning_since'], slo.get('at'))}**.")
else:
    st.caption(f"{plain(endpoint)} is not burning budget now (1h burn rate at or "
               "below 1, or no requests in the last hour).")

shown = components.plain_title(endpoint)
components.chart(charts.burn_rates(data.recent_burn_rates(endpoint), entry["thresholds"],
                                   f"Burn rate of {shown}, last 24 hours (all 7 look-backs)"),
                 key="slo-burn-day")
components.chart(charts.burn_rates(data.burn_rate_series(endpoint), entry["thresholds"],
                                   f"Burn rate of {shown}, last 7 days (hourly look-backs)"),
                 key="slo-burn")
left, right = st.columns(2)
with left:
    components.chart(charts.burndown(data.budget_burndown(endpoint),
                                     f"Error budget over the {entry['window_days']}-day window"),
                     key="slo-burndown")
with right:
    components.chart(charts.latency(data.latency_series(endpoint),
                                    "Latency, last 7 days: p95 against its objective; p99"),
                     key="slo-latency")

st.subheader("Notifications")
history = data.slo_notifications(endpoint)
if history.empty:
    st.caption(f"No alert-state change of {plain(endpoint)} has been notified "
               "yet: schedule `mlkpi slo notify --to URL` after each SLI import.")
else:
    components.table(history, column_config={
        "evaluated at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]")})
