"""The honest views in real Chromium: links keep their meaning, scope and running periods
are said, and no page (nor a note) makes the browser ask any host but the server.

Shares the session's sample store, server and Chromium with ``test_browser.py``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from browser_support import (
    BROWSER_MARKS,
    CHART,
    PAGES,
    PAGES_WITHOUT_CHARTS,
    TABLE,
    TILE,
    choose,
    options_of,
    pick,
    problems,
    sidebar_select_value,
    wait_rendered,
)

pytestmark = BROWSER_MARKS

SUMMARY = r"\d+ of \d+ KPIs"


def _wait(page, name: str, timeout: float = 120) -> None:
    if name in PAGES_WITHOUT_CHARTS:
        wait_rendered(page, 0, {TABLE: 1}, timeout=timeout)
    elif name == "scorecard":
        wait_rendered(page, 0, {TILE: 1}, [SUMMARY], timeout=timeout)
    else:
        wait_rendered(page, 1, timeout=timeout)


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def _title(page) -> str:
    return " ".join(page.locator("[data-testid=stMain] h1").first.inner_text().split())


def test_choosing_the_default_period_writes_it_and_a_cold_open_shows_it(dashboard,
                                                                        browser_context):
    from metrics.periods import parse_period

    latest = parse_period("latest").label  # what the first choice means today
    page = browser_context.new_page()
    page.goto(dashboard.url("/"))
    _wait(page, "scorecard")
    assert "period" not in _query(page) or _query(page)["period"] == "latest"
    assert latest in sidebar_select_value(page, "Period")  # 'Latest complete quarter (…)'
    choose(page, "Period", latest)
    page.wait_for_url(re.compile(rf"[?&]period={latest}(&|$)"), timeout=120_000)
    _wait(page, "scorecard")
    link = page.url

    cold = browser_context.browser.new_context().new_page()  # someone else, later
    cold.goto(link)
    _wait(cold, "scorecard")
    assert sidebar_select_value(cold, "Period") == latest
    assert _query(cold)["period"] == latest
    assert latest in cold.locator("[data-testid=stMain]").inner_text()
    cold.context.close()


def test_a_lower_case_period_in_a_link_is_accepted(dashboard, browser_context):
    page = browser_context.new_page()
    page.goto(dashboard.url("/quarterly?period=2026q2"))
    _wait(page, "quarterly")
    assert not problems(page)
    assert _title(page).startswith("Quarterly review — 2026Q2")
    assert sidebar_select_value(page, "Period") == "2026Q2"


def test_the_chosen_endpoint_survives_a_reload(dashboard, browser_context):
    page = browser_context.new_page()
    page.goto(dashboard.url("/slo"))
    _wait(page, "slo")
    box = page.locator('[data-testid=stMain] [data-testid=stSelectbox] '
                       'input[aria-label="Endpoint"]')
    first = box.input_value()
    other = next(o for o in options_of(page, box) if o != first)
    pick(page, box, other)
    page.wait_for_url(re.compile(rf"[?&]endpoint={re.escape(other)}(&|$)"), timeout=120_000)
    wait_rendered(page, 1, patterns=[re.escape(f"Burn rate of {other}")], timeout=120)
    page.reload()
    _wait(page, "slo")
    assert box.input_value() == other
    assert f"Burn rate of {other}" in page.locator("[data-testid=stMain]").inner_text()


def test_team_scope_labels_org_wide_kpis_and_leaves_them_out_of_the_count(
        dashboard, sample_store, browser_context):
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period

    report = kpi_report(sample_store, parse_period("2026Q3"), team="search")
    org_wide = {k["name"] for k in report["kpis"] if not k["team_filter_applied"]}
    assert org_wide, "precondition: some KPI has no team column"
    page = browser_context.new_page()
    page.goto(dashboard.url("/?period=2026Q3&team=search"))
    _wait(page, "scorecard")
    counted = len(report["kpis"]) - len(org_wide)
    assert re.search(rf"of {counted} KPIs on track", page.locator("h3").first.inner_text())
    for tile in page.locator(TILE).all():
        name = " ".join(tile.locator(".mk-name").inner_text().split())
        marked = tile.locator(".mk-scope").count() == 1
        assert marked == (name in org_wide), f"{name}: org-wide mark {marked}"
        if marked:
            assert tile.locator(".mk-scope").inner_text().strip() == "org-wide"


def test_a_running_period_says_to_date(dashboard, browser_context):
    from datetime import UTC, datetime

    from metrics.periods import period_containing

    running = period_containing(datetime.now(UTC), "quarter").label
    page = browser_context.new_page()
    page.goto(dashboard.url(f"/?period={running}"))
    _wait(page, "scorecard")
    assert sidebar_select_value(page, "Period") == f"{running} to date"
    assert _title(page) == "Scorecard — to date"
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "provisional" in text and "to date" in text
    page.goto(dashboard.url(f"/quarterly?period={running}"))
    _wait(page, "quarterly")
    assert _title(page) == f"Quarterly review — {running} to date"
    assert "none is counted as a change of status" in \
        page.locator("[data-testid=stMain]").inner_text()


def _outside(requests: list[str]) -> list[str]:
    return sorted({u for u in requests
                   if not u.startswith(("data:", "blob:", "about:"))
                   and urlsplit(u).hostname not in ("127.0.0.1",)})


def test_no_page_asks_any_host_but_the_server(dashboard, chromium):
    context = chromium.new_context()  # cold: favicon, fonts and scripts all fetched
    try:
        for name, path in PAGES.items():
            page = context.new_page()
            seen: list[str] = []
            page.on("request", lambda request, seen=seen: seen.append(request.url))
            page.goto(dashboard.url(path))
            _wait(page, name)
            page.wait_for_timeout(500)
            assert seen, name
            assert not _outside(seen), f"{name} asked other hosts: {_outside(seen)}"
            icons = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')]"
                                  ".map(l => l.href)")  # in the page: no request at all
            assert icons and all(i.startswith("data:image/png;base64,") for i in icons), icons
            page.close()
    finally:
        context.close()


def test_a_note_holding_a_remote_image_or_link_fetches_nothing(dashboard, sample_store,
                                                                chromium):
    from metrics.store.notes import add_note, notes_path

    trap = "http://198.51.100.7/pixel.png"  # TEST-NET-2: never a real host
    add_note(notes_path(sample_store), "cicd_coverage", "2026Q1", None, None,
             f"![x]({trap}) Eve", f"See ![chart]({trap}) and <img src='{trap}'> here.")
    context = chromium.new_context()
    try:
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        page.goto(dashboard.url("/quarterly?period=2026Q1"))
        wait_rendered(page, 1, patterns=[r"See !\[chart\]"], timeout=120)
        page.wait_for_timeout(500)
        assert not [u for u in seen if "198.51.100.7" in u], seen
        assert page.locator("[data-testid=stMain] img[src*='198.51.100.7']").count() == 0
    finally:
        context.close()


def test_the_scorecard_tiles_are_drawn_without_a_chart(dashboard, browser_context):
    page = browser_context.new_page()
    page.goto(dashboard.url("/?period=2026Q3"))
    _wait(page, "scorecard")
    assert page.locator(CHART).count() == 0
    from metrics.catalog import load_catalog

    assert page.locator(TILE).count() == len(load_catalog())
    names = [" ".join(n.split()) for n in page.locator(f"{TILE} .mk-name").all_inner_texts()]
    assert len(set(names)) == len(names), "two tiles read the same"


def test_the_copy_button_copies_the_views_link_and_loads_no_highlighter(dashboard, chromium):
    """The sidebar's Copy puts the view's link, period made explicit, on the clipboard;
    the page never loads Streamlit's code highlighter (1.5 MB of script that ``st.code``,
    the copy control before, brought into every page)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin=dashboard.url("/").rstrip("/"))
    try:
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        page.goto(dashboard.url("/slo?team=search"))
        _wait(page, "slo")
        box = page.locator("[data-testid=stSidebar] .mk-link-text")
        link = box.input_value()
        assert _query_of(link) == {"period": "latest", "team": "search"}
        assert link.startswith(dashboard.url("/slo?"))
        page.locator("[data-testid=stSidebar] .mk-copy").click()
        page.wait_for_function("document.querySelector('.mk-copy').textContent === 'Copied'",
                               timeout=10_000)
        assert page.evaluate("navigator.clipboard.readText()") == link
        assert not [u for u in seen if "SyntaxHighlighter" in u], "the highlighter loaded"
    finally:
        context.close()


def _query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
