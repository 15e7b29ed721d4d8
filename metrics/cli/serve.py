"""``mlkpi serve`` and ``mlkpi demo``: run the Streamlit dashboard with secure defaults.

Streamlit reads ``.streamlit/config.toml`` from its working folder, and
``server.allowedHosts`` only works from that file (on the command line it also
blocked the legitimate host when we measured it). So each run writes its own
config into a private folder and starts Streamlit there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def streamlit_config(port: int, address: str, allow_hosts: list[str]) -> str:
    hosts = list(dict.fromkeys([*DEFAULT_HOSTS, *allow_hosts]))
    listed = ", ".join(f'"{h}"' for h in hosts)
    return f"""[server]
headless = true
port = {port}
address = "{address}"
allowedHosts = [{listed}]
enableXsrfProtection = true
fileWatcherType = "none"
runOnSave = false

[client]
showErrorDetails = "none"
toolbarMode = "viewer"

[browser]
gatherUsageStats = false
serverAddress = "{'localhost' if address in ('0.0.0.0', '::') else address}"
serverPort = {port}

[runner]
# no magic: the pages never display a bare expression, and magic re-parses each page's
# source whenever every session has closed (Streamlit then empties its script cache)
magicEnabled = false
# no full gc.collect() after every script run: it holds the GIL ~20 ms per run, which
# 16 sessions at once wait for in turn (the dashboard freezes its startup objects instead,
# and Python's own generational collection still runs)
postScriptGC = false

[global]
developmentMode = false

[logger]
level = "warning"
"""


def serve(db: Path, config: Path | None, port: int = 8501, address: str = "localhost",
          allow_hosts: list[str] | None = None, backend: str | None = None) -> int:
    """Run the dashboard until stopped; returns Streamlit's exit status. With ``backend``,
    the dashboard shows the reports ``mlkpi refresh`` stored from that engine."""
    env = dict(os.environ, MLKPI_DB=str(Path(db).resolve()))
    env.pop("MLKPI_BACKEND", None)
    if backend:
        env["MLKPI_BACKEND"] = backend
    if config is not None:
        env["MLKPI_CONFIG"] = str(Path(config).resolve())
    with tempfile.TemporaryDirectory(prefix="mlkpi-serve-") as run_dir:
        (Path(run_dir) / ".streamlit").mkdir()
        (Path(run_dir) / ".streamlit" / "config.toml").write_text(
            streamlit_config(port, address, allow_hosts or []))
        host = "localhost" if address in ("0.0.0.0", "::") else address
        print(f"mlkpi dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
        cmd = [sys.executable, "-m", "streamlit", "run", str(APP)]
        try:
            return subprocess.call(cmd, cwd=run_dir, env=env)
        except KeyboardInterrupt:
            return 0


def build_demo_store(db: Path, say: Callable[[str], None]) -> None:
    """Generate sample events ending today and ingest every kind into ``db``."""
    from metrics.ingest.run import ingest
    from metrics.sample import generate

    with tempfile.TemporaryDirectory(prefix="mlkpi-sample-") as tmp:
        files = generate(Path(tmp), seed=42, scale="small", as_of=datetime.now(UTC).date())
        for path in sorted(files):
            kind = path.name.split(".")[0]
            result = ingest(db, kind, [str(path)])
            say(f"  {kind}: {result.inserted:,} rows")
            if result.exit_code:
                raise RuntimeError(f"the sample for {kind} did not ingest cleanly: "
                                   f"{(result.file_errors or result.errors)[:1]}")
