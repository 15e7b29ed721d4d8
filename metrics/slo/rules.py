"""``mlkpi slo rules``: the organisation's objectives as Prometheus rules or Sloth specs.

The same objectives as ``mlkpi slo`` (tier defaults, ``[slo.tier.N]``, ``[slo.endpoint]``,
each endpoint's tier from its latest SLI row) and the same alert table
(``metrics.slo.alerts``, thresholds scaled to the window), over the request and error
series the import map's ``[prometheus]`` section names, so the dashboard and the pager
never disagree. For ranker-v2 at 99.9 % over 30 days, the fast page row reads:

    mlkpi:sli_error:ratio_rate1h{destination_service="ranker-v2"} > (14.4 * (1 - 0.999))
    and mlkpi:sli_error:ratio_rate5m{destination_service="ranker-v2"} > (14.4 * (1 - 0.999))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from metrics.config import OrgConfig
from metrics.errors import MlkpiError
from metrics.slo.alerts import ALERT_RULES, LOOKBACKS, AlertRule
from metrics.slo.notify import dashboard_link
from metrics.slo.objectives import Objective

RECORD = "mlkpi:sli_error:ratio_rate{window}"
ALERT = "MlkpiErrorBudgetBurn"
STEP = "{{step}}"  # the window placeholder of the import map's queries


class RulesError(MlkpiError, ValueError):
    """Rules cannot be written (a map without the series, no endpoints); one sentence."""


@dataclass(frozen=True)
class PromSeries:
    """The import map's ``[prometheus]`` section, as far as rules need it."""

    label: str     # the label that names the endpoint: destination_service
    requests: str  # PromQL of the requests per endpoint over {{step}}
    errors: str    # PromQL of the errors per endpoint over {{step}}

    def ratio(self, window: str) -> str:
        """Errors ÷ requests over one look-back, per endpoint."""
        return (f"({self.errors.replace(STEP, window)})\n/\n"
                f"({self.requests.replace(STEP, window)})")


def load_series(map_path: Path | None) -> PromSeries:
    """``[prometheus] endpoint / requests / errors`` of the import map, read and checked by
    the importers' own map loader (the same keys and defaults as ``mlkpi import``)."""
    from metrics.importers import all_keys
    from metrics.importers.mapfile import MapError, load_map

    if map_path is None:
        raise RulesError("give the import map with --map; its [prometheus] section names "
                         "the request and error series the rules read")
    try:
        found = load_map(map_path, all_keys().values())
    except MapError as exc:
        raise RulesError(str(exc).rstrip(".")) from None
    queries = {k: found.get(f"prometheus.{k}") for k in ("requests", "errors")}
    for key, query in queries.items():
        if not isinstance(query, str) or not query.strip():
            raise RulesError(f"in the map, [prometheus] {key} is missing; the rules need "
                             f"requests = '…' and errors = '…' (queries per endpoint over "
                             f"[{STEP}])")
        if STEP not in query:
            raise RulesError(f"in the map, [prometheus] {key} has no {STEP}; write the range "
                             f"as [{STEP}] so each look-back can be filled in")
    entry = str(found.get("prometheus.endpoint", "label:service")).strip()
    label = entry.partition(":")[2] if entry.startswith("label:") else entry
    if not label.isidentifier():
        raise RulesError("in the map, [prometheus] endpoint must name a label, e.g. "
                         "endpoint = \"label:destination_service\"")
    return PromSeries(label, queries["requests"], queries["errors"])


def endpoints(db: Path, at: datetime | None, config: OrgConfig) -> list[dict[str, Any]]:
    """[{"endpoint", "team", "tier", "objective"}] as ``mlkpi slo`` lists them at ``at``."""
    from metrics.slo.queries import endpoint_objectives, resolve_at
    from metrics.store.db import connect_read

    con = connect_read(db)
    try:
        when = resolve_at(con, at)
        found = endpoint_objectives(con, when, config) if when else []
    finally:
        con.close()
    if not found:
        raise RulesError("no endpoint has SLI rows in the store; ingest inference_sli first "
                         "(each endpoint's tier, hence its objective, comes from them)")
    return sorted(found, key=lambda e: e["endpoint"])


