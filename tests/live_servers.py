"""Real servers for the import tests, on loopback ports: Prometheus and MLflow.

    with prometheus_server(openmetrics_text, tmp) as url: ...   # a backfilled TSDB
    with mlflow_server(tmp) as url: ...                          # SQLite backend store

Prometheus is Debian's package (``.ci/run`` installs it): the test's OpenMetrics text is
backfilled with ``promtool tsdb create-blocks-from openmetrics`` and served with a 100-year
retention (old samples would vanish under the default 15 days). MLflow runs from a
virtualenv of its own (``MLKPI_MLFLOW_VENV``, default ``~/.cache/mlkpi/mlflow-venv``,
created on first use): MLflow pins ``pyarrow<26`` while mlkpi needs ``pyarrow>=26``, and
mlkpi itself talks to it over the REST API only. A test is skipped, saying why, when a
server cannot be installed here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

MLFLOW_VERSION = "3.17.2"
START_TIMEOUT = 300  # MLflow's server took 75 s to start on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT} s: "
                       f"{log.read_text()[-2000:]}")


@contextlib.contextmanager
def running(cmd: list[str], ready_url: str, log: Path, **kw) -> Iterator[None]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **kw)
    try:
        wait_ready(ready_url, proc, log)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def prometheus_server(openmetrics: str, folder: Path) -> Iterator[str]:
    """A Prometheus on a loopback port serving ``openmetrics`` (text ending in ``# EOF``)."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        pytest.skip("Debian's prometheus package is not installed (.ci/run installs it)")
    source, tsdb = folder / "backfill.om", folder / "tsdb"
    source.write_text(openmetrics)
    done = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics",
                           str(source), str(tsdb)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"promtool backfill failed: {done.stderr[-2000:]}")
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
           f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"]
    with running(cmd, url + "/-/ready", folder / "prometheus.log"):
        yield url


def mlflow_venv() -> Path:
    """The virtualenv holding MLflow's server; created (pip, from PyPI) when missing."""
    venv = Path(os.environ.get("MLKPI_MLFLOW_VENV",
                               Path.home() / ".cache" / "mlkpi" / "mlflow-venv"))
    exe = venv / "bin" / "mlflow"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                       capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q",
                        f"mlflow=={MLFLOW_VERSION}"], check=True, capture_output=True,
                       timeout=1200)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot install MLflow's server in {venv}: {exc}")
    return exe


@contextlib.contextmanager
def mlflow_server(folder: Path) -> Iterator[str]:
    """An MLflow tracking server with a SQLite backend store on a loopback port."""
    exe = mlflow_venv()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(exe), "server", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
           "--default-artifact-root", str(folder / "artifacts"), "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1"]
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with running(cmd, url + "/health", folder / "mlflow.log", env=env, cwd=folder):
        yield url
