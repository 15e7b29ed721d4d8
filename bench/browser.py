"""Dashboard render times in headless Chromium, for ``python -m bench``.

    from bench.browser import measure
    measure(Path("/tmp/mlkpi-bench/parquet.duckdb"), "2026Q4")

Starts the dashboard on ``db`` exactly as ``mlkpi serve`` does (its private
``.streamlit/config.toml``, a free port) and times, from navigation start (the page's own
clock) to *fully rendered* — the script has finished, the status widget is gone, no lazy
element is still loading, every expected chart is drawn, and for the scorecard the
one-line summary and every KPI tile are present:

* ``/`` and ``/quarterly?period=<period>``: one cold load (first after the server started,
  empty caches), then the median of 3 warm loads in the same browser context;
* 16 browser contexts loading ``/`` at the same moment: median and p95 of their times
  (fully rendered), and of the script-running span each browser saw (all 16 Chromium
  renderers share the machine's cores with the server, so this span is inflated);
* the server's own time: sessions opened over Streamlit's websocket protocol without a
  browser (``open_session``: socket opened → "script finished", the same work the server
  does for a browser, drawing excluded): one warm session per page, then 16 scorecard
  sessions at the same moment, SERVER_ROUNDS times a second apart, median and p95 over
  all of them. Each keeps its socket open until all 16 have finished, as browsers keep
  their page's session: a finished session's teardown is not in the others' time;
* the streamlit process's peak RSS (``VmHWM``).

Every wait has a timeout that fails with a sentence saying what was missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

_SUPPORT = Path(__file__).resolve().parent.parent / "tests" / "browser_support.py"

LOAD_TIMEOUT_S = 180.0  # one page on a large store, cold
CONCURRENT = 16
WARM_LOADS = 3
# Records when the app's script state changes (stApp data-test-script-state), to tell the
# server's share (script running) from the browser's (drawing) in the concurrent case.
OBSERVE_JS = """
window.__mlkpiScript = [];
new MutationObserver(() => {
  const s = document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state');
  const log = window.__mlkpiScript;
  if (s && (!log.length || log[log.length - 1][0] !== s)) log.push([s, performance.now()]);
}).observe(document, {subtree: true, childList: true, attributes: true});
"""
SERVER_ROUNDS = 6  # rounds of 16 simultaneous browserless sessions
ROUND_PAUSE_S = 1.0
ATTEMPTS = 5  # a load that shows an error is retried (and counted in "errors_seen")
RETRY_AFTER_S = 2.0


def _support():
    """``tests/browser_support.py`` (server, Chromium launch, the rendered predicate)."""
    name = "mlkpi_browser_support"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _SUPPORT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class BenchError(RuntimeError):
    """A dashboard measurement failed; the message says which page and what was missing."""


def measure(db: Path, period: str, timeout: float = LOAD_TIMEOUT_S) -> dict[str, float]:
    """Render times (seconds) and the server's peak memory (GB) for the dashboard on ``db``."""
    bs = _support()
    reason = bs.chromium_missing_reason()
    if reason:
        raise BenchError(f"cannot time the dashboard: {reason}")
    from metrics.catalog import load_catalog

    tiles = len(load_catalog())
    with bs.DashboardServer(Path(db), start_timeout=120) as server:
        try:
            out = asyncio.run(_measure(bs, server, period, tiles, timeout))
        except BenchError as exc:
            raise BenchError(f"{exc}\nserver log: {_exceptions(server.log_tail(10**7))}") from exc
        out["server_peak_gb"] = round(server.peak_rss_gb(), 3)
    return out


def measure_cold(db: Path, env: dict[str, str], timeout: float = LOAD_TIMEOUT_S) -> float:
    """Seconds to the scorecard fully rendered, first load after a start of a server run
    with ``env`` (``{"MLKPI_ANSWERS": "0"}``: every figure computed, nothing kept read)."""
    bs = _support()
    from metrics.catalog import load_catalog

    target = _targets(bs, len(load_catalog()))["scorecard"]
    with bs.DashboardServer(Path(db), start_timeout=120, env=env) as server:
        async def once() -> float:
            from playwright.async_api import async_playwright

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(bs.CHROMIUM),
                                                   headless=True, args=bs.LAUNCH_ARGS)
                try:
                    ctx = await browser.new_context(viewport=bs.VIEWPORT)
                    return await _load(bs, ctx, server.url("/"), target, timeout, "scorecard")
                finally:
                    await browser.close()
        return round(asyncio.run(once()), 3)


