"""Quarterly review (`/quarterly`): every KPI of the quarter against target, last quarter and
last year; changed status first; trends; notes; report download."""

import streamlit as st

from dashboard import charts, components, data, filters, notes_panel, report
from metrics.periods import quarter_of

scope = filters.current()
quarter = quarter_of(scope.period)
q = quarter.label
st.title(f"Quarterly review — {q}")
if quarter != scope.period:
    st.info(f"The review covers whole quarters: showing {q}, the quarter holding "
            f"{scope.period}.", icon="ℹ️")

kpis_report = data.kpi_report(quarter, scope.team, scope.tier)
quarters = data.kpi_series(quarter, 8, None, scope.team, scope.tier)
table = data.review_table(quarter, scope.team, scope.tier)
components.scope_caption(scope, kpis_report)
changed = int(table["_changed"].sum())
st.markdown(f"**{changed}** KPI{'s' if changed != 1 else ''} changed status since "
            f"{quarter.shift(-1).label} (listed first). QoQ and YoY are changes in % of "
            f"the value against {quarter.shift(-1).label} and {quarter.shift(-4).label}.")
components.freshness_banner(kpis_report, list(table["id"]))
components.table(
    table.drop(columns=["_changed", "id", "Family"]),
    column_config={
        "Value": st.column_config.NumberColumn(format="%.4g"),
        "QoQ %": st.column_config.NumberColumn(format="%+.1f"),
        "YoY %": st.column_config.NumberColumn(format="%+.1f"),
        "Stale": st.column_config.CheckboxColumn(),
    })

st.subheader("Trend")
names = dict(zip(table["id"], table["KPI"], strict=False))
kpi_id = st.selectbox("KPI", list(names), format_func=names.get, key="quarterly-kpi")
kpi = data.catalog()[kpi_id]
components.chart(charts.kpi_trend(quarters[quarters["kpi"] == kpi_id], name=kpi.name,
                                  unit=kpi.unit, target_kind=kpi.target.kind,
                                  op=kpi.target.op), key="quarterly-trend")
components.drill_down(filters.Scope(quarter, scope.team, scope.tier), kpi_id, kpi.name)

st.subheader("Notes")
notes = notes_panel.draw(q, scope, names)

st.subheader("Download")
title = f"ML KPI review {q} — {scope.words}"


def _html() -> str:
    figures = [charts.kpi_trend(quarters[quarters["kpi"] == k.id], name=k.name, unit=k.unit,
                                target_kind=k.target.kind, op=k.target.op)
               for k in data.catalog().values()]
    return report.review_html(table, figures, notes, title=title, scope=scope.words)


left, right = st.columns(2)
left.download_button("Report (HTML, works offline)", _html, mime="text/html",
                     file_name=f"mlkpi-review-{q}.html", on_click="ignore")
right.download_button("Table (CSV)", report.review_csv(table, q, scope.words),
                      mime="text/csv", file_name=f"mlkpi-review-{q}.csv", on_click="ignore")
