"""Seeded, realistic sample events of every kind of ``events.md``.

    generate(Path("sample_data"), seed=42, as_of=date(2026, 11, 22))

writes ``team.csv`` … ``headcount.csv`` and ``inference_sli.parquet``. The same seed and
as_of give byte-identical files. History starts on the first day of the quarter six
quarters before as_of's quarter and ends just before as_of midnight UTC, so the demo looks
live. The pieces live in ``sample_org`` (who), ``sample_delivery``, ``sample_people``,
``sample_models`` (CSV kinds) and ``sample_sli`` (the Parquet SLI, vectorised).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from metrics.sample import delivery, models, people
from metrics.sample.common import Ctx, midnight, quarter_start, write_csv
from metrics.sample.org import LARGE_FACTOR, build_org, team_rows
from metrics.sample.sli import write_inference_sli

SCALES = ("small", "large")
HISTORY_QUARTERS = 6  # full quarters before as_of's quarter

CSV_KINDS: dict[str, Callable[[Ctx], list[tuple]]] = {
    "team": lambda ctx: team_rows(ctx.org),
    "deployment": delivery.deployment_rows,
    "incident": delivery.incident_rows,
    "defect": delivery.defect_rows,
    "cost": models.cost_rows,
    "training_run": delivery.training_run_rows,
    "pipeline_run": delivery.pipeline_run_rows,
    "model_inventory": models.model_inventory_rows,
    "team_adoption": people.team_adoption_rows,
    "model_performance": models.model_performance_rows,
    "survey_response": people.survey_response_rows,
    "roadmap_item": people.roadmap_item_rows,
    "hiring_req": people.hiring_req_rows,
    "headcount": people.headcount_rows,
}


def make_context(seed: int, scale: str, as_of: date) -> Ctx:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    start = midnight(quarter_start(as_of, back=HISTORY_QUARTERS))
    factor = LARGE_FACTOR if scale == "large" else 1
    return Ctx(seed, scale, start, midnight(as_of), build_org(scale), factor)


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: str = "small",
    as_of: date | None = None,
    progress: Callable[[str], None] | None = None,
    sli_rows: int | None = None,
) -> list[Path]:
    """Write one file per kind into ``out_dir`` and return their paths.

    ``as_of`` defaults to today's UTC date; ``sli_rows`` sizes the large-scale
    inference_sli (default 200 endpoints x 105 days of 1-minute windows, about 30M rows)
    and is ignored at small scale.
    """
    as_of = as_of or datetime.now(UTC).date()
    ctx = make_context(seed, scale, as_of)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    paths = []
    for kind, rows_of in CSV_KINDS.items():
        path = out_dir / f"{kind}.csv"
        n = write_csv(path, kind, rows_of(ctx))
        say(f"wrote {path.name}: {n:,} rows")
        paths.append(path)
    path = out_dir / "inference_sli.parquet"
    n = write_inference_sli(ctx, path, sli_rows=sli_rows, progress=progress)
    say(f"wrote {path.name}: {n:,} rows")
    paths.append(path)
    return paths
