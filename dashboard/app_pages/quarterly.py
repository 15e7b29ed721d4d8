"""Quarterly review (`/quarterly`): every KPI of the quarter against target, last quarter and
last year; changed status first; trends; notes (folded, a page at a time); report download.
The chosen KPI is in the link (``kpi=cicd_coverage``)."""

import streamlit as st

from dashboard import charts, components, data, filters, report, tiles, views
from metrics import present
from metrics.periods import quarter_of
from metrics.store.notes import NoteError

NOTES_PER_PAGE = 10

scope = filters.current()
quarter = quarter_of(scope.period)
q = quarter.label
kpis_report = data.kpi_report(quarter, scope.team, scope.tier)
running = kpis_report.get("complete") is False
st.title(f"Quarterly review — {q}" + (" to date" if running else ""))
if quarter != scope.period:
    st.info(f"The review covers whole quarters: showing {q}, the quarter holding "
            f"{scope.period.label}.", icon="ℹ️")

quarters = data.kpi_series(quarter, 8, None, scope.team, scope.tier)
table = data.review_table(quarter, scope.team, scope.tier)
components.scope_caption(scope, kpis_report)
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
notes = data.notes_for(quarter, scope.team, scope.tier)
pages = max(1, -(-len(notes) // NOTES_PER_PAGE))
if len(notes) > NOTES_PER_PAGE:
    page = st.number_input(f"{len(notes)} notes, {NOTES_PER_PAGE} a page — page", 1, pages,
                           1, key="notes-page")
else:
    page = 1
for note in notes[(page - 1) * NOTES_PER_PAGE: page * NOTES_PER_PAGE]:
    with st.container(border=True):
        st.markdown(f"**{components.plain(names.get(note['kpi'], note['kpi']))}** — "
                    f"{components.plain(note['text'])}")
        st.caption(f"{components.plain(note['author'])}, {present.instant(note['written_at'])}"
                   + (f" · {note['versions']} versions" if note["versions"] > 1 else ""))
        with st.expander("History and edit"):
            for version in data.note_history(note["id"]):
                st.caption(f"v{version['version']} · {components.plain(version['author'])} · "
                           f"{present.instant(version['written_at'])}: "
                           f"{components.plain(version['text'])}")
            with st.form(f"edit-note-{note['id']}", clear_on_submit=True):
                author = st.text_input("Your name", max_chars=80)
                text = st.text_area("New text", value=note["text"], max_chars=5000)
                if st.form_submit_button("Save new version"):
                    try:
                        data.edit_note(note["id"], author, text)
                        st.rerun()
                    except NoteError as exc:
                        st.warning(str(exc))
if not notes:
    st.caption(f"No notes for {q} in this scope yet.")
with st.form("add-note", clear_on_submit=True):
    st.markdown(f"Add a note to {q} ({components.plain(scope.words)})")
    note_kpi = st.selectbox("KPI", list(names), format_func=names.get, index=None,
                            key="note-kpi")
    author = st.text_input("Your name", max_chars=80, key="note-author")
    text = st.text_area("Note", max_chars=5000, key="note-text")
    if st.form_submit_button("Add note", key="note-add"):
        if note_kpi is None:
            st.warning("Pick the KPI the note is about.")
        else:
            try:
                data.add_note(note_kpi, quarter, scope.team, scope.tier, author, text)
                st.rerun()
            except NoteError as exc:
                st.warning(str(exc))

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