def _exceptions(log: str) -> str:
    """The distinct exception lines of a server log (Rich's colours removed)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    lines = sorted(set(re.findall(r"^\s*\w[\w.]*(?:Error|Exception): .*$", plain, re.M)))
    return "; ".join(" ".join(x.split()) for x in lines[:5]) or "no exception logged"


def _targets(bs: Any, tiles: int) -> dict[str, list]:
    """What 'fully rendered' means for each page (wait_rendered's arguments)."""
    return {
        # every KPI tile and the summary ("14 of 21 … on track"); no Plotly chart there
        "scorecard": bs.render_args(0, {bs.TILE: tiles}, [r"\d+ of \d+ KPIs"]),
        # the review table and the trend chart
        "quarterly": bs.render_args(1, {"[data-testid=stDataFrame]": 1}),
    }


async def _measure(bs: Any, server: Any, period: str, tiles: int,
                   timeout: float) -> dict[str, float]:
    from playwright.async_api import async_playwright

    targets = _targets(bs, tiles)
    urls = {"scorecard": server.url("/"),
            "quarterly": server.url(f"/quarterly?period={period}")}
    out: dict[str, float] = {}
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(bs.CHROMIUM), headless=True,
                                           args=bs.LAUNCH_ARGS)
        try:
            for name in ("scorecard", "quarterly"):
                ctx = await browser.new_context(viewport=bs.VIEWPORT)
                try:
                    times = [await _load(bs, ctx, urls[name], targets[name], timeout, name,
                                         errors=errors)
                             for _ in range(1 + WARM_LOADS)]
                finally:
                    await ctx.close()
                out[f"{name}_cold_s"] = round(times[0], 3)
                out[f"{name}_s"] = round(statistics.median(times[1:]), 3)
            times, script = await _concurrent(bs, browser, urls["scorecard"],
                                              targets["scorecard"], timeout, errors)
            out["concurrent16_median_s"] = round(statistics.median(times), 3)
            out["concurrent16_p95_s"] = round(_p95(times), 3)
            if script:  # script running, as the (CPU-contended) browsers saw it
                out["concurrent16_script_median_s"] = round(statistics.median(script), 3)
                out["concurrent16_script_p95_s"] = round(_p95(script), 3)
        finally:
            await browser.close()
    out.update(await _server_side(bs, server, urls, tiles, timeout))
    out["errors_seen"] = len(errors)
    if errors:
        print(f"[bench] {len(errors)} page loads showed an error and were retried; first: "
              f"{errors[0]}", file=sys.stderr, flush=True)
    return out


async def _load(bs: Any, ctx: Any, url: str, target: list, timeout: float, what: str,
                page: Any = None, errors: list[str] | None = None) -> float:
    """Open ``url`` (in a new tab unless ``page`` is given); seconds from navigation start
    to fully rendered. A load that shows an error is noted in ``errors`` and retried, up
    to ATTEMPTS loads in all."""
    for attempt in range(1, ATTEMPTS + 1):
        seconds, problem = await _load_once(bs, ctx, url, target, timeout, what, page)
        if problem is None:
            return seconds
        if errors is not None:
            errors.append(problem)
        if attempt == ATTEMPTS:
            raise BenchError(f"{problem} ({ATTEMPTS} attempts)")
        await asyncio.sleep(RETRY_AFTER_S)
    raise AssertionError("unreachable")


async def _load_once(bs: Any, ctx: Any, url: str, target: list, timeout: float, what: str,
                     page: Any = None) -> tuple[float, str | None]:
    own = page is None
    page = page or await ctx.new_page()
    try:
        try:
            await page.goto(url, timeout=timeout * 1000)
        except Exception as exc:
            raise BenchError(f"{what}: {url} did not load within {timeout:.0f} s: "
                             f"{str(exc).splitlines()[0]}") from exc
        try:
            handle = await page.wait_for_function(bs.rendered_predicate(True), arg=target,
                                                  timeout=timeout * 1000, polling=50)
        except Exception as exc:
            state = await _state(bs, page, target)
            raise BenchError(f"{what}: {url} not fully rendered within {timeout:.0f} s "
                             f"({state})") from exc
        value = await handle.json_value()
        if value == -1:
            return 0.0, f"{what}: {url} shows an error ({await _state(bs, page, target)})"
        return float(value) / 1000, None
    finally:
        if own:
            await page.close()


