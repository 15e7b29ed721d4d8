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
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# the st.App around dashboard/app.py: sign-in settings and anti-framing headers
APP = Path(__file__).resolve().parents[2] / "dashboard" / "server.py"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def is_loopback(address: str) -> bool:
    """Only this machine can connect: localhost, 127.x.x.x, ::1."""
    return address in ("localhost", "::1", "[::1]") or address.startswith("127.")


def sign_in_plan(access: Any, address: str, no_sign_in: bool,
                 environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], str | None]:
    """(environment for the server, a warning to print) for this way of serving; an
    unsafe or contradictory one is refused in one sentence (``ConfigError``).

    With ``[access]``: sign-in, the client secret must be in the environment, and beyond
    loopback ``access.url`` must say where people open it. Without: loopback only, unless
    ``--no-sign-in`` says out loud that anyone who can reach the address may open it."""
    from metrics.access import EXPOSED_ENV
    from metrics.config import ConfigError

    if access is not None:
        if no_sign_in:
            raise ConfigError("--no-sign-in contradicts the config's [access] table, which "
                              "asks for sign-in; remove one of them")
        access.client_secret(environ)
        if not is_loopback(address) and not access.url:
            raise ConfigError(f"listening on {address} with sign-in needs access.url in the "
                              f"config: the address people open (https://kpi.example.com/), "
                              f"whose /oauth2callback is registered at the provider")
        return {}, None
    if is_loopback(address):
        return {}, None
    if not no_sign_in:
        raise ConfigError(f"without an [access] table in the config, mlkpi serve listens on "
                          f"this machine only; to listen on {address} with no sign-in at all, "
                          f"add --no-sign-in")
    return {EXPOSED_ENV: "1"}, (
        f"WARNING: --no-sign-in: anyone who can reach {address} can read every page and "
        f"write notes as 'local user'. Add an [access] table to the config to ask for "
        f"sign-in.")


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

[global]
developmentMode = false

[logger]
level = "warning"
"""


def serve(db: Path, config: Path | None, port: int = 8501, address: str = "localhost",
          allow_hosts: list[str] | None = None, backend: str | None = None,
          no_sign_in: bool = False) -> int:
    """Run the dashboard until stopped; returns Streamlit's exit status. With ``backend``,
    the dashboard shows the reports ``mlkpi refresh`` stored from that engine."""
    from metrics.access import EXPOSED_ENV
    from metrics.config import load_config

    access = load_config(config).access  # a bad config is refused before anything starts
    extra, warning = sign_in_plan(access, address, no_sign_in)
    env = dict(os.environ, MLKPI_DB=str(Path(db).resolve()))
    env.pop(EXPOSED_ENV, None)  # only this run's --no-sign-in may say so
    env.update(extra)
    env.pop("MLKPI_BACKEND", None)
    if backend:
        env["MLKPI_BACKEND"] = backend
    if config is not None:
        env["MLKPI_CONFIG"] = str(Path(config).resolve())
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if access is not None:
        print(f"Sign-in: {access.provider} (people come back to "
              f"{(access.url or f'http://localhost:{port}/').rstrip('/')}/oauth2callback; "
              f"register it at the provider)", flush=True)
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
