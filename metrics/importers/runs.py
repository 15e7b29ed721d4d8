"""What pipeline-run sources share: run states → status words (through the overridable
table), and the ``pipeline_run`` row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from metrics.importers import vocab
from metrics.importers.base import Rec, Row, Skip
from metrics.importers.rules import Mapper


def run_status(mapper: Mapper, state: object) -> str | Skip:
    """``"SUCCEEDED"`` → ``"success"``; a state with no event meaning → ``Skip("CANCELED")``.

    The map's ``[pipeline_run] status`` table extends the default one (``vocab``); a state
    mapped to ``skip``, or absent from both, is skipped with the state as its reason."""
    table = _table(mapper)
    word = vocab.look_up(table, state)
    if word is None or word.lower() == vocab.SKIP:
        shown = str(state).strip().lower() if state not in (None, "") else "no state"
        return Skip(f"state {shown}")
    return word


def _table(mapper: Mapper) -> dict[str, str]:
    cached = mapper.options.get("_pipeline_status_table")
    if cached is None:
        cached = vocab.merged(vocab.PIPELINE_STATUS, mapper.map.get("pipeline_run.status"))
        mapper.options["_pipeline_status_table"] = cached
    return cached


def pipeline_row(rec: Rec, mapper: Mapper, run_id: str, pipeline: object,
                 scheduled_at: object, status: str) -> Row:
    """A pipeline_run row: the source gives id, its own pipeline name (the map's
    ``[pipeline_run] pipeline`` wins), the scheduled time and the status; team and tier
    come from the map, and ``freshness_met`` where the map has a rule for it."""
    ev = mapper.event("pipeline_run", rec, run_id)
    ev.set("run_id", run_id)
    ev.rule("pipeline", "pipeline_run.pipeline", fallback=pipeline)
    ev.rule("team")
    ev.rule("tier")
    ev.time("scheduled_at", scheduled_at)
    ev.set("status", status)
    if mapper.map.get("pipeline_run.freshness_met") is not None:
        ev.rule("freshness_met", "pipeline_run.freshness_met")
    return ev.row()


def state_rows(recs: Iterable[Rec], mapper: Mapper,
               identify: Callable[[Rec], tuple[str, object, object]]) -> Iterator[Row | Skip]:
    """pipeline_run rows of run records that carry their state in ``state`` (Airflow,
    Kubeflow): ``identify(rec)`` gives the run id, the pipeline and when the run was due;
    a state with no event meaning is a skip."""
    for rec in recs:
        status = run_status(mapper, rec.data.get("state"))
        if isinstance(status, Skip):
            yield status
            continue
        yield pipeline_row(rec, mapper, *identify(rec), status)
