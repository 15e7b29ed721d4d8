"""The dashboard through Streamlit's AppTest: every page on a sample store and on an empty
one, scope from the query string (checked against the engines), bad values, notes."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import threading
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import data, server_tuning, warmup
from dashboard.filters import period_options
from dashboard.slo_views import slo_table
from metrics import compact, present
from metrics.catalog import load_catalog
from metrics.ingest.run import ingest
from metrics.kpi import report as kpi_engine
from metrics.kpi.report import kpi_report
from metrics.periods import parse_period
from metrics.sample import generate
from metrics.slo import report as slo_engine
from metrics.slo import series as slo_series
from metrics.slo.report import slo_report
from metrics.store import health
from metrics.store.db import writer
from metrics.store.notes import notes_for

warnings.filterwarnings("ignore", message=".*Pandas4Warning.*")

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ["scorecard", "quarterly", "slo", "incidents", "delivery", "cost", "platform", "org",
         "catalog", "data"]
WORK_WITHOUT_DATA = {"catalog", "data"}
TITLES = {"scorecard": "Scorecard", "quarterly": "Quarterly review", "slo": "SLO burn",
          "incidents": "Incidents & drift", "delivery": "Delivery", "cost": "Cost",
          "platform": "Platform & governance", "org": "Org health", "catalog": "KPI catalog",
          "data": "Data health"}


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    db = root / "mlkpi.duckdb"
    for path in generate(root / "files", seed=42, scale="small",
                         as_of=datetime.now(UTC).date()):
        result = ingest(db, path.name.split(".")[0], [str(path)])
        assert result.exit_code == 0, (path.name, result.file_errors, result.errors[:3])
    return db


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("empty") / "mlkpi.duckdb"
    with writer(db):
        pass
    return db


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Caches are shared across AppTest instances: start each test clean; notes in tmp."""
    st.cache_data.clear()
    monkeypatch.setenv("MLKPI_WARMUP", "0")  # pages compute cold; the warm-up is tested below
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    monkeypatch.delenv("MLKPI_READ_MEMORY", raising=False)  # app.py sets it: undone after
    monkeypatch.setenv("MLKPI_NOTES", str(tmp_path / "notes.sqlite"))
    yield
    st.cache_data.clear()


