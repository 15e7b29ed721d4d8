"""The fictional ML organisation behind the sample: teams, models, endpoints, pipelines.

Small scale is the hand-written org below. Large scale copies it ``factor`` times
(``search``, ``search-2``, … ``search-5``) and tops the endpoints up to 200.
"""

from __future__ import annotations

from metrics.sample.common import Endpoint, Model, Org, Pipeline, Team

TEAMS = (
    ("search", "applied", "Priya Raman"),
    ("ranking", "applied", "Marco Bianchi"),
    ("fraud", "applied", "Aisha Okafor"),
    ("growth", "applied", "Tom Lindqvist"),
    ("platform", "platform", "Chen Wei"),
    ("forecasting", "applied", "Sofia Alvarez"),
)
EXTRA_LEADS = ("Noah Fischer", "Lena Kowalski", "Ravi Patel", "Emma Dubois", "Kenji Sato",
               "Grace Mensah", "Omar Haddad", "Julia Novak", "Diego Ramos", "Hana Kim")

# name, team, tier, metric, higher_is_better, baseline, added, retired, drifting
MODELS = (
    ("query-intent", "search", 1, "ndcg", True, 0.62, 0.0, None, False),
    ("query-embed", "search", 2, "recall_at_10", True, 0.71, 0.0, None, False),
    ("spell-correct", "search", 3, "precision", True, 0.88, 0.0, None, False),
    ("doc-classifier", "search", 3, "f1", True, 0.79, 0.62, None, False),
    ("feed-ranker", "ranking", 1, "ctr", True, 0.041, 0.0, None, False),
    ("ads-ranker", "ranking", 1, "ctr", True, 0.027, 0.0, None, True),
    ("reranker-xl", "ranking", 2, "ndcg", True, 0.55, 0.0, None, False),
    ("legacy-ctr", "ranking", 2, "ctr", True, 0.035, 0.0, 0.3, False),
    ("txn-fraud", "fraud", 1, "precision", True, 0.91, 0.0, None, False),
    ("account-takeover", "fraud", 1, "recall", True, 0.83, 0.0, None, False),
    ("chargeback-risk", "fraud", 2, "auc", True, 0.87, 0.0, None, False),
    ("rules-scorer-v1", "fraud", 3, "precision", True, 0.74, 0.0, 0.45, False),
    ("churn-predictor", "growth", 2, "churn_rate", False, 0.052, 0.0, None, True),
    ("upsell-propensity", "growth", 3, "auc", True, 0.76, 0.0, None, False),
    ("ltv-model", "growth", 3, "mape", False, 0.18, 0.0, None, False),
    ("notif-timing", "growth", 3, "open_rate", True, 0.21, 0.78, None, False),
    ("embedding-service", "platform", 2, "recall_at_10", True, 0.68, 0.0, None, False),
    ("anomaly-detector", "platform", 3, "precision", True, 0.81, 0.0, None, False),
    ("demand-forecast", "forecasting", 2, "mape", False, 0.12, 0.0, None, False),
    ("inventory-forecast", "forecasting", 3, "mape", False, 0.15, 0.0, None, False),
    ("price-elasticity", "forecasting", 3, "r2", True, 0.64, 0.2, None, False),
)

# name, team, tier, requests/s, p95 as a share of the objective
ENDPOINTS = (
    ("search-query", "search", 1, 180.0, 0.65),  # fast burn now (page)
    ("search-autocomplete", "search", 2, 120.0, 0.70),  # latency regression yesterday
    ("ranking-feed", "ranking", 1, 150.0, 0.70),
    ("ranking-ads", "ranking", 1, 90.0, 0.62),  # big burst ~10 days ago
    ("fraud-score", "fraud", 1, 60.0, 0.68),  # slow burn over 2 days (ticket)
    ("fraud-chargeback", "fraud", 2, 8.0, 0.60),
    ("growth-churn", "growth", 2, 5.0, 0.72),
    ("growth-upsell", "growth", 3, 2.0, 0.65),  # two zero-request windows
    ("forecasting-demand", "forecasting", 2, 3.0, 0.75),
    ("forecasting-inventory", "forecasting", 3, 1.5, 0.70),
    ("platform-embeddings", "platform", 2, 70.0, 0.66),
    ("platform-batch-scoring", "platform", 3, 4.0, 0.60),
)

# name, team, tier, daily hour
PIPELINES = (
    ("search-features-rt", "search", 1, 0),
    ("fraud-txn-features", "fraud", 1, 0),
    ("ranking-click-logs", "ranking", 2, 2),
    ("ranking-ads-features", "ranking", 2, 3),
    ("growth-user-events", "growth", 2, 1),
    ("growth-crm-sync", "growth", 3, 5),
    ("forecasting-sales-etl", "forecasting", 2, 4),
    ("forecasting-weather", "forecasting", 3, 6),
    ("platform-feature-backfill", "platform", 2, 1),
    ("platform-registry-sync", "platform", 3, 7),
)

LARGE_FACTOR = 5
LARGE_ENDPOINTS = 200


def build_org(scale: str) -> Org:
    """``build_org("small")`` -> 6 teams, 21 models, 12 endpoints, 10 pipelines."""
    factor = LARGE_FACTOR if scale == "large" else 1
    teams, models, endpoints, pipelines = [], [], [], []
    for copy in range(factor):
        sfx = "" if copy == 0 else f"-{copy + 1}"
        for i, (name, area, lead) in enumerate(TEAMS):
            who = lead if copy == 0 else EXTRA_LEADS[(copy * len(TEAMS) + i) % len(EXTRA_LEADS)]
            teams.append(Team(name + sfx, area, who, name, copy))
        models += [Model(m[0] + sfx, m[1] + sfx, *m[2:]) for m in MODELS]
        endpoints += [Endpoint(e[0] + sfx, e[1] + sfx, *e[2:]) for e in ENDPOINTS]
        pipelines += [Pipeline(p[0] + sfx, p[1] + sfx, *p[2:]) for p in PIPELINES]
    if scale == "large":
        endpoints += _filler_endpoints(teams, LARGE_ENDPOINTS - len(endpoints))
    endpoints.sort(key=lambda e: e.name)
    return Org(teams, models, endpoints, pipelines)


def _filler_endpoints(teams: list[Team], n: int) -> list[Endpoint]:
    """Plain healthy endpoints, spread over the teams: 'ranking-3-svc07'."""
    out = []
    for j in range(n):
        team = teams[j % len(teams)].name
        tier = (1, 2, 2, 3, 3)[j % 5]
        rps = (40.0, 12.0, 6.0, 3.0, 1.0)[j % 5]
        out.append(Endpoint(f"{team}-svc{j // len(teams):02d}", team, tier, rps,
                            0.55 + 0.04 * (j % 5)))
    return out


def team_rows(org: Org) -> list[tuple]:
    return sorted((t.name, t.area, t.lead) for t in org.teams)
