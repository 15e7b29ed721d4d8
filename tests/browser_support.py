"""Helpers for driving the real dashboard in headless Chromium (tests and ``bench/browser.py``).

* ``build_sample_store(folder)``: the small sample (seed 42, as of 2026-11-22), ingested
  kind by kind through the real ingest path.
* ``DashboardServer(db)``: ``streamlit run dashboard/server.py`` in a private folder holding the
  same ``.streamlit/config.toml`` that ``mlkpi serve`` writes
  (``metrics.cli.serve.streamlit_config``), on a free port, with ``MLKPI_DB``;
  ready when ``/_stcore/health`` answers ``ok``.
* ``launch_chromium(playwright)``: Debian's ``/usr/bin/chromium`` (never ``playwright install``).
* ``wait_rendered(page, …)``: the script has finished (``stApp`` script state ``notRunning``),
  the status widget is gone, and the expected charts/selectors are present.
* ``open_sessions(server, path, n)`` (``sessions`` from sync code): n sessions over
  Streamlit's websocket protocol, without a browser.
* ``problems(page)``: exception elements, ``st.error`` notices, a "Traceback" text.

The pytest fixtures at the end (imported by ``tests/conftest.py`` for every test module)
share one sample store, one server and one Chromium per session. The helpers work without
pytest, so ``bench/browser.py`` uses them too. (PYTEST_DONT_REWRITE: the test modules
import the helpers before pytest loads the module as a plugin; it has no asserts anyway.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "server.py"  # what `mlkpi serve` runs (metrics.cli.serve.APP)
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1000}
AS_OF = date(2026, 11, 22)

# page name -> stable path (dashboard.md); the first is the default page served at `/`.
PAGES: dict[str, str] = {
    "scorecard": "/", "quarterly": "/quarterly", "slo": "/slo", "incidents": "/incidents",
    "delivery": "/delivery", "cost": "/cost", "platform": "/platform", "org": "/org",
    "catalog": "/catalog", "data": "/data",
}
PAGES_WITHOUT_CHARTS = {"catalog", "data"}  # may show tables only

STATUS_WIDGET = "[data-testid=stStatusWidget]"
CHART = ".js-plotly-plot"
EXCEPTION = "[data-testid=stException]"
ERROR = "[data-testid=stAlertContentError]"
WARNING = "[data-testid=stAlertContentWarning]"
TABLE = "[data-testid=stDataFrame], [data-testid=stTable], table"
METRIC = "[data-testid=stMetric]"
TILE = ".mk-tile"  # a scorecard tile (dashboard/tiles.py draws them as one HTML block)


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium); never `playwright install`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    return None


# --- the store ---------------------------------------------------------------------------

def build_sample_store(folder: Path, as_of: date = AS_OF) -> Path:
    """Generate the small sample into ``folder/sample`` and ingest every kind into a store."""
    from metrics.ingest.run import ingest
    from metrics.sample import generate

    folder.mkdir(parents=True, exist_ok=True)
    files = generate(folder / "sample", seed=42, scale="small", as_of=as_of)
    db = folder / "mlkpi.duckdb"
    for path in sorted(files):
        kind = path.name.split(".")[0]
        result = ingest(db, kind, [str(path)])
        if result.exit_code:
            raise RuntimeError(f"sample {kind} did not ingest cleanly: "
                               f"{(result.file_errors or result.errors)[:2]}")
    return db


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server --------------------------------------------------------------------------

class ServerError(RuntimeError):
    """The dashboard server did not start or died; the message carries its log tail."""


class DashboardServer:
    """The dashboard served as ``mlkpi serve`` serves it, on a free port.

    ``with DashboardServer(db) as server: page.goto(server.url("/slo"))``
    """

    def __init__(self, db: Path, config: Path | None = None, address: str = "127.0.0.1",
                 start_timeout: float = 90.0, env: dict[str, str] | None = None,
                 host: str | None = None) -> None:
        self.db = Path(db).resolve()
        self.config = config
        self.address = address
        self.host = host or address  # the name browsers use (sign-in needs "localhost")
        self.env = env or {}
        self.start_timeout = start_timeout
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.run_dir: Path | None = None
        self._log = None

    # lifecycle
    def __enter__(self) -> DashboardServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from metrics.cli.serve import streamlit_config

        self.port = free_port()
        self.run_dir = Path(tempfile.mkdtemp(prefix="mlkpi-browser-"))
        (self.run_dir / ".streamlit").mkdir()
        (self.run_dir / ".streamlit" / "config.toml").write_text(
            streamlit_config(self.port, self.address, []))
        env = dict(os.environ, MLKPI_DB=str(self.db), PYTHONUNBUFFERED="1", **self.env)
        env.pop("MLKPI_CONFIG", None)
        if self.config is not None:
            env["MLKPI_CONFIG"] = str(Path(self.config).resolve())
        self._log = open(self.run_dir / "server.log", "w+b")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP)],
            cwd=self.run_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"streamlit exited with {self.proc.returncode} before it "
                                  f"was ready:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/_stcore/health"), timeout=2) as r:
                    body = r.read().decode(errors="replace").strip()
                    if r.status == 200 and body == "ok":
                        return
                    last = f"HTTP {r.status} {body[:80]!r}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.25)
        self.stop()
        raise ServerError(f"streamlit did not answer /_stcore/health with 'ok' within "
                          f"{self.start_timeout:.0f} s (last: {last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    # facts
    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 4000) -> str:
        if self._log is None:
            return "(no log)"
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        self._log.seek(0, os.SEEK_END)
        return text[-chars:]

    def save_log(self, path: Path) -> Path:
        """Copy the server's whole log to ``path`` (e.g. under test-artifacts/)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.log_tail(10**9))
        return path

    def peak_rss_gb(self) -> float:
        """Peak resident set (VmHWM) of the streamlit process, in GB (2**30 bytes)."""
        return _vm_hwm_kb(self.pid) / 2**20


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


