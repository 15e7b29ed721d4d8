"""Spark engines: a local session over exported Parquet, or a cluster via Spark Connect.

    spark://local[2]?path=/lake            # local[2], 1 GB driver, /lake/<kind>/… Parquet
    spark://local[4]?path=/lake&memory=4g  # more cores and memory
    sc://spark.example:15002?database=kpi  # a Spark Connect server; tables kpi.<kind>
    sc://spark.example:15002?database=kpi&retries=15  # wait ~10 min for a server that is down

Both read one table per kind, named as the kind, with the event contract's columns. The
session runs in UTC (``spark.sql.session.timeZone`` and the JVM's ``user.timezone``), so
period edges are the same instants as on DuckDB. Parquet is read with a schema made from
the contract (inferring fifteen schemas costs seconds). A process keeps one session per
URL: a refresh of many reports starts Spark once.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from metrics.events import KINDS, Kind
from metrics.sql.engine import BackendError, IbisEngine, query_options

_LOCAL = re.compile(r"spark://(local(\[(\d+|\*)\])?)(\?.*)?$")
_ENGINES: dict[str, IbisEngine] = {}
_LOCK = threading.Lock()
SPARK_TYPES = {"str": "string", "int": "bigint", "float": "double", "bool": "boolean",
               "ts": "timestamp", "date": "date"}


def local_engine(url: str) -> IbisEngine:
    """``spark://local[N]?path=DIR[&memory=1g][&partitions=8]``: the session is made once
    per process and URL; each kind's folder under DIR becomes a view named as the kind."""
    match = _LOCAL.match(url)
    if not match:
        raise BackendError(f"'{url}' is not a local Spark URL; write "
                           "spark://local[2]?path=DIR (DIR made by 'mlkpi export').")
    options = query_options(url)
    if not options.get("path"):
        raise BackendError(f"'{url}' names no folder; add ?path=DIR, the folder "
                           "'mlkpi export --out DIR' wrote.")
    root = Path(options["path"]).expanduser()
    if not root.is_dir():
        raise BackendError(f"there is no folder {root}; run 'mlkpi export --out {root}' first.")
    with _LOCK:
        if url not in _ENGINES:
            session = _local_session(match.group(1), options)
            for kind in KINDS.values():
                folder = root / kind.name
                if folder.is_dir():
                    session.read.schema(spark_schema(kind)).parquet(str(folder)) \
                        .createOrReplaceTempView(kind.name)
            _ENGINES[url] = _engine(session, f"spark://{match.group(1)}")
        return _ENGINES[url]


def connect_engine(url: str) -> IbisEngine:
    """``sc://HOST:PORT[?database=DB][&retries=N]``: a Spark Connect session of its own
    (one per URL, never another URL's); the kinds' tables are read from DB. A server that
    does not answer is given up after N retries (default 4, about 4 s)."""
    options = query_options(url)
    remote = url.partition("?")[0]
    name = remote.partition("/;")[0]  # sc://h:15002/;token=…: the token stays private
    retries = _retries(url, options)
    with _LOCK:
        if url not in _ENGINES:
            session = _connect_session(remote, name, retries)
            _ENGINES[url] = _engine(session, name, options.get("database"))
        return _ENGINES[url]


def _connect_session(remote: str, name: str, retries: int) -> Any:
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.connect.client.retries import DefaultPolicy

        # create(), not getOrCreate(): that would hand back any session this process
        # already holds, whatever server it is on
        session = SparkSession.builder.remote(remote).create()
    except ImportError as exc:
        raise BackendError("Spark Connect needs pyspark's Connect client; run "
                           "pip install 'mlkpi[spark]'.") from exc
    except Exception as exc:  # a malformed sc:// URL
        raise BackendError(f"'{name}' is not a Spark Connect URL ({_first_line(exc)}); "
                           "write sc://HOST:PORT?database=DB.") from exc
    # Spark's own policy keeps retrying an unreachable server for about ten minutes
    session.client.set_retry_policies([DefaultPolicy(max_retries=retries)])
    try:
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except Exception as exc:
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        detail = cause.details() if hasattr(cause, "details") else str(cause)
        raise BackendError(f"cannot reach the Spark Connect server {name} "
                           f"({retries + 1} tries): {_first_line(Exception(detail))}") from exc
    return session


def _retries(url: str, options: dict[str, str]) -> int:
    text = options.get("retries", "4")
    if not text.isdigit():
        raise BackendError(f"'{url}': retries must be a whole number, not '{text}'.")
    return int(text)


def _engine(session: Any, name: str, database: str | None = None) -> IbisEngine:
    import ibis

    return IbisEngine(ibis.pyspark.connect(session), name, database=database)


def _local_session(master: str, options: dict[str, str]) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BackendError("the Spark engine needs pyspark and Java 17; run "
                           "pip install 'mlkpi[spark]' and install a Java 17 runtime.") from exc
    cores = master.partition("[")[2].rstrip("]") or "1"
    java = f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_quiet_log4j()}"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, no hostname lookup
    builder = (SparkSession.builder.master(master).appName("mlkpi")
               .config("spark.driver.memory", options.get("memory", "1g"))
               .config("spark.driver.extraJavaOptions", java)
               .config("spark.executor.extraJavaOptions", java)
               .config("spark.sql.session.timeZone", "UTC")
               # a KPI report is a few dozen small aggregates: 200 shuffle tasks each
               # (Spark's default) cost more than the work
               .config("spark.sql.shuffle.partitions",
                       options.get("partitions", "2" if cores == "*" else cores))
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, too little memory: one sentence
        raise BackendError(f"cannot start Spark ({_first_line(exc)}); it needs Java 17 "
                           "(e.g. apt-get install openjdk-17-jre-headless).") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def _quiet_log4j() -> Path:
    """A log4j2 configuration that prints only errors (Spark's default prints warnings
    about native libraries and host names on every start)."""
    path = Path(tempfile.gettempdir()) / "mlkpi-spark-log4j2.properties"
    if not path.exists():
        path.write_text("rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = "
                        "console\nappender.console.type = Console\nappender.console.name = "
                        "console\nappender.console.target = SYSTEM_ERR\n"
                        "appender.console.layout.type = PatternLayout\n"
                        "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n")
    return path


def spark_schema(kind: Kind) -> str:
    """The kind's Parquet schema in Spark's DDL: 'deployment_id string, tier bigint, …'."""
    return ", ".join(f"`{c.name}` {SPARK_TYPES[c.type]}" for c in kind.columns)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") + "." if text else type(exc).__name__ + "."