def run(db: Path, page: str = "scorecard", monkeypatch: pytest.MonkeyPatch | None = None,
        **query: str) -> AppTest:
    """Open `page` of the app over `db` with `query` in the URL, as a cold link would."""
    if monkeypatch is not None:
        monkeypatch.setenv("MLKPI_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    if page != "scorecard":
        at.switch_page(f"app_pages/{page}.py")  # the first run opens this page, cold
    at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def default_period(db: Path) -> str:
    oldest, newest = health.event_span(db)
    return period_options(oldest, newest, datetime.now(UTC))[1]


def page_head(at: AppTest) -> list[str]:
    """[title, caption, headline] as a reader sees them: from the one Markdown element
    ``components.page_head`` draws (Markdown escapes and the caption's style removed), or
    the title of a page without a scope."""
    if at.title:
        return [at.title[0].value]
    for element in at.markdown:
        if element.value.startswith("# "):
            parts = element.value.split("\n\n")
            caption = re.sub(r"\\(.)", r"\1", parts[1].removeprefix(":gray[:small[")[:-2])
            return [parts[0].removeprefix("# "), caption,
                    *(p.removeprefix("### ") for p in parts[2:])]
    return []


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# --- every page renders -------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_sample_store(page: str, sample_db: Path, monkeypatch) -> None:
    at = run(sample_db, page, monkeypatch)
    assert_clean(at)
    assert page_head(at)[0].startswith(TITLES[page])
    if page == "scorecard":  # tiles with sparklines, no Plotly chart
        assert len(tiles_of(at)) == len(load_catalog()) and not at.get("plotly_chart")
    else:
        assert at.get("plotly_chart"), "every other page draws at least one Plotly chart"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_store(page: str, empty_db: Path, monkeypatch) -> None:
    at = run(empty_db, page, monkeypatch)
    assert_clean(at)
    assert page_head(at)[0].startswith(TITLES[page])
    if page not in WORK_WITHOUT_DATA:
        assert any("No events yet" in i.value for i in at.info)


@pytest.mark.parametrize("page", ["scorecard", "slo", "data"])
def test_page_renders_without_any_store(page: str, tmp_path: Path, monkeypatch) -> None:
    at = run(tmp_path / "nothing.duckdb", page, monkeypatch)
    assert_clean(at)
    assert any("No events yet" in i.value for i in at.info)
    assert not (tmp_path / "nothing.duckdb").exists()  # the dashboard never creates a store


# --- scope from the URL -------------------------------------------------------------------

def test_default_period_is_latest_complete_quarter_with_data(sample_db, monkeypatch) -> None:
    at = run(sample_db, monkeypatch=monkeypatch)
    assert at.selectbox(key="period").value == "latest"  # the live first choice
    # and what it means today, in the scope's caption
    assert page_head(at)[1].startswith(f"{default_period(sample_db)} (")
    assert parse_period(default_period(sample_db)).end <= datetime.now(UTC)


def tiles_of(at: AppTest) -> dict[str, dict[str, str]]:
    """The scorecard's tiles from its one HTML block: name -> value, status, scope mark."""
    body = "".join(e.proto.body for e in at.get("html"))
    out = {}
    for block in body.split('<div class="mk-tile"')[1:]:
        def part(cls: str, text: str = block) -> str:
            found = re.search(rf'class="{cls}">(.*?)</', text)
            return html.unescape(found[1]) if found else ""
        out[part("mk-name")] = {"value": part("mk-value"), "status": part("mk-status"),
                                "target": part("mk-target"), "scope": part("mk-scope")}
    return out


def _tile(at: AppTest, name: str) -> str:
    return tiles_of(at)[name]["value"]


@pytest.mark.parametrize("query", [
    {}, {"team": "search"}, {"tier": "1"}, {"team": "search", "tier": "1"},
    {"period": "previous-quarter"}, {"period": "month"},
])
def test_scorecard_shows_the_engine_values_for_the_scope(query, sample_db, monkeypatch) -> None:
    period = parse_period(default_period(sample_db))
    if query.get("period") == "previous-quarter":
        query = {**query, "period": period.shift(-1).label}
    elif query.get("period") == "month":
        query = {**query, "period": parse_period(f"{period.start:%Y-%m}").shift(1).label}
    at = run(sample_db, monkeypatch=monkeypatch, **query)
    assert_clean(at)
    shown = query.get("period", period.label)
    assert at.selectbox(key="period").value == query.get("period", "latest")
    tier = int(query["tier"]) if "tier" in query else None
    expected = kpi_report(sample_db, parse_period(shown), query.get("team"), tier)
    tiles = tiles_of(at)
    for kpi in expected["kpis"]:
        tile = tiles[kpi["name"]]
        assert tile["value"] == compact.compact(kpi["value"], kpi["unit"]), kpi["id"]
        assert tile["status"] == present.status_text(kpi["status"]), kpi["id"]
        assert tile["target"] == "target " + present.kpi_target(kpi["target"], kpi["unit"])
        org_wide = query.get("team") and not kpi["team_filter_applied"]
        all_tiers = tier and not kpi["tier_filter_applied"]
        assert tile["scope"] == ("org-wide" if org_wide else "all tiers" if all_tiers
                                 else ""), kpi["id"]
    counted = [k for k in expected["kpis"]
               if not (query.get("team") and not k["team_filter_applied"])
               and not (tier and not k["tier_filter_applied"])]
    good = sum(k["status"] in ("ahead", "on_track") for k in counted)
    assert page_head(at)[2].startswith(f"{good} of {len(counted)} KPIs")


def test_team_filter_changes_the_numbers(sample_db, monkeypatch) -> None:
    org = run(sample_db, monkeypatch=monkeypatch)
    team = run(sample_db, monkeypatch=monkeypatch, team="search")
    name = "Cost per 1k inferences"
    assert _tile(org, name) != _tile(team, name)


def test_quarterly_table_matches_engine(sample_db, monkeypatch) -> None:
    quarter = parse_period(default_period(sample_db)).shift(-1)
    at = run(sample_db, "quarterly", monkeypatch, period=quarter.label, team="search")
    assert_clean(at)
    assert quarter.label in page_head(at)[0]
    table = at.table[0].value
    expected = kpi_report(sample_db, quarter, "search", None)
    values = {name.removesuffix(" [org-wide]"): value
              for name, value in zip(table.index, table["Value"], strict=True)}
    for kpi in expected["kpis"]:
        assert values[kpi["name"]] == present.quantity(kpi["value"], kpi["unit"]), kpi["id"]
    trend = chart_specs(at)[0]
    assert any(trace.get("name") == "target" for trace in trend["data"])


def test_slo_lists_the_engines_endpoints_worst_first(sample_db, monkeypatch) -> None:
    at = run(sample_db, "slo", monkeypatch, tier="1")
    assert_clean(at)
    expected = slo_report(sample_db, tier=1)["endpoints"]
    standing, compliance, burns = (at.dataframe[i].value for i in range(3))
    for table in (standing, compliance, burns):  # three tables, rows in the same order
        assert list(table["endpoint"]) == [e["endpoint"] for e in expected]
    assert set(compliance["tier"]) == {1}
    assert list(burns.columns) == ["endpoint", *(f"burn {w}" for w in expected[0]["burn_rates"])]
    assert len(standing.columns) + len(compliance.columns) + len(burns.columns) - 2 == len(
        slo_table(slo_report(sample_db, tier=1)).columns)  # every column shown once
    assert len(at.get("plotly_chart")) == 4  # burn 24 h and 7 days, budget, latency


@pytest.mark.parametrize("page", PAGES)
def test_bad_query_values_fall_back_with_a_notice(page, sample_db, monkeypatch) -> None:
    at = run(sample_db, page, monkeypatch, period="2026Q9", team="nobody", tier=";--")
    assert_clean(at)
    assert at.selectbox(key="period").value == "latest"
    assert at.selectbox(key="team").value == "all"
    assert at.selectbox(key="tier").value == "all"
    notices = " ".join(w.value for w in at.warning)
    assert "'2026Q9' is not a period" in notices and "'nobody' is not a known team" in notices
    assert "the tier in the link is not a tier" in notices  # never echoes odd text


def test_markdown_in_a_bad_value_is_not_echoed(sample_db, monkeypatch) -> None:
    at = run(sample_db, monkeypatch=monkeypatch, team="[x](javascript:alert(1))")
    assert all("javascript" not in w.value for w in at.warning)


# --- notes --------------------------------------------------------------------------------

def test_a_note_added_on_the_quarterly_page_is_stored_and_listed(
        sample_db, monkeypatch, tmp_path) -> None:
    at = run(sample_db, "quarterly", monkeypatch)
    at.selectbox(key="note-kpi").set_value("cicd_coverage")
    at.text_area(key="note-text").input("New pipeline rolled out")
    at.button(key="note-add").click()
    at.run()
    assert_clean(at)
    stored = notes_for(tmp_path / "notes.sqlite", default_period(sample_db))
    assert [(n["kpi"], n["author"], n["text"]) for n in stored] == [
        ("cicd_coverage", "local user", "New pipeline rolled out")]
    assert any("New pipeline rolled out" in t.value for t in at.text)  # plain text
    assert at.text_area(key="note-text").value == ""  # the form is emptied after the save


# --- pure: the period choices ----------------------------------------------------------

def test_period_options_default_to_latest_complete_quarter_with_data() -> None:
    oldest, newest = datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 11, 21, 23, tzinfo=UTC)
    labels, default = period_options(oldest, newest, datetime(2026, 11, 22, tzinfo=UTC))
    assert default == "2026Q3"
    assert labels[:7] == ["2026Q4", "2026Q3", "2026Q2", "2026Q1", "2025Q4", "2025Q3", "2025Q2"]
    assert "2026-11" in labels and "2025-04" in labels and "2026-W47" in labels
    # data that stopped long ago: its own last quarter, not an empty recent one
    _, old_default = period_options(oldest, datetime(2025, 5, 10, tzinfo=UTC),
                                    datetime(2026, 11, 22, tzinfo=UTC))
    assert old_default == "2025Q2"


