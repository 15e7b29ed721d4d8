"""The dashboard in a real browser (headless Debian Chromium driven by Playwright).

One Streamlit server per session, started like ``mlkpi serve`` (its private
``.streamlit/config.toml``), on the small sample store (seed 42, as of 2026-11-22).

* every page of ``dashboard.md`` renders its charts (or tables) without an exception, and
  is screenshotted to ``test-artifacts/screenshots/<page>.png`` (1400×1000 viewport);
* shared links opened cold in a new browser context show their scope, with numbers that
  match the engine;
* changing a filter writes the URL, and sidebar navigation keeps the scope;
* bad values in a link give a notice and the default view;
* sessions opened without a browser (Streamlit's websocket protocol, as the benchmark
  times the server) get the whole scorecard;
* ``MLKPI_UPDATE_DOCS=1`` copies the scorecard and SLO screenshots to ``docs/``.

    python -m pytest tests/test_browser.py -q
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    BROWSER_MARKS,
    CHART,
    METRIC,
    PAGES,
    PAGES_WITHOUT_CHARTS,
    ROOT,
    TABLE,
    TILE,
    choose,
    full_page_screenshot,
    problems,
    sessions,
    sidebar_select_value,
    wait_rendered,
    warnings_on,
)

pytestmark = BROWSER_MARKS

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs"

# The page names of dashboard.md's table: each page's title starts with its name.
TITLES = {
    "scorecard": "Scorecard", "quarterly": "Quarterly review", "slo": "SLO burn",
    "incidents": "Incidents & drift", "delivery": "Delivery", "cost": "Cost",
    "platform": "Platform & governance", "org": "Org health", "catalog": "KPI catalog",
    "data": "Data health",
}
SCORECARD_DONE = r"\d+ of \d+"  # the one-line summary ("14 of 21 on track")
TEAM = "search"
PERIOD = "2026Q3"

_shot_this_session: set[str] = set()


@pytest.fixture
def tab(warm_context):
    """A new tab in the session's warm browser context, closed after the test."""
    page = warm_context.new_page()
    yield page
    page.close()


def open_page(where, dashboard, path: str, name: str | None = None, timeout: float = 60):
    """Open ``path`` in ``where`` (a page, or a context to open a new tab in) and wait
    until it is fully drawn."""
    page = where.new_page() if hasattr(where, "new_page") else where
    page.goto(dashboard.url(path))
    wait_for(page, name or _name_of(path), timeout)
    return page


def wait_for(page, name: str, timeout: float = 60) -> float:
    if name in PAGES_WITHOUT_CHARTS:
        return wait_rendered(page, 0, {TABLE: 1}, timeout=timeout)
    if name == "scorecard":
        return wait_rendered(page, 0, {TILE: 1}, [SCORECARD_DONE], timeout=timeout)
    return wait_rendered(page, 1, timeout=timeout)


def _name_of(path: str) -> str:
    bare = urlsplit(path).path.strip("/")
    return bare or "scorecard"


def title_of(page) -> str:
    return " ".join(page.locator("[data-testid=stMain] h1").first.inner_text().split())


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def assert_clean(page) -> None:
    found = problems(page)
    assert not found, f"{page.url} shows an error: {found}"


def number_in(text: str) -> float | None:
    """The number a tile or cell shows ('1,234.5 USD' -> 1234.5; '–' -> None)."""
    m = re.search(r"[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?", text)
    return None if m is None else float(m.group(0).replace(",", "").replace("−", "-"))


def close_enough(shown: float, value: float) -> bool:
    """As close as a value rounded by ``metrics.present.number`` can be: 3 significant
    digits below 1 (half a unit of the third is at most 0.5 % of the value), 2 decimals
    from 1, none from 1,000."""
    tol = 5e-3 * abs(value) if abs(value) < 1 else max(5e-4 * abs(value), 0.0051)
    return math.isclose(shown, value, abs_tol=tol + 1e-12)


def engine_report(db: Path, period: str, team: str | None = None, tier: int | None = None):
    from metrics.kpi.report import kpi_report
    from metrics.periods import parse_period

    return kpi_report(db, parse_period(period), team=team, tier=tier)


