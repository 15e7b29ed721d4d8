"""``mlkpi slo notify``: tell people when an endpoint's alert state changes.

Each run compares every endpoint's alert state (``slo_report``) with the last state it
notified (``metrics.slo.notifications``), and sends one message per change to every
target, through apprise (one library for JSON webhooks, Slack- and Teams-compatible
incoming webhooks, email, …). Deliveries that failed on an earlier run are retried first.

    run 1: ranker-v2 ok            (never notified: silent, as no_data would be)
    run 2: ranker-v2 page          → "[PAGE] ranker-v2 …" to every target
    run 3: ranker-v2 page          → nothing (no change)
    run 4: ranker-v2 ok            → "[RESOLVED] ranker-v2 …"
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from metrics.config import OrgConfig
from metrics.errors import MlkpiError
from metrics.slo import notifications
from metrics.slo.notifications import Attempt, Change
from metrics.slo.report import slo_report
from metrics.store.db import StoreError, exclusive, writer

START_STATE = "ok"  # an endpoint never notified counts as ok: only trouble is news
TROUBLE = ("page", "ticket")
WORDS = {"page": "PAGE", "ticket": "TICKET", "ok": "OK", "no_data": "NO DATA"}
HEADLINES = {
    "page": "error budget burning fast: act now",
    "ticket": "error budget burning: look at it today",
    "ok": "burn rates back under every threshold",
    "no_data": "no requests in the last hour nor the last 3 days: the SLO is not evaluated",
}
LOCK_WAIT_SECONDS = 120.0


class NotifyError(MlkpiError, ValueError):
    """Targets that cannot be used (said in one sentence, before anything is sent)."""


@dataclass
class NotifyResult:
    """What one run did: the changes found and every delivery attempted."""

    at: str | None
    changes: list[Change] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    retried: int = 0  # attempts of changes found on earlier runs

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]


def check_targets(urls: list[str]) -> None:
    """Refuse, in one sentence, a target apprise does not understand."""
    import apprise

    for url in urls:
        if not apprise.Apprise().add(url):
            raise NotifyError(
                f"the target {notifications.redact(url)} is not a notification URL apprise "
                f"knows; use e.g. json://host/path, slack://…, mmost://host/token, "
                f"workflows://… or mailto://user:password@host?to=address")


def notify(db: Path, targets: list[str], at: datetime | None = None,
           team: str | None = None, tier: int | None = None,
           config: OrgConfig | None = None, now: datetime | None = None) -> NotifyResult:
    """Send the pending deliveries, then one message per new change, and record both."""
    check_targets(targets)
    config = config or OrgConfig()
    with _notify_lock(db):
        report = slo_report(db, at=at, team=team, tier=tier, config=config)
        known, top = notifications.last_states(db)
        result = NotifyResult(at=report["at"])
        by_key = {notifications.target_key(url): url for url in targets}
        for row in notifications.pending(db):
            if row["target_key"] in by_key:  # a target not given this time stays pending
                result.attempts.append(_send(row["change_id"], by_key[row["target_key"]],
                                             row["title"], row["body"], row["state"]))
                result.retried += 1
        for entry in report["endpoints"]:
            previous = known.get(entry["endpoint"])
            if previous is None and entry["alert"] not in TROUBLE:
                continue  # never notified and not in trouble: nothing to tell yet
            previous = previous or START_STATE
            if entry["alert"] != previous:
                top += 1
                result.changes.append(change(top, entry, previous, report["at"],
                                             config.public_url))
        for item in result.changes:
            result.attempts += [_send(item.change_id, url, item.title, item.body, item.state)
                                for url in targets]
        if result.changes or result.attempts:
            with writer(db) as con:
                notifications.record(con, result.changes, result.attempts,
                                     now or datetime.now(UTC))
    return result


def change(change_id: int, entry: dict[str, Any], previous: str, at: str,
           base_url: str | None) -> Change:
    """The change of one endpoint to ``entry['alert']``, with its message."""
    facts = {
        "endpoint": entry["endpoint"], "team": entry["team"], "tier": entry["tier"],
        "state": entry["alert"], "previous": previous, "fired": entry["fired"],
        "burn_rates": entry["burn_rates"], "budget_remaining": entry["budget_remaining"],
        "burning_since": entry["burning_since"], "objective": entry["objective"],
        "window_days": entry["window_days"], "at": at,
        "link": dashboard_link(base_url, entry["endpoint"]),
    }
    return Change(change_id=change_id, endpoint=entry["endpoint"], team=entry["team"],
                  tier=entry["tier"], previous=previous, state=entry["alert"],
                  fired=tuple(entry["fired"]), evaluated_at=_parse_z(at),
                  title=title(facts), body=body(facts), facts=facts)


def dashboard_link(base_url: str | None, endpoint: str) -> str:
    """'https://kpi.example.org/slo?endpoint=ranker%20v2' (a path alone without a base)."""
    path = f"/slo?endpoint={quote(endpoint, safe='')}"
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def title(facts: dict[str, Any]) -> str:
    """'[PAGE] ranker-v2 (search): error budget burning fast: act now'."""
    resolved = facts["state"] == "ok" and facts["previous"] in ("page", "ticket")
    word = "RESOLVED" if resolved else WORDS[facts["state"]]
    return f"[{word}] {facts['endpoint']} ({facts['team']}): {HEADLINES[facts['state']]}"


def body(facts: dict[str, Any]) -> str:
    """The message: state and what fired, burn rates, budget, since when, and the link."""
    burns = ", ".join(f"{name} {_num(rate, '.2f')}"
                      for name, rate in facts["burn_rates"].items())
    lines = [
        f"Endpoint {facts['endpoint']} of team {facts['team']} (tier {facts['tier']}) is now "
        f"{WORDS[facts['state']]} (was {WORDS[facts['previous']]}).",
        f"Rule fired: {', '.join(facts['fired']) or 'none'}.",
        f"Burn rates: {burns}.",
        f"Error budget remaining: {_num(facts['budget_remaining'], '.1f')} % of the "
        f"{facts['window_days']}-day budget (objective {facts['objective']:g} %).",
        f"Burning since: {facts['burning_since'] or 'not burning now'}.",
        f"Evaluated at: {facts['at']}.",
        f"Dashboard: {facts['link']}",
    ]
    return "\n".join(lines)


def _num(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _parse_z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_TYPES = {"page": "failure", "ticket": "warning", "ok": "success", "no_data": "info"}


def _send(change_id: int, url: str, title_: str, body_: str, state: str) -> Attempt:
    """One delivery through apprise; the failure's reason is what apprise logged."""
    import apprise

    sender = apprise.Apprise()
    sender.add(url)
    with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as log:
        try:
            ok = bool(sender.notify(body=body_, title=title_, notify_type=_TYPES[state],
                                    body_format=apprise.NotifyFormat.TEXT))
        except Exception as exc:  # a plugin's bug must not lose the run's other deliveries
            ok = False
            print(f"{type(exc).__name__}: {exc}", file=log)
    reason = None if ok else (_last_line(log.getvalue()) or "the target refused it")
    return Attempt(change_id, url, datetime.now(UTC), ok, reason, title_)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


