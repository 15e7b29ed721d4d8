"""Scorecard (`/`): every KPI as a tile, grouped by the blueprint's five families.

For the executive opening a link: the one-line summary, what needs attention (the
off-track KPIs, worst first, each with its reason), then per tile the value, the status in
words and colour, the target, the change its status is judged on and a sparkline coloured
by status. The tiles are one block of HTML (``dashboard.tiles``): no chart library, one
element, so the page draws in a fraction of the time 21 metric charts took."""

import streamlit as st

from dashboard import components, data, filters

scope = filters.current()
page = data.scorecard(scope.period, scope.team, scope.tier)
components.page_head(page.title, page.caption, page.headline)
if page.stale:
    st.warning(page.stale, icon="⏳")
st.html(page.html)
