"""Run states → the ``pipeline_run`` status words, through the overridable table."""

from __future__ import annotations

from metrics.importers import vocab
from metrics.importers.base import Skip
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