def first_table_rows(page, max_rows: int = 12) -> list[dict[str, str]]:
    """The visible rows of the page's first table, by column header: a static table's
    cells, or a dataframe's (glide's accessible grid mirrors the canvas)."""
    static = page.locator("[data-testid=stTable] table").first
    if static.count():
        headers = [" ".join(h.split()) for h in static.locator("thead th").all_inner_texts()]
        return [dict(zip(headers, tr.locator("th, td").all_inner_texts(), strict=False))
                for tr in static.locator("tbody tr").all()[:max_rows]]
    grid = page.locator("[data-testid=stDataFrame]").first.locator("table[role=grid]")
    # glide fills its accessible grid after drawing the canvas: wait for the headers
    for part in ("th[role=columnheader]", "tbody tr[role=row]"):
        grid.locator(part).first.wait_for(state="attached", timeout=30_000)
    headers = [" ".join(h.split()) for h in grid.locator("th[role=columnheader]").all_inner_texts()]
    rows = []
    for tr in grid.locator("tbody tr[role=row]").all()[:max_rows]:
        cells = tr.locator("td[role=gridcell]").all_inner_texts()
        rows.append(dict(zip(headers, cells, strict=False)))
    return rows


# --- 1. every page renders ---------------------------------------------------------------

@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_without_errors(name, dashboard, tab):
    page = open_page(tab, dashboard, PAGES[name], name)
    assert_clean(page)
    assert title_of(page).startswith(TITLES[name]), (
        f"{PAGES[name]} shows the page titled {title_of(page)!r}, not {TITLES[name]!r} "
        f"(an unknown path falls back to the default page)")
    charts = page.locator(CHART).count()
    tables = page.locator(TABLE).count()
    if name in PAGES_WITHOUT_CHARTS:
        assert charts + tables >= 1, f"{name}: neither a chart nor a table"
    elif name != "scorecard":
        assert charts >= 1, f"{name}: no Plotly chart (.js-plotly-plot)"
    if name == "scorecard":
        sparklines = page.locator(f"{TILE} img.mk-spark").count()
        assert sparklines >= 1, "no tile draws its sparkline"
        tiles = page.locator(TILE).count()
        from metrics.catalog import load_catalog

        assert tiles == len(load_catalog()), f"{tiles} KPI tiles for {len(load_catalog())} KPIs"
    full_page_screenshot(page, SCREENSHOTS / f"{name}.png")
    _shot_this_session.add(name)
    assert_clean(page)  # still clean after the resize for the screenshot


# --- 2. shared links opened cold ---------------------------------------------------------

def test_shared_quarterly_link_shows_its_scope(dashboard, sample_store, browser_context):
    page = open_page(browser_context, dashboard, f"/quarterly?period={PERIOD}&team={TEAM}")
    assert_clean(page)
    assert sidebar_select_value(page, "Period") == PERIOD
    assert sidebar_select_value(page, "Team") == TEAM
    assert sidebar_select_value(page, "Tier") == "All tiers"
    assert PERIOD in title_of(page)
    assert TEAM in main_text(page), "the page does not name the team it is scoped to"
    assert query(page).get("team") == TEAM, f"the link lost its team: {page.url}"

    report = engine_report(sample_store, PERIOD, team=TEAM)
    by_name = {k["name"]: k for k in report["kpis"]}
    rows = first_table_rows(page)
    assert rows and "KPI" in rows[0] and "Value" in rows[0], f"review table: {rows[:1]}"
    checked = 0
    for row in rows:
        kpi = by_name.get(row["KPI"].removesuffix(" [org-wide]"))
        assert kpi is not None, f"{row['KPI']!r} is not a KPI of the engine's report"
        shown = number_in(row["Value"])
        if kpi["value"] is None:
            assert shown is None, f"{row['KPI']}: shows {row['Value']!r}, engine has no value"
            continue
        assert shown is not None and close_enough(shown, kpi["value"]), (
            f"{row['KPI']}: page shows {row['Value']!r}, engine says {kpi['value']!r} for "
            f"{PERIOD}, team {TEAM}")
        checked += 1
    assert checked >= 3, f"only {checked} values could be compared: {rows}"