# --- sessions without a browser ----------------------------------------------------------

async def open_session(server: DashboardServer, path: str = "/", timeout: float = 180.0,
                       finished: Any = None) -> dict[str, Any]:
    """Open one dashboard session the way the browser's Streamlit client does, without a
    browser: a websocket on ``/_stcore/stream``, one "rerun script" request for ``path``
    (``/quarterly?period=2026Q4``), then read the server's messages until "script
    finished". Returns ``seconds`` (from opening the socket to "script finished": what
    this person waits for the server, the browser's drawing excluded), ``status`` (0 =
    finished successfully), ``elements`` ({'html': 1, …}), ``tiles`` (scorecard tiles
    drawn) and ``errors`` (exception
    and st.error texts). The server does exactly what it does for a browser.

    With ``finished`` (an ``open_sessions`` tally), the socket stays open until every
    session of the tally has finished, as a browser keeps its page's session open."""
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page, _, query = path.partition("?")
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = page.strip("/")
    elements: dict[str, int] = {}
    errors: list[str] = []
    tiles = 0
    url = f"ws://{server.address}:{server.port}/_stcore/stream"
    start = time.perf_counter()
    async with asyncio.timeout(timeout), websockets.connect(
            url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout) as ws:
        await ws.send(back.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                name = element.WhichOneof("type")
                elements[name] = elements.get(name, 0) + 1
                if name == "exception":
                    errors.append(_short(f"{element.exception.type}: "
                                         f"{element.exception.message}"))
                elif name == "alert" and element.alert.format == 1:  # Alert.ERROR
                    errors.append(_short(element.alert.body))
                elif name == "html":
                    tiles += element.html.body.count('class="mk-tile"')
            elif kind == "script_finished":
                seconds = time.perf_counter() - start
                if finished is not None:
                    await finished.one_done()
                return {"seconds": seconds,
                        "status": int(msg.script_finished), "elements": elements,
                        "errors": errors, "tiles": tiles}


class _Tally:
    """Sessions of one burst: each waits, socket open, until all ``n`` have finished."""

    def __init__(self, n: int) -> None:
        import asyncio

        self.left = n
        self.all_done = asyncio.Event()

    async def one_done(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.all_done.set()
        await self.all_done.wait()


async def open_sessions(server: DashboardServer, path: str, n: int,
                        timeout: float = 180.0) -> list[dict[str, Any]]:
    """``n`` sessions opening ``path`` at the same moment (``open_session`` each). Like
    ``n`` people with the page open, each keeps its session until all have their page:
    a finished session's teardown is not counted in the time of those still waiting."""
    import asyncio

    tally = _Tally(n)
    return list(await asyncio.gather(*(open_session(server, path, timeout, tally)
                                       for _ in range(n))))


def sessions(server: DashboardServer, path: str, n: int,
             timeout: float = 180.0) -> list[dict[str, Any]]:
    """``open_sessions`` from synchronous code, in a thread of its own (Playwright's sync
    API keeps an event loop running in the test's thread)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, open_sessions(server, path, n, timeout)).result()


# --- the browser -------------------------------------------------------------------------

def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=LAUNCH_ARGS, **kwargs)


def new_context(browser: Any) -> Any:
    return browser.new_context(viewport=VIEWPORT)


# True-ish (performance.now(): ms since navigation start) once the page is fully drawn.
RENDERED_JS = """
([minCharts, selectors, patterns]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stStatusWidget]')) return false;
  // lazy elements (charts, tables) show a skeleton until their code has loaded
  if (document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')) return false;
  const plots = document.querySelectorAll('.js-plotly-plot').length;
  if (plots < minCharts) return false;
  if (plots < document.querySelectorAll('[data-testid=stPlotlyChart]').length) return false;
  for (const [sel, n] of selectors) {
    if (document.querySelectorAll(sel).length < n) return false;
  }
  if (patterns.length) {
    const text = document.querySelector('[data-testid=stMain]')?.innerText ?? '';
    for (const p of patterns) if (!new RegExp(p).test(text)) return false;
  }
  return performance.now() || 1;
}
"""

PROBLEM_JS = """
() => document.querySelector('[data-testid=stException]') !== null
      || document.querySelector('[data-testid=stAlertContentError]') !== null
"""


class RenderTimeout(AssertionError):
    """The page did not reach the rendered state in time; says what was missing."""


def rendered_predicate(stop_on_problem: bool = True) -> str:
    """The JS predicate for ``wait_for_function``; with ``stop_on_problem`` an exception
    element or ``st.error`` also ends the wait (returning -1) so the caller reports it at
    once instead of waiting for charts that never come."""
    if not stop_on_problem:
        return RENDERED_JS
    return (f"(args) => ({RENDERED_JS})(args) || ("
            f"document.querySelector('[data-testid=stApp]')?.getAttribute("
            f"'data-test-script-state') === 'notRunning' && ({PROBLEM_JS})() && -1)")


def render_args(min_charts: int, selectors: Iterable[tuple[str, int]] | dict[str, int] = (),
                patterns: Iterable[str] = ()) -> list:
    sel = list(selectors.items()) if isinstance(selectors, dict) else list(selectors)
    return [min_charts, [list(x) for x in sel], list(patterns)]


def wait_rendered(page: Any, min_charts: int = 0,
                  selectors: Iterable[tuple[str, int]] | dict[str, int] = (),
                  patterns: Iterable[str] = (), timeout: float = 60.0,
                  stop_on_problem: bool = True) -> float:
    """Wait until the script finished, the status widget is gone, no lazy element is still
    loading, at least ``min_charts`` Plotly charts, each ``(selector, count)`` and each
    regular expression ``patterns`` (on the main area's text) are present.

    Returns the seconds from the page's navigation start to that moment (in the page's own
    clock), or -1 when it stopped on a problem.
    """
    args = render_args(min_charts, selectors, patterns)
    try:
        handle = page.wait_for_function(rendered_predicate(stop_on_problem), arg=args,
                                        timeout=timeout * 1000, polling=100)
    except Exception as exc:  # playwright TimeoutError, or the page went away
        raise RenderTimeout(f"{page.url} not rendered within {timeout:.0f} s "
                            f"({describe_state(page, args)}): "
                            f"{str(exc).splitlines()[0]}") from exc
    value = handle.json_value()
    return -1.0 if value == -1 else float(value) / 1000


DESCRIBE_JS = """([minCharts, sels, patterns]) => {
    const app = document.querySelector('[data-testid=stApp]');
    const text = document.querySelector('[data-testid=stMain]')?.innerText ?? '';
    return {
        script: app?.getAttribute('data-test-script-state') ?? 'no stApp',
        conn: app?.getAttribute('data-test-connection-state') ?? '?',
        status: document.querySelector('[data-testid=stStatusWidget]') !== null,
        skeletons: document.querySelectorAll('[data-testid=stSkeleton]').length,
        charts: document.querySelectorAll('.js-plotly-plot').length,
        chartSlots: document.querySelectorAll('[data-testid=stPlotlyChart]').length,
        counts: sels.map(([s, n]) => [s, document.querySelectorAll(s).length, n]),
        absent: patterns.filter(p => !new RegExp(p).test(text)),
        problem: document.querySelector('[data-testid=stException], '
                                        + '[data-testid=stAlertContentError]')
                 ?.innerText?.slice(0, 200) ?? null,
    };
}"""


def format_state(state: dict, args: list) -> str:
    """One line from ``DESCRIBE_JS``'s answer: what the page shows and what is missing."""
    missing = [f"{s} {have}/{want}" for s, have, want in state["counts"] if have < want]
    missing += [f"text /{p}/" for p in state["absent"]]
    return (f"script {state['script']}, connection {state['conn']}, status widget "
            f"{'shown' if state['status'] else 'gone'}, {state['skeletons']} loading, "
            f"charts {state['charts']} of {state['chartSlots']} (want ≥ {args[0]})"
            + (f", missing {'; '.join(missing)}" if missing else "")
            + (f", problem: {' '.join(state['problem'].split())}" if state["problem"] else ""))


def describe_state(page: Any, args: list) -> str:
    """One line on what the page shows now (for timeout messages)."""
    try:
        return format_state(page.evaluate(DESCRIBE_JS, args), args)
    except Exception as exc:
        return f"page state unreadable: {str(exc).splitlines()[0]}"


def problems(page: Any) -> list[str]:
    """Exception elements, st.error notices and 'Traceback' text on the page, in words."""
    found: list[str] = []
    for loc in page.locator(EXCEPTION).all():
        found.append("exception element: " + _short(loc.inner_text()))
    for loc in page.locator(ERROR).all():
        found.append("st.error: " + _short(loc.inner_text()))
    body = page.locator("body").inner_text()
    if "Traceback" in body:
        found.append("'Traceback' in the page text")
    return found


def warnings_on(page: Any) -> list[str]:
    return [_short(loc.inner_text()) for loc in page.locator(WARNING).all()]


def _short(text: str, n: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def sidebar_select(page: Any, label: str) -> Any:
    """The combobox input of the sidebar selectbox labelled ``label`` (e.g. 'Team')."""
    return page.locator(f'[data-testid=stSidebar] [data-testid=stSelectbox] '
                        f'input[aria-label="{label}"]')


def sidebar_select_value(page: Any, label: str) -> str:
    """The value shown by the sidebar selectbox labelled ``label`` (e.g. '2026Q3')."""
    return sidebar_select(page, label).input_value(timeout=10_000)


def choose(page: Any, label: str, option: str, timeout: float = 15.0) -> None:
    """Pick ``option`` in the sidebar selectbox ``label`` the way a person does."""
    pick(page, sidebar_select(page, label), option, timeout)


def options_of(page: Any, box: Any, timeout: float = 15.0) -> list[str]:
    """The options of the selectbox whose input is ``box``, as its open list shows them
    (opened with the retries of ``pick``, then shut again)."""
    listed = page.get_by_role("option")
    for attempt in range(3):
        box.click(timeout=timeout * 1000)
        try:
            listed.first.wait_for(timeout=timeout * 1000 / 3)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    texts = [t.strip() for t in listed.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def pick(page: Any, box: Any, option: str, timeout: float = 15.0) -> None:
    """Pick ``option`` in the selectbox whose input is ``box``: click it, type the
    option's name (which filters the list) and click the option. A click that lands
    while the page is still being drawn leaves the list shut; the next try opens it."""
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        box.click(timeout=timeout * 1000)
        box.fill(option, timeout=timeout * 1000)
        try:
            choice.click(timeout=timeout * 1000 / 3)
            return
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def full_page_screenshot(page: Any, path: Path, max_height: int = 12_000) -> None:
    """Streamlit scrolls inside ``stMain``, so ``full_page`` alone gives one screen: grow
    the viewport to the content height, shoot, and restore it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    height = page.evaluate("""() => {
        const m = document.querySelector('[data-testid=stMain]');
        const s = document.querySelector('[data-testid=stSidebarContent]');
        return Math.max(m ? m.scrollHeight : 0, s ? s.scrollHeight : 0,
                        document.documentElement.scrollHeight);
    }""")
    try:
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(height, max_height)})
            page.wait_for_timeout(400)  # let Plotly's responsive charts relayout
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)


@contextlib.contextmanager
def timed() -> Any:
    """``with timed() as t: …``; then ``t()`` is the elapsed seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


# --- pytest fixtures (imported by tests/conftest.py) -------------------------------------------

try:
    import pytest
except ImportError:  # the benchmark runs without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def sample_store(tmp_path_factory: Any) -> Path:
        """The small sample store (seed 42, as of 2026-11-22), built once per session.
        Read-only for tests: copy it (``copy_store``) before ingesting more."""
        return build_sample_store(tmp_path_factory.mktemp("browser-store"))

    @pytest.fixture(scope="session")
    def dashboard(sample_store: Path) -> Any:
        """One dashboard server on the sample store for the whole session."""
        server = DashboardServer(sample_store)
        server.start()
        yield server
        server.stop()

    @pytest.fixture(scope="session")
    def chromium() -> Any:
        reason = chromium_missing_reason()
        if reason:
            pytest.skip(reason)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            yield browser
            browser.close()

    @pytest.fixture(scope="session")
    def warm_context(chromium: Any) -> Any:
        """One browser context shared by tests that need no cold start: its HTTP and code
        caches stay warm (a fresh context parses Plotly's bundle again, ~1–2 s here)."""
        ctx = new_context(chromium)
        ctx.set_default_timeout(30_000)
        yield ctx
        ctx.close()

    @pytest.fixture
    def browser_context(chromium: Any) -> Any:
        """A fresh browser context (no cookies, no session) at 1400×1000."""
        ctx = new_context(chromium)
        ctx.set_default_timeout(30_000)
        yield ctx
        ctx.close()


def copy_store(db: Path, folder: Path) -> Path:
    """Copy a store (live file and its read snapshot) into ``folder``; returns the new path."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in db.parent.glob(db.name + "*"):
        if path.is_file() and not path.name.endswith(".lock"):
            shutil.copy2(path, folder / path.name)
    return folder / db.name


# every browser test module: `pytestmark = BROWSER_MARKS`
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None,
                       reason=chromium_missing_reason() or ""),
]
