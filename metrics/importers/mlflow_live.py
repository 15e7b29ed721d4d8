"""A live MLflow tracking server → the same search pages the files hold, then ingest.

    GET  /api/2.0/mlflow/registered-models/search?max_results=1000[&page_token=…]
    GET  /api/2.0/mlflow/model-versions/search?max_results=10000[&page_token=…]
    POST /api/2.0/mlflow/experiments/search  {"max_results": 1000, "view_type": "ALL"}
    POST /api/2.0/mlflow/runs/search  {"experiment_ids": [...], "max_results": 1000}

Every list is followed through ``next_page_token``; runs are asked for 100 experiments
at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from metrics.importers.base import Doc

TIMEOUT_SECONDS = 120
EXPERIMENTS_PER_CALL = 100


class ServerError(Exception):
    """The server could not be asked, or refused: one sentence."""


def pages(uri: str) -> Iterator[Doc]:
    """Every search page of the server, as documents named after the call."""
    base = uri.rstrip("/") + "/api/2.0/mlflow/"
    yield from _paged(base, "registered-models/search", {"max_results": 1000})
    yield from _paged(base, "model-versions/search", {"max_results": 10000})
    experiments = [e["experiment_id"] for doc in _paged(
        base, "experiments/search", {"max_results": 1000, "view_type": "ACTIVE_ONLY"},
        post=True) for e in doc.data.get("experiments") or []]
    for i in range(0, len(experiments), EXPERIMENTS_PER_CALL):
        yield from _paged(base, "runs/search", {
            "experiment_ids": experiments[i:i + EXPERIMENTS_PER_CALL], "max_results": 1000,
            "run_view_type": "ACTIVE_ONLY"}, post=True)


def _paged(base: str, path: str, body: dict, post: bool = False) -> Iterator[Doc]:
    token, page = None, 0
    while True:
        ask = dict(body, **({"page_token": token} if token else {}))
        data = _call(base + path, ask, post)
        page += 1
        yield Doc(data, f"{base}{path} (page {page})", 1)
        token = data.get("next_page_token")
        if not token:
            return


def _call(url: str, body: dict, post: bool) -> dict:
    if post:
        request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
    else:
        request = urllib.request.Request(url + "?" + urllib.parse.urlencode(body))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ServerError(f"{url} answered {exc.code}: {_message(exc.read())}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServerError(f"cannot ask MLflow at {url} ({reason})") from None
    if not isinstance(data, dict):
        raise ServerError(f"{url} did not answer with a JSON object; is it MLflow?")
    return data


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or "no error text")
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace").strip() or "no error text"


def run_live(args: argparse.Namespace, db: Path) -> int:
    from metrics.cli import progress
    from metrics.cli.commands.import_ import report
    from metrics.importers import source
    from metrics.importers.run import ImportResult, import_documents, make_mapper

    if args.files:
        print("mlkpi: give either files or --tracking-uri, not both.", file=sys.stderr)
        return 2
    say = progress.stage_reporter(progress.LARGE_BYTES)
    mapper = make_mapper(args.map, vars(args))
    result = ImportResult("mlflow", [args.tracking_uri], args.dry_run)
    try:
        say(f"asking {args.tracking_uri}")
        docs = list(pages(args.tracking_uri))
    except ServerError as exc:
        say.done()
        print(f"mlkpi: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 2
    import_documents(db, source("mlflow"), docs, mapper, result, say)
    say.done()
    report(args, result)
    if not args.dry_run and any(r.inserted + r.updated for r in result.kinds.values()):
        from metrics.cli.commands.ingest import prepare_queries

        prepare_queries(args, db, say)
    return result.exit_code