def test_shared_scorecard_link_matches_engine(dashboard, sample_store, browser_context):
    scoped = engine_report(sample_store, PERIOD, team=TEAM)
    whole = engine_report(sample_store, PERIOD)
    differs = [k["name"] for k, w in zip(scoped["kpis"], whole["kpis"], strict=True)
               if k["value"] != w["value"]]
    assert differs, "precondition: the team's values should differ from the org's"

    page = open_page(browser_context, dashboard, f"/?period={PERIOD}&team={TEAM}")
    assert_clean(page)
    assert sidebar_select_value(page, "Team") == TEAM
    tiles = {}
    for tile in page.locator(TILE).all():
        name = tile.locator(".mk-name").inner_text().strip()
        tiles[" ".join(name.split())] = tile.locator(".mk-value").inner_text().strip()
    wrong = []
    for kpi in scoped["kpis"]:
        assert kpi["name"] in tiles, f"no tile for {kpi['name']}; tiles: {sorted(tiles)}"
        shown = number_in(tiles[kpi["name"]])
        value = kpi["value"]
        ok = shown is None if value is None else (shown is not None
                                                  and close_enough(shown, value))
        if not ok:
            wrong.append(f"{kpi['name']}: shows {tiles[kpi['name']]!r}, engine {value!r}")
    assert not wrong, "tiles differ from the engine's report for team " + TEAM + ":\n" + \
        "\n".join(wrong)


def test_shared_slo_link_shows_its_scope(dashboard, sample_store, browser_context):
    from metrics.slo.report import slo_report

    page = open_page(browser_context, dashboard, f"/slo?team={TEAM}&tier=1")
    assert_clean(page)
    assert sidebar_select_value(page, "Team") == TEAM
    assert sidebar_select_value(page, "Tier") == "1"
    assert query(page) == {"team": TEAM, "tier": "1"}, page.url
    text = main_text(page)
    assert TEAM in text and "tier 1" in text, "the page does not say its scope"

    engine = slo_report(sample_store, team=TEAM, tier=1)
    assert engine["endpoints"], "precondition: search has tier-1 endpoints"
    everyone = slo_report(sample_store)
    others = {e["endpoint"] for e in everyone["endpoints"]} - {
        e["endpoint"] for e in engine["endpoints"]}
    shown_endpoint = page.locator("[data-testid=stMain] [data-testid=stSelectbox] "
                                  "input[aria-label=Endpoint]").input_value()
    assert shown_endpoint == engine["endpoints"][0]["endpoint"], (
        f"first endpoint shown {shown_endpoint!r}, engine's worst in scope "
        f"{engine['endpoints'][0]['endpoint']!r}")
    leaked = sorted(e for e in others if e in text)
    assert not leaked, f"endpoints outside team {TEAM}, tier 1 shown: {leaked[:5]}"
    remaining = engine["endpoints"][0]["budget_remaining"]
    budget = page.locator(METRIC).filter(has_text="Budget remaining")
    shown = number_in(budget.locator("[data-testid=stMetricValue]").inner_text())
    if remaining is None:
        assert shown is None
    else:
        assert shown is not None and close_enough(shown, remaining), (shown, remaining)


# --- 3. filters write the URL; navigation keeps it ----------------------------------------