def _num(value: float) -> str:
    """The shortest text of the very float the dashboard compares with: 14.4, 6,
    0.9333333333333333 (28 days, 3d/6h)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _selector(series: PromSeries, endpoint: str) -> str:
    return f"{{{series.label}={json.dumps(endpoint)}}}"


def alert_expr(series: PromSeries, endpoint: str, objective: Objective,
               rule: AlertRule) -> str:
    """Both look-backs of one row above threshold × error budget, for one endpoint."""
    limit = (f"({_num(rule.threshold(objective.window_days))} * "
             f"(1 - {objective.availability / 100:.12g}))")
    sel = _selector(series, endpoint)
    return (f"{RECORD.format(window=rule.long)}{sel} > {limit}\n"
            f"and\n{RECORD.format(window=rule.short)}{sel} > {limit}")


def prometheus_rules(items: list[dict[str, Any]], series: PromSeries,
                     base_url: str | None = None) -> dict[str, Any]:
    """A Prometheus rule file of one group: the error ratio per look-back, then one alert
    per endpoint and row of the alert table (labels severity, long, short, team, tier)."""
    records = [{"record": RECORD.format(window=w), "expr": series.ratio(w)} for w in LOOKBACKS]
    alerts = []
    for item in items:
        obj: Objective = item["objective"]
        for rule in ALERT_RULES:
            threshold = rule.threshold(obj.window_days)
            alerts.append({
                "alert": ALERT, "expr": alert_expr(series, item["endpoint"], obj, rule),
                "labels": {"severity": rule.severity, "long": rule.long, "short": rule.short,
                           "endpoint": item["endpoint"], "team": str(item["team"]),
                           "tier": str(item["tier"])},
                "annotations": {
                    "summary": f"{item['endpoint']} ({item['team']}) burns its error budget "
                               f"above {threshold:.4g}x over {rule.long} and {rule.short} "
                               f"({rule.budget_percent} % of the {obj.window_days}-day "
                               f"budget in {rule.long}; objective {obj.availability:g} %)",
                    "dashboard": dashboard_link(base_url, item["endpoint"])}})
    # one group: its rules run in order at one instant, so each alert reads the ratios
    # recorded at that instant (in two groups it could read the ones of the step before)
    return {"groups": [{"name": "mlkpi-slo", "rules": records + alerts}]}


def sloth_specs(items: list[dict[str, Any]], series: PromSeries,
                base_url: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """[(window days, Sloth prometheus/v1 spec)]: one spec per team and window, one SLO per
    endpoint. Sloth takes the window from ``--default-slo-period``, not from the spec."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault((str(item["team"]), item["objective"].window_days), []).append(item)
    specs = []
    for (team, days), members in sorted(groups.items()):
        slos = [{
            "name": f"{item['endpoint']}-availability",
            "objective": item["objective"].availability,
            "description": f"Requests of {item['endpoint']} (tier {item['tier']}) that are "
                           f"not errors, as mlkpi measures them.",
            "labels": {"endpoint": item["endpoint"], "tier": str(item["tier"])},
            "sli": {"events": {"error_query": _only(series.errors, series, item["endpoint"]),
                               "total_query": _only(series.requests, series,
                                                    item["endpoint"])}},
            "alerting": {"name": ALERT, "labels": {"endpoint": item["endpoint"]},
                         "annotations": {"dashboard": dashboard_link(base_url,
                                                                     item["endpoint"])},
                         "page_alert": {"labels": {"severity": "page"}},
                         "ticket_alert": {"labels": {"severity": "ticket"}}},
        } for item in members]
        specs.append((days, {"version": "prometheus/v1", "service": team,
                             "labels": {"team": team}, "slos": slos}))
    return specs


def _only(query: str, series: PromSeries, endpoint: str) -> str:
    """The map's query kept to one endpoint, with Sloth's window placeholder:
    (Q) and on (L) label_replace(vector(1), "L", "ranker-v2", "", "")."""
    q = query.replace(STEP, "{{.window}}")
    return (f"({q}) and on ({series.label}) label_replace(vector(1), "
            f"{json.dumps(series.label)}, {json.dumps(endpoint)}, \"\", \"\")")


def render(fmt: str, items: list[dict[str, Any]], series: PromSeries,
           base_url: str | None = None) -> str:
    """The YAML text of ``fmt`` ('prometheus' or 'sloth')."""
    head = "# Generated by 'mlkpi slo rules'; regenerate rather than edit.\n"
    if fmt == "prometheus":
        return head + _yaml(prometheus_rules(items, series, base_url))
    docs = [f"# sloth generate --default-slo-period={days}d -i THIS_FILE\n" + _yaml(spec)
            for days, spec in sloth_specs(items, series, base_url)]
    return head + "---\n".join(docs)


def _yaml(data: Any) -> str:
    """YAML with multi-line expressions as literal blocks (``expr: |``), keys in order."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
