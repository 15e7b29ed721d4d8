"""``mlkpi refresh``: compute what the dashboard shows on an engine, keep it in the store.

    refresh(db, "spark://local[2]?path=/lake", periods=2)
    # 2026Q4 and 2026Q3, 2026-11 and 2026-10, 2026-W48 and W47, each for the org, each
    # team of the roster and each tier; then the SLO report: 3 × 2 × (1 + teams + 3) + 1

Run it on a schedule (cron, Airflow) after the lakehouse's tables are loaded; the
dashboard (``mlkpi serve --backend URL``) shows the stored figures and their age.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from metrics.config import OrgConfig
from metrics.events import TIERS
from metrics.periods import Period, period_containing, periods_ending
from metrics.store.results import Stored, save_results

REFRESH_GRAINS = ("quarter", "month", "week")


def refresh(db: Path, url: str | None, periods: int = 2, config: OrgConfig | None = None,
            now: datetime | None = None, say: Callable[[str], None] = lambda _: None
            ) -> dict[str, object]:
    """Compute the reports and store them in ``db``; {"reports", "engine", "seconds"}."""
    from metrics.kpi.report import kpi_report
    from metrics.slo.report import slo_report
    from metrics.sql.engine import connect

    start = datetime.now(UTC)
    now = now or start
    engine = connect(db, url)
    try:
        name = engine.name
        teams = team_roster(engine)
    finally:
        engine.close()
    scopes = [(None, None), *((t, None) for t in teams), *((None, t) for t in TIERS)]
    todo = [(p, team, tier) for p in recent_periods(now, periods) for team, tier in scopes]
    results: list[Stored] = []
    for i, (period, team, tier) in enumerate(todo, 1):
        say(f"[{i}/{len(todo) + 1}] KPIs for {period.label}, {_scope_words(team, tier)}")
        report = kpi_report(db, period, team=team, tier=tier, config=config, now=now,
                            backend=url)
        results.append(Stored("kpis", period.label, team, tier, report))
    say(f"[{len(todo) + 1}/{len(todo) + 1}] the SLO report")
    results.append(Stored("slo", "", None, None, slo_report(db, config=config, backend=url)))
    stored = save_results(db, results, name, datetime.now(UTC))
    return {"reports": stored, "engine": name,
            "seconds": (datetime.now(UTC) - start).total_seconds()}


def recent_periods(now: datetime, n: int) -> list[Period]:
    """The ``n`` latest periods of each grain up to the one holding ``now``, newest first:
    now 2026-11-25, n=2 → 2026Q4, 2026Q3, 2026-11, 2026-10, 2026-W48, 2026-W47."""
    return [p for grain in REFRESH_GRAINS
            for p in reversed(periods_ending(period_containing(now, grain), n))]


def team_roster(engine) -> list[str]:
    """The teams of the ``team`` roster on the engine, sorted."""
    if hasattr(engine, "con"):  # the store: plain SQL, no ibis
        return sorted(r[0] for r in engine.con.execute(
            "SELECT DISTINCT team FROM team WHERE team IS NOT NULL").fetchall())
    roster = engine.table("team")
    rows = engine.to_pyarrow(roster.select("team").distinct()).column("team").to_pylist()
    return sorted(t for t in rows if t is not None)


def _scope_words(team: str | None, tier: int | None) -> str:
    return f"team {team}" if team else f"tier {tier}" if tier else "the org"