def test_filter_change_updates_url_and_survives_navigation(dashboard, sample_store,
                                                           browser_context, tab):
    from metrics.store.health import team_names

    other = next(t for t in team_names(sample_store) if t != TEAM)
    page = open_page(tab, dashboard, f"/?period=2026Q2&team={TEAM}")
    choose(page, "Team", other)
    page.wait_for_url(re.compile(rf"[?&]team={re.escape(other)}(&|$)"), timeout=15_000)
    # the URL changes at once; the rerun follows: wait until the page names the new team
    wait_rendered(page, 0, {TILE: 1}, [SCORECARD_DONE, re.escape(f"· {other}")], timeout=60)
    assert_clean(page)
    assert query(page) == {"period": "2026Q2", "team": other}, page.url

    page.locator("[data-testid=stSidebarNav] a", has_text=TITLES["slo"]).click()
    page.wait_for_url(re.compile(r"/slo\b"), timeout=15_000)
    # the title starts a line (a "not signed in" marker may come before it)
    wait_rendered(page, 1, patterns=[rf"(^|\n){TITLES['slo']}"], timeout=60)
    assert_clean(page)
    assert query(page) == {"period": "2026Q2", "team": other}, (
        f"sidebar navigation lost the scope: {page.url}")
    assert sidebar_select_value(page, "Team") == other
    assert sidebar_select_value(page, "Period") == "2026Q2"

    # the copied URL, opened cold by someone else (a new context), shows the same scope
    cold = browser_context.new_page()
    cold.goto(page.url)
    wait_for(cold, "slo")
    assert_clean(cold)
    assert sidebar_select_value(cold, "Team") == other
    assert sidebar_select_value(cold, "Period") == "2026Q2"
    assert title_of(cold).startswith(TITLES["slo"])


# --- 4. bad values: a notice and the default view ------------------------------------------

@pytest.mark.parametrize("path, field", [
    ("/?period=2026Q9", "Period"),
    ("/?tier=';--", "Tier"),
    ("/slo?team=no-such-team", "Team"),
])
def test_bad_link_value_gives_notice_and_default(path, field, dashboard, tab):
    defaults = default_filters(tab, dashboard)

    page = open_page(tab, dashboard, path)
    assert_clean(page)
    notices = warnings_on(page)
    assert notices, f"{path}: no notice (st.warning) about the bad value"
    assert any("default" in n.lower() for n in notices), notices
    assert "';--" not in " ".join(notices), "the raw bad value is echoed back"
    shown = {f: sidebar_select_value(page, f) for f in ("Period", "Team", "Tier")}
    assert shown == defaults, f"{path}: filters {shown}, default view has {defaults}"
    assert title_of(page).startswith(TITLES[_name_of(path)])
    drawn = TILE if _name_of(path) == "scorecard" else CHART  # tiles there, charts elsewhere
    assert page.locator(drawn).count() >= 1, "the default view did not render its figures"


_defaults: dict[str, str] = {}


def default_filters(tab, dashboard) -> dict[str, str]:
    """The filters of the default view (``/`` without a query), read once per session."""
    if not _defaults:
        page = open_page(tab, dashboard, "/")
        notices = [w for w in warnings_on(page) if "default" in w]
        assert not notices, f"the default view already warns: {notices}"
        _defaults.update({f: sidebar_select_value(page, f) for f in ("Period", "Team", "Tier")})
    return dict(_defaults)


# --- 5. README screenshots -------------------------------------------------------------------

@pytest.mark.skipif(os.environ.get("MLKPI_UPDATE_DOCS") != "1",
                    reason="set MLKPI_UPDATE_DOCS=1 to copy screenshots to docs/")
def test_update_readme_screenshots(dashboard, tab):
    DOCS.mkdir(exist_ok=True)
    for name, target in (("scorecard", "scorecard.png"), ("slo", "slo.png")):
        shot = SCREENSHOTS / f"{name}.png"
        if name not in _shot_this_session or not shot.exists():  # run alone: take it now
            page = open_page(tab, dashboard, PAGES[name], name)
            assert_clean(page)
            full_page_screenshot(page, shot)
        shutil.copyfile(shot, DOCS / target)
        assert (DOCS / target).stat().st_size > 10_000


def test_sessions_without_browser_get_the_whole_scorecard(dashboard):
    """The benchmark's server-side figure counts only sessions that drew every tile."""
    from metrics.catalog import load_catalog

    for session in sessions(dashboard, "/", 4, timeout=120):
        assert session["status"] == 0 and not session["errors"], session
        assert session["tiles"] == len(load_catalog()), session
        assert not session["elements"].get("plotly_chart"), session  # tiles only
        assert session["seconds"] > 0
    quarterly = sessions(dashboard, f"/quarterly?period={PERIOD}", 1)[0]
    assert quarterly["status"] == 0 and not quarterly["errors"], quarterly
    assert quarterly["elements"].get("dataframe"), quarterly