# --- the warm-up after an ingest -------------------------------------------------------

def test_warmup_caches_every_engine_call_of_the_default_views(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("MLKPI_DB", str(sample_db))
    warmup.warm()

    def not_warmed(*args, **kwargs):
        raise AssertionError("an engine was called: the warm-up missed this view")

    for module, name in [(kpi_engine, "kpi_report"), (kpi_engine, "kpi_series"),
                         (slo_engine, "slo_report"), (slo_series, "burn_rate_series"),
                         (slo_series, "budget_burndown"), (slo_series, "latency_series")]:
        monkeypatch.setattr(module, name, not_warmed)
    for page in ("scorecard", "quarterly", "slo"):
        assert_clean(run(sample_db, page, monkeypatch))


def test_warmup_does_the_scorecard_first_and_the_rest_after_a_quiet_spell(
        sample_db, monkeypatch) -> None:
    """The scorecard's figures are warmed at once; the quarterly review's and the SLO
    charts' only once no page has been drawn for a while (they would share the cores with
    the person opening a link)."""
    monkeypatch.setenv("MLKPI_DB", str(sample_db))
    seen: list[str] = []
    for name in ("kpi_report", "kpi_series", "scorecard", "review_table",
                 "slo_report", "latency_series"):
        real = getattr(data, name)
        monkeypatch.setattr(data, name, lambda *a, real=real, name=name, **k:
                            seen.append(name) or real(*a, **k))
    monkeypatch.setattr(server_tuning, "wait_quiet",
                        lambda quiet, patience: seen.append(f"quiet {quiet}") or True)
    warmup.warm()
    waits = [i for i, name in enumerate(seen) if name.startswith("quiet")]
    assert len(waits) == 2 and seen[waits[0]] == f"quiet {warmup.QUIET_S}"
    assert {"kpi_report", "kpi_series", "scorecard"} <= set(seen[:waits[0]])
    assert "review_table" not in seen[:waits[0]] and "review_table" in seen[waits[0]:]
    assert "latency_series" in seen[waits[1]:] and "latency_series" not in seen[:waits[1]]


def _fresh_warmup(monkeypatch, tmp_path: Path, warm) -> Path:
    """A fake store (only its snapshot file is stat-ed) and a fresh warm-up state."""
    db = tmp_path / "w.duckdb"
    db.with_name("w.duckdb.snapshot").write_bytes(b"x")
    monkeypatch.setenv("MLKPI_DB", str(db))
    monkeypatch.setenv("MLKPI_WARMUP", "1")
    monkeypatch.setattr(warmup, "_state",
                        {"checked": float("-inf"), "warmed": None, "running": False})
    monkeypatch.setattr(warmup, "CHECK_EVERY", 0.0)
    monkeypatch.setattr(warmup, "warm", warm)
    return db


def test_warmup_runs_once_per_snapshot(monkeypatch, tmp_path: Path) -> None:
    release, calls = threading.Event(), []
    db = _fresh_warmup(monkeypatch, tmp_path,
                       lambda stamp=None: calls.append(stamp) or release.wait(5))
    first = warmup.maybe_start()
    assert first is not None and first.daemon
    assert warmup.maybe_start() is None  # one thread at a time
    release.set()
    first.join(5)
    assert warmup.maybe_start() is None  # this snapshot is warm already
    snapshot = db.with_name("w.duckdb.snapshot")
    os.utime(snapshot, (snapshot.stat().st_atime, snapshot.stat().st_mtime + 10))  # an ingest
    second = warmup.maybe_start()
    assert second is not None
    second.join(5)
    assert len(calls) == 2 and calls[0] != calls[1]


def test_a_failing_warmup_never_breaks_anything(monkeypatch, tmp_path: Path) -> None:
    def broken(stamp=None):
        raise RuntimeError("store gone")

    _fresh_warmup(monkeypatch, tmp_path, broken)
    thread = warmup.maybe_start()
    thread.join(5)
    assert not thread.is_alive() and warmup._state["running"] is False


def test_tiles_take_each_kpis_periods_in_order_and_skip_missing_values() -> None:
    from dashboard import views

    series = pd.DataFrame({
        "kpi": ["a", "b", "a", "a", "b"],
        "period": ["2026Q3", "2026Q3", "2026Q1", "2026Q2", "2026Q2"],
        "period_start": pd.to_datetime(["2026-07-01", "2026-07-01", "2026-01-01",
                                        "2026-04-01", "2026-04-01"]),
        "value": [3.0, 7.0, 1.0, float("nan"), 5.0]})
    report = {"kpis": [{"id": "a", "value": 3.0}, {"id": "b", "value": 7.0},
                       {"id": "c", "value": None}]}
    facts = views.tiles(report, series)
    assert {k: {f: v[f] for f in ("spark", "delta", "previous")} for k, v in facts.items()} == {
        "a": {"spark": [1.0, 3.0], "delta": None, "previous": "2026Q2"},  # Q2 is missing
        "b": {"spark": [5.0, 7.0], "delta": 2.0, "previous": "2026Q2"},
        "c": {"spark": [], "delta": None, "previous": None}}


def test_dashboard_caps_the_memory_of_its_duckdb_read_connections(sample_db) -> None:
    """app.py sets $MLKPI_READ_MEMORY (data.cap_read_memory); connect_read applies it (a
    fresh process: the first connection of a process configures DuckDB's instance)."""
    code = ("import dashboard.data, sys; from pathlib import Path; "
            "dashboard.data.cap_read_memory(); "
            "from metrics.store.db import connect_read; "
            "con = connect_read(Path(sys.argv[1])); "
            "print(con.execute(\"SELECT current_setting('memory_limit')\").fetchall()[0][0])")
    env = {k: v for k, v in os.environ.items() if k != "MLKPI_READ_MEMORY"}
    out = subprocess.run([sys.executable, "-c", code, str(sample_db)], env=env,
                         cwd=Path(APP).parent.parent, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "488.2 MiB", out  # 512MB (DuckDB prints MiB)
    bad = subprocess.run([sys.executable, "-c", code, str(sample_db)],
                         env={**env, "MLKPI_READ_MEMORY": "1GB'; SELECT 1; --"},
                         cwd=Path(APP).parent.parent, capture_output=True, text=True)
    assert bad.returncode != 0 and "is not a size like" in bad.stderr


def test_the_first_run_freezes_what_is_loaded_so_later_collections_skip_it(
        sample_db, monkeypatch) -> None:
    import gc

    from dashboard import server_tuning

    monkeypatch.setattr(server_tuning, "_frozen", set())
    assert_clean(run(sample_db, "scorecard", monkeypatch))
    assert "first run" in server_tuning._frozen and gc.get_freeze_count() > 0
    assert server_tuning.freeze_startup() is False  # once per process


def test_a_run_makes_the_server_hand_the_gil_over_quickly(sample_db, monkeypatch) -> None:
    """The dashboard's runs set the short switch interval (see
    ``server_tuning.quick_switches``); the test process gets its own default back
    afterwards."""
    import sys

    from dashboard import server_tuning

    default = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        assert_clean(run(sample_db, "scorecard", monkeypatch))
        assert sys.getswitchinterval() == pytest.approx(server_tuning.SWITCH_INTERVAL_S)
    finally:
        sys.setswitchinterval(default)


def test_with_the_tuning_switched_off_a_run_leaves_the_interpreter_alone(
        sample_db, monkeypatch) -> None:
    """MLKPI_SERVER_TUNING=0: the page is the same, but no switch interval, no freeze."""
    import gc
    import sys

    from dashboard import server_tuning

    monkeypatch.setenv("MLKPI_SERVER_TUNING", "0")
    monkeypatch.setattr(server_tuning, "_frozen", set())
    default = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        gc.unfreeze()
        at = run(sample_db, "scorecard", monkeypatch)
        assert_clean(at)
        assert page_head(at)[0] == "Scorecard" and tiles_of(at)
        assert sys.getswitchinterval() == pytest.approx(0.005)
        assert server_tuning._frozen == set() and gc.get_freeze_count() == 0
    finally:
        sys.setswitchinterval(default)


def test_the_page_head_is_one_element_with_the_caption_shown_as_typed() -> None:
    """Title, caption and headline are one message to the browser; a team name holding
    Markdown stays inside the caption's style and is shown as typed (no image, no link,
    no colour)."""
    def app() -> None:
        from dashboard import components

        components.page_head("Scorecard", "2026Q3 · ]] :red[x] ![i](http://h/p.png)",
                             "12 of 18 KPIs on track or ahead")

    at = AppTest.from_function(app)
    at.run()
    assert len(at.main.children) == 1 and len(at.markdown) == 1
    body = at.markdown[0].value
    assert body.startswith("# Scorecard\n\n:gray[:small[") and body.endswith(
        "\n\n### 12 of 18 KPIs on track or ahead")
    caption = body.split("\n\n")[1]
    assert caption.count("]]") == 1 and caption.endswith("]]")  # nothing closes it early
    assert "![" not in caption and "](" not in caption and ":red[" not in caption
    assert page_head(at) == ["Scorecard", "2026Q3 · ]] :red[x] ![i](http://h/p.png)",
                             "12 of 18 KPIs on track or ahead"]