async def _state(bs: Any, page: Any, target: list) -> str:
    try:
        return bs.format_state(await page.evaluate(bs.DESCRIBE_JS, target), target)
    except Exception as exc:
        return f"page state unreadable: {str(exc).splitlines()[0]}"


async def _concurrent(bs: Any, browser: Any, url: str, target: list,
                      timeout: float, errors: list[str]) -> tuple[list[float], list[float]]:
    """``CONCURRENT`` new contexts (16 people) open ``url`` at the same moment."""
    contexts = [await browser.new_context(viewport=bs.VIEWPORT) for _ in range(CONCURRENT)]
    for c in contexts:
        await c.add_init_script(OBSERVE_JS)
    try:
        pages = [await c.new_page() for c in contexts]
        start = time.perf_counter()
        times = await asyncio.gather(*(
            _load(bs, c, url, target, timeout, f"concurrent session {i + 1}/{CONCURRENT}",
                  page=p, errors=errors)
            for i, (c, p) in enumerate(zip(contexts, pages, strict=True))))
        wall = time.perf_counter() - start
        if wall > timeout * 2:
            raise BenchError(f"{CONCURRENT} concurrent scorecards took {wall:.0f} s in all")
        script = [_script_seconds(await p.evaluate("window.__mlkpiScript || []")) for p in pages]
        script = [x for x in script if x is not None]
        return list(times), script
    finally:
        for c in contexts:
            await c.close()


async def _server_side(bs: Any, server: Any, urls: dict[str, str], tiles: int,
                       timeout: float) -> dict[str, float]:
    """The server's time per session without browsers (see the module's docstring)."""
    out: dict[str, float] = {}
    paths = {name: url[len(server.url("")):] for name, url in urls.items()}
    for name, path in paths.items():
        times = [_checked(await bs.open_session(server, path, timeout), name, tiles)
                 for _ in range(WARM_LOADS)]
        out[f"{name}_server_s"] = round(statistics.median(times), 3)
    times = []
    for _ in range(SERVER_ROUNDS):
        await asyncio.sleep(ROUND_PAUSE_S)  # each round starts on an idle server
        sessions = await bs.open_sessions(server, paths["scorecard"], CONCURRENT, timeout)
        times += [_checked(s, "scorecard", tiles) for s in sessions]
    out["concurrent16_server_median_s"] = round(statistics.median(times), 3)
    out["concurrent16_server_p95_s"] = round(_p95(times), 3)
    return out


def _checked(session: dict, name: str, tiles: int) -> float:
    """A browserless session's seconds, once it is known to have drawn the whole page."""
    problem = ("an error: " + "; ".join(session["errors"]) if session["errors"] else
               f"script status {session['status']}" if session["status"] else None)
    # the tiles are one HTML element (dashboard/tiles.py); its text holds every tile
    if name == "scorecard" and session.get("tiles", 0) != tiles:
        problem = problem or f"{session.get('tiles', 0)} of {tiles} KPI tiles"
    if name == "quarterly" and not session["elements"].get("dataframe"):
        problem = problem or "no review table"
    if problem:
        raise BenchError(f"{name} (session without a browser): {problem}")
    return session["seconds"]


def _script_seconds(log: list) -> float | None:
    """Seconds from the last 'running' to the following 'notRunning' state."""
    runs = [t for s, t in log if s == "running"]
    ends = [t for s, t in log if s == "notRunning" and runs and t > runs[-1]]
    return (ends[0] - runs[-1]) / 1000 if runs and ends else None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=20, method="inclusive")[-1]


if __name__ == "__main__":  # python -m bench.browser DB PERIOD
    import json

    print(json.dumps(measure(Path(sys.argv[1]), sys.argv[2]), indent=2))