@contextlib.contextmanager
def _notify_lock(db: Path) -> Iterator[None]:
    """One notify run at a time per store, so two schedulers never send a change twice."""
    path = db.with_name(db.name + ".notify.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    busy = (f"another 'mlkpi slo notify' has been running on {db} for over "
            f"{LOCK_WAIT_SECONDS:.0f} s; try again when it has finished.")
    with exclusive(path, LOCK_WAIT_SECONDS, busy, StoreError):
        yield


def summary(result: NotifyResult) -> str:
    """Text for people: one line per attempt, or why nothing was sent."""
    if not result.attempts:
        return f"no alert-state change at {result.at or '–'}; nothing sent."
    lines = []
    for a in result.attempts:
        what = a.title
        target = notifications.redact(a.target)
        lines.append(f"sent to {target}: {what}" if a.ok else
                     f"FAILED to {target} (retried on the next run): {what}: {a.error}")
    return "\n".join(lines)


def to_json(result: NotifyResult) -> dict[str, Any]:
    """{"at", "changes": [facts + change_id], "deliveries": [...], "failed": n}."""
    return {"at": result.at,
            "changes": [{"change_id": c.change_id, **c.facts} for c in result.changes],
            "deliveries": [{"change_id": a.change_id, "target": notifications.redact(a.target),
                            "ok": a.ok, "error": a.error} for a in result.attempts],
            "retried": result.retried, "failed": len(result.failed)}
