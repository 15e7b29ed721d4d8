"""Real servers for the tests, on loopback ports: Prometheus, MLflow and Spark Connect.

    with prometheus_server(openmetrics_text, tmp) as url: ...   # a backfilled TSDB
    with mlflow_server(tmp) as url: ...                          # SQLite backend store
    with spark_connect_server(tmp) as url: ...                   # sc://127.0.0.1:PORT

Prometheus is Debian's package (``.ci/run`` installs it): the test's OpenMetrics text is
backfilled with ``promtool tsdb create-blocks-from openmetrics`` and served with a 100-year
retention (old samples would vanish under the default 15 days). MLflow runs from a
virtualenv of its own (``MLKPI_MLFLOW_VENV``, default ``~/.cache/mlkpi/mlflow-venv``,
created on first use): MLflow pins ``pyarrow<26`` while mlkpi needs ``pyarrow>=26``, and
mlkpi itself talks to it over the REST API only. Spark Connect is the server pyspark's
wheel ships (``spark-submit`` and the ``spark-connect`` jar), with Java 17. A test is
skipped, saying why, when a server cannot be installed here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
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
CONNECT_START_TIMEOUT = 240  # Spark Connect: about 30 s on a busy 2-core machine


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


@contextlib.contextmanager
def spark_connect_server(folder: Path, cores: int = 2, memory: str = "1g",
                         env: dict[str, str] | None = None) -> Iterator[str]:
    """A Spark Connect server (``local[cores]``, ``memory`` of driver heap) on a loopback
    port, answering a session before this yields its ``sc://127.0.0.1:PORT``; ``env`` is
    added to its environment (``{"TZ": …}``: the server's own time zone). Its whole
    process group is stopped after, so no Java is left running."""
    import pyspark

    home = Path(pyspark.__file__).parent
    jars = sorted((home / "jars").glob("spark-connect_*.jar"))
    if shutil.which("java") is None or not jars:
        pytest.skip("Spark Connect needs Java 17 and pyspark's jars (.ci/run installs both)")
    port = free_port()
    conf = {"spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": port, "spark.driver.memory": memory,
            "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.warehouse.dir": folder / "warehouse", "spark.ui.enabled": "false",
            # a report is dozens of aggregates over a few MB: 200 shuffle tasks each,
            # re-planning each stage and compiling code for each plan cost more than the
            # work (a 2026Q3 report: about 40 s with them, 15 s without, on 2 busy cores)
            "spark.sql.shuffle.partitions": cores, "spark.sql.adaptive.enabled": "false",
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
    cmd = [str(home / "bin" / "spark-submit"), "--master", f"local[{cores}]", "--class",
           "org.apache.spark.sql.connect.service.SparkConnectServer"]
    for key, value in conf.items():
        cmd += ["--conf", f"{key}={value}"]
    log = folder / "spark-connect.log"
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen([*cmd, str(jars[0])], stdout=out, stderr=subprocess.STDOUT,
                                cwd=folder, env=env, start_new_session=True)
    try:
        url = f"sc://127.0.0.1:{port}"
        _wait_for_session(url, port, proc, log)
        yield url
    finally:
        _stop_group(proc)


def _wait_for_session(url: str, port: int, proc: subprocess.Popen, log: Path) -> None:
    """Until the port takes connections and a session answers ``SELECT 1``."""
    deadline = time.monotonic() + CONNECT_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        time.sleep(0.5)
    else:
        raise RuntimeError(f"{url} did not listen within {CONNECT_START_TIMEOUT} s: "
                           f"{log.read_text()[-2000:]}")
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(url).create()
    try:
        assert session.sql("SELECT 1 AS one").collect()[0].one == 1
    finally:
        session.stop()


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after 20 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
