"""Quarterly review (`/quarterly`): every KPI of the quarter against target, last quarter and
last year; changed status first; trends; notes (folded, a page at a time); report download.
The chosen KPI is in the link (``kpi=cicd_coverage``)."""

import streamlit as st

from dashboard import charts, components, data, filters, notes_panel, report, tiles, views
from metrics import present
from metrics.periods import quarter_of

scope = filters.current()
quarter = quarter_of(scope.period)
q = quarter.label
kpis_report = data.kpi_report(quarter, scope.team, scope.tier)
running = kpis_report.get("complete") is False
components.page_head(f"Quarterly review — {q}" + (" to date" if running else ""),
                     scope.caption(kpis_report))
if quarter != scope.period:
    st.info(f"The review covers whole quarters: showing {q}, the quarter holding "
            f"{scope.period.label}.", icon="ℹ️")

quarters = data.kpi_series(quarter, 8, None, scope.team, scope.tier)
table = data.review_table(quarter, scope.team, scope.tier)
if data.quarter_closed(quarter, scope.team, scope.tier):  # the pack only when closed
    pack = data.review_pack(quarter, scope.team, scope.tier)
    table = report.with_closed_figures(table, pack.rows)
    st.info(f"{q} was closed {present.instant(pack.closed_at)} by {pack.closed_by}: the "
            "figures below and in the review pack are the closed ones.", icon="🔒")
    for row in pack.restated:
        st.warning(f"**{row.name}** restated: closed at "
                   f"{present.quantity(row.value, row.unit)}, now "
                   f"{present.quantity(row.recomputed, row.unit)} — {row.reason}.", icon="✏️")
marks = {k["id"]: tiles.scope_mark(k, scope) for k in kpis_report["kpis"]}
main, more = views.review_view(table, kpis_report, quarters, quarter.shift(-1).label,
                               quarter.shift(-4).label, marks)
changed = int((main["Changed"] != "").sum())  # never in a running quarter
if running:
    st.markdown(f"{q} is still running: every status is provisional, and none is counted "
                f"as a change of status against {quarter.shift(-1).label}.")
else:
    st.markdown(f"**{changed}** KPI{'s' if changed != 1 else ''} changed status since "
                f"{quarter.shift(-1).label} (listed first, marked ✱). Changes read in "
                "percentage points (pp) for a KPI in %, in % of the earlier value otherwise.")
components.freshness_banner(kpis_report, list(table["id"]))
# a static table: every row and every word shown (no scroll box, nothing cut), wrapping
# on a phone; the columns that matter first, the rest behind the expander
st.table(main.set_index("KPI"))
with st.expander("More columns: previous status, sample size, stale data, family"):
    st.table(more.set_index("KPI"))

st.subheader("Trend")
names = dict(zip(table["id"], table["KPI"], strict=False))
kpi_id = filters.url_choice("kpi", list(names), "KPI", format_func=names.get)
kpi = data.catalog()[kpi_id]
components.chart(charts.kpi_trend(quarters[quarters["kpi"] == kpi_id], name=kpi.name,
                                  unit=kpi.unit, target_kind=kpi.target.kind,
                                  op=kpi.target.op), key="quarterly-trend")
components.drill_down(filters.Scope(quarter, scope.team, scope.tier), kpi_id, kpi.name)

st.subheader("Notes")
notes = notes_panel.draw(q, scope, names)

st.subheader("Download")
st.caption("The review pack, the same as `mlkpi report`: summary, every KPI, a trend chart "
           "per KPI, notes and restatements. The PDF is A4.")
files = {"pdf": ("Report (PDF)", "application/pdf"),
         "html": ("Report (HTML, works offline)", "text/html"),
         "csv": ("Table (CSV, for Excel)", "text/csv")}
for column, (fmt, (label, mime)) in zip(st.columns(3), files.items(), strict=True):
    column.download_button(
        label, lambda fmt=fmt: data.review_file(quarter, scope.team, scope.tier, fmt),
        mime=mime, file_name=f"mlkpi-review-{q}.{fmt}", on_click="ignore",
        key=f"download-{fmt}")
