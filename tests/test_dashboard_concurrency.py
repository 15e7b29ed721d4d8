"""The dashboard keeps working while ``mlkpi ingest`` writes (reliability.md's test).

``mlkpi ingest team FILE`` runs in a loop (a few new teams each time) as a separate process,
while four browser sessions keep loading ``/`` and ``/data``: zero errors, and after each
ingest returns, the first fresh page load shows the new teams (the
dashboard's caches are keyed on the snapshot's mtime, so it should be at once).

    python -m pytest tests/test_dashboard_concurrency.py -q
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from browser_support import (
    BROWSER_MARKS,
    ROOT,
    DashboardServer,
    copy_store,
    new_context,
    problems,
    sidebar_select_value,
    wait_rendered,
    warnings_on,
)

pytestmark = BROWSER_MARKS

INGESTS = 4
SESSIONS = 4
GIVE_UP_S = 120.0  # a load on a loaded 2-core machine can take tens of seconds
PATHS = ["/data", "/"]


class Ingest:
    """One ``mlkpi ingest team FILE`` process; ``done_at`` is when it returned."""

    def __init__(self, db: Path, csv_file: Path) -> None:
        self.cmd = [sys.executable, "-m", "metrics.cli", "--db", str(db), "ingest", "team",
                    str(csv_file)]
        self.done_at: float | None = None
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        self.output = self.proc.communicate()[0]
        self.done_at = time.monotonic()

    @property
    def running(self) -> bool:
        return self.done_at is None

    def join(self, timeout: float = 120) -> int:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"ingest still running after {timeout} s"
        return self.proc.returncode


def write_teams(folder: Path, i: int) -> tuple[Path, list[str]]:
    names = [f"conc-{i}-{j}" for j in range(3)]
    path = folder / f"team-{i}.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["team", "area", "lead"])
        for name in names:
            out.writerow([name, "applied", f"lead of {name}"])
    return path, names


def test_ingest_while_sessions_read(sample_store, chromium, tmp_path):
    db = copy_store(sample_store, tmp_path / "store")
    errors: list[str] = []
    delays: list[tuple[int, float]] = []
    loads = 0
    with DashboardServer(db) as server:
        contexts = [new_context(chromium) for _ in range(SESSIONS)]
        pages = [c.new_page() for c in contexts]
        probe_ctx = new_context(chromium)
        try:
            def round_of_loads(n: int) -> None:
                """All sessions navigate at once, then each is waited for and checked."""
                nonlocal loads
                for k, page in enumerate(pages):
                    page.goto(server.url(PATHS[(n + k) % len(PATHS)]), wait_until="commit")
                for page in pages:
                    wait_rendered(page, 0, {"[data-testid=stSidebar] input[aria-label=Team]": 1},
                                  timeout=60)
                    found = problems(page)
                    found += [w for w in warnings_on(page) if "error" in w.lower()]
                    errors.extend(f"{page.url}: {f}" for f in found)
                    loads += 1

            round_of_loads(0)
            for i in range(1, INGESTS + 1):
                csv_file, names = write_teams(tmp_path, i)
                ingest = Ingest(db, csv_file)
                n = 0
                while ingest.running or n == 0:  # read while the writer writes
                    round_of_loads(i + n)
                    n += 1
                code = ingest.join()
                assert code == 0, f"ingest {i} failed ({code}): {ingest.output[-800:]}"
                delay = visible_after(probe_ctx, server, names[-1], ingest.done_at, errors)
                delays.append(delay)
                if delay is None:
                    break  # the dashboard no longer shows new data: the rest would wait too
        finally:
            for c in [*contexts, probe_ctx]:
                c.close()
        log = server.log_tail(10**9)
        saved = server.save_log(ROOT / "test-artifacts" / "logs" / "concurrency-server.log")

    seen = [d for d in delays if d is not None]
    print(f"\n{loads} page loads by {SESSIONS} sessions during {INGESTS} ingests; the new "
          f"teams shown after (loads, seconds): {seen}")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    logged = sorted(set(re.findall(r"^\w[\w.]*(?:Error|Exception): .*$", plain, re.M)))
    assert not errors, (f"{len(errors)} errors on pages while ingesting ({loads} session loads):\n"
                        + "\n".join(errors[:6]) + "\nserver log exceptions:\n"
                        + ("\n".join(logged[:6]) or "(none)") + f"\nfull log: {saved}")
    assert "Traceback" not in log, f"the server logged a traceback:\n{log[-3000:]}"
    assert len(seen) == INGESTS
    # the caches are keyed on the snapshot's mtime: the first load after an ingest shows it
    assert [n for n, _ in seen] == [1] * INGESTS, f"stale loads after an ingest: {delays}"


def visible_after(context, server: DashboardServer, team: str, done_at: float,
                  errors: list[str]) -> tuple[int, float] | None:
    """Fresh loads of ``/data?team=<team>``, each started after the ingest returned, until
    one accepts the new team (no 'not a known team' notice, the Team filter shows it):
    (how many loads that took, seconds from the start of the first to that one's render),
    or None (with an error recorded) when none does within GIVE_UP_S."""
    first = time.monotonic()
    assert first >= done_at
    last, loads = "", 0
    while time.monotonic() < first + GIVE_UP_S:
        page = context.new_page()
        loads += 1
        try:
            page.goto(server.url(f"/data?team={team}"))
            wait_rendered(page, 0, {"[data-testid=stSidebar] input[aria-label=Team]": 1},
                          timeout=GIVE_UP_S)
            found = problems(page)
            errors.extend(f"{page.url} (fresh load after the ingest): {f}" for f in found)
            if found:
                last = f"error: {found[0]}"
                continue
            shown = sidebar_select_value(page, "Team")
            if shown == team and not any(team in w for w in warnings_on(page)):
                return loads, time.monotonic() - first
            last = f"Team shows {shown!r}; notices {warnings_on(page)}"
        finally:
            page.close()
        time.sleep(0.2)
    errors.append(f"team {team} not shown {GIVE_UP_S:.0f} s after its ingest returned "
                  f"({last})")
    return None
