"""`mlkpi slo rules`: the objectives as Prometheus rules (checked and unit-tested by the
real promtool) and as Sloth specs, over the import map's [prometheus] series.

The promtool case feeds 1-minute counter samples: 5 clean hours of 1000 requests a
minute, then one hour with e errors a minute. At 6h, over the last hour (and the last 5
minutes) the error ratio is e ÷ 1000; the budget of 99.9 % is 0.001, so the burn is e:
  e = 14.5 → 14.5 > 14.4: the 1h/5m page fires;  e = 14 → 14 ≤ 14.4: it stays quiet.
Either way the 6h ratio is e ÷ 6 per mille (2.42 or 2.33 > 1 but < 6): the 3d/6h ticket
fires and the 6h/30m page does not; the 1d ratio equals the 6h one (the counters start at
0 at 0h: no extrapolation), so 1d/2h (> 3) does not fire.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sli_rows import sli

from metrics.cli.main import main
from metrics.slo.alerts import ALERT_RULES
from metrics.slo.objectives import Objective
from metrics.slo.rules import PromSeries, RulesError, alert_expr, load_series

T = datetime(2026, 7, 10, 12, tzinfo=UTC)
MAP = """\
[prometheus]
endpoint = "label:destination_service"
requests = 'sum by (destination_service) (increase(istio_requests_total[{{step}}]))'
errors = '''sum by (destination_service) (increase(istio_requests_total{response_code=~"5.."}\
[{{step}}]))'''
"""
SERIES = PromSeries("destination_service",
                    "sum by (destination_service) (increase(reqs[{{step}}]))",
                    "sum by (destination_service) (increase(errs[{{step}}]))")
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None and not os.environ.get("CI"),
                                    reason="promtool (Debian prometheus) is not installed")


@pytest.fixture
def rules_setup(make_store, tmp_path):
    db = make_store({"inference_sli": [
        sli("ranker-v2", T - timedelta(hours=1), 1000),
        sli("search-v1", T - timedelta(hours=1), 1000),
        sli("feed", T - timedelta(hours=1), 1000, tier=2, team="ads")]})
    (tmp_path / "map.toml").write_text(MAP, encoding="utf-8")
    (tmp_path / "org.toml").write_text(
        '[dashboard]\nurl = "https://kpi.example.org"\n'
        '[slo.tier.2]\nwindow_days = 28\n', encoding="utf-8")
    return db, tmp_path


def generate(db: Path, folder: Path, fmt: str = "prometheus") -> Path:
    out = folder / f"rules-{fmt}.yml"
    assert main(["--db", str(db), "--config", str(folder / "org.toml"), "slo", "rules",
                 "--format", fmt, "--map", str(folder / "map.toml"), "--out", str(out)]) == 0
    return out


def test_page_row_expression_pinned():
    # 99.9 % over 30 days: 14.4 × (1 − 0.999)
    assert alert_expr(SERIES, "ranker-v2", Objective(99.9, 300, 30, "default"),
                      ALERT_RULES[0]) == (
        'mlkpi:sli_error:ratio_rate1h{destination_service="ranker-v2"} > (14.4 * (1 - 0.999))'
        '\nand\n'
        'mlkpi:sli_error:ratio_rate5m{destination_service="ranker-v2"} > (14.4 * (1 - 0.999))')


def test_thresholds_follow_each_endpoints_window(rules_setup):
    db, folder = rules_setup
    [group] = yaml.safe_load(generate(db, folder).read_text())["groups"]
    records = [r for r in group["rules"] if "record" in r]
    alerts = [r for r in group["rules"] if "alert" in r]
    assert group["rules"] == records + alerts  # recorded first: alerts read this instant's
    assert [r["record"] for r in records] == [f"mlkpi:sli_error:ratio_rate{w}" for w in
                                              ("5m", "30m", "1h", "2h", "6h", "1d", "3d")]
    assert records[0]["expr"] == (
        '(sum by (destination_service) (increase(istio_requests_total{response_code=~"5.."}'
        '[5m])))\n/\n(sum by (destination_service) (increase(istio_requests_total[5m])))')
    feed = {a["labels"]["long"]: a["expr"] for a in alerts if a["labels"]["endpoint"] == "feed"}
    # tier 2: 99.5 %, window 28 days (the config): 13.44, 5.6, 2.8, 0.9333…
    assert "> (13.44 * (1 - 0.995))" in feed["1h"]
    assert "> (5.6 * (1 - 0.995))" in feed["6h"]
    assert "> (2.8 * (1 - 0.995))" in feed["1d"]
    assert "> (0.9333333333333333 * (1 - 0.995))" in feed["3d"]
    ranker = [a for a in alerts if a["labels"]["endpoint"] == "ranker-v2"]
    assert [(a["labels"]["severity"], a["labels"]["long"], a["labels"]["short"])
            for a in ranker] == [("page", "1h", "5m"), ("page", "6h", "30m"),
                                 ("ticket", "1d", "2h"), ("ticket", "3d", "6h")]
    assert ranker[0]["annotations"]["dashboard"] == \
        "https://kpi.example.org/slo?endpoint=ranker-v2"


@needs_promtool
def test_promtool_checks_the_rules_and_the_page_fires_above_14_4(rules_setup):
    db, folder = rules_setup
    rules = generate(db, folder)
    check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 19 rules found" in check.stdout   # 7 records + 3 endpoints × 4 rows
    cases = folder / "cases.yml"
    cases.write_text(yaml.safe_dump({
        "rule_files": [rules.name], "evaluation_interval": "1m",
        "tests": [_burn_case(14.5, page=True), _burn_case(14, page=False)]}),
        encoding="utf-8")
    test = subprocess.run(["promtool", "test", "rules", cases.name], cwd=folder,
                          capture_output=True, text=True)
    assert test.returncode == 0, test.stdout + test.stderr


def _burn_case(errors_a_minute: float, page: bool) -> dict:
    ok = 1000 - errors_a_minute
    labels = {"destination_service": "ranker-v2", "endpoint": "ranker-v2", "team": "search",
              "tier": "1"}
    ticket = {**labels, "severity": "ticket", "long": "3d", "short": "6h"}
    fast = {**labels, "severity": "page", "long": "1h", "short": "5m"}

    def alert(lbls: dict, summary: str) -> dict:
        return {"exp_labels": lbls, "exp_annotations": {
            "summary": summary, "dashboard": "https://kpi.example.org/slo?endpoint=ranker-v2"}}
    expected = [alert(ticket, "ranker-v2 (search) burns its error budget above 1x over 3d and "
                              "6h (10 % of the 30-day budget in 3d; objective 99.9 %)")]
    if page:
        expected.insert(0, alert(fast, "ranker-v2 (search) burns its error budget above 14.4x "
                                       "over 1h and 5m (2 % of the 30-day budget in 1h; "
                                       "objective 99.9 %)"))
    series = 'istio_requests_total{destination_service="ranker-v2",response_code="%s"}'
    return {"interval": "1m", "input_series": [
        {"series": series % "200", "values": f"0+1000x300 {300000 + ok}+{ok}x59"},
        {"series": series % "503", "values": f"0+0x300 {errors_a_minute}+{errors_a_minute}x59"},
    ], "alert_rule_test": [{"eval_time": "6h", "alertname": "MlkpiErrorBudgetBurn",
                            "exp_alerts": expected}]}


def test_sloth_specs_one_per_team_and_window(rules_setup):
    db, folder = rules_setup
    text = generate(db, folder, "sloth").read_text()
    docs = list(yaml.safe_load_all(text))
    assert [(d["service"], [s["name"] for s in d["slos"]]) for d in docs] == [
        ("ads", ["feed-availability"]),
        ("search", ["ranker-v2-availability", "search-v1-availability"])]
    assert "# sloth generate --default-slo-period=28d" in text.split("---")[0]
    ranker = docs[1]["slos"][0]
    assert ranker["objective"] == 99.9
    assert ranker["sli"]["events"]["error_query"] == (
        '(sum by (destination_service) (increase(istio_requests_total{response_code=~"5.."}'
        '[{{.window}}]))) and on (destination_service) label_replace(vector(1), '
        '"destination_service", "ranker-v2", "", "")')
    assert ranker["alerting"]["page_alert"] == {"labels": {"severity": "page"}}


@pytest.mark.parametrize(("text", "message"), [
    (None, "give the import map with --map"),
    ("[team]\ndefault = 'x'\n", "[prometheus] requests is missing"),
    ("[prometheus]\nendpoint = 'label:svc'\nrequests = 'sum(x[{{step}}])'\n",
     "[prometheus] errors is missing"),
    ("[prometheus]\nendpoint = 'label:a b'\nrequests = 'a[{{step}}]'\nerrors = 'b[{{step}}]'\n",
     "endpoint must name a label"),
    ("[prometheus]\nendpoint = 'label:svc'\nrequests = 'a[5m]'\nerrors = 'b[{{step}}]'\n",
     "[prometheus] requests has no {{step}}"),
    ("[prometheus]\nrequest = 'a'\n", "unknown key 'prometheus.request'"),
    ("[prometheus\n", "is not valid TOML"),
])
def test_map_problems_are_one_sentence(tmp_path, text, message):
    path = None
    if text is not None:
        path = tmp_path / "map.toml"
        path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("{", r"\{")):
        load_series(path)


def test_endpoint_label_as_mlkpi_import_reads_it(tmp_path):
    # the importer's default (label:service) and a bare label name are read alike
    path = tmp_path / "map.toml"
    path.write_text("[prometheus]\nrequests = 'a[{{step}}]'\nerrors = 'b[{{step}}]'\n",
                    encoding="utf-8")
    assert load_series(path) == PromSeries("service", "a[{{step}}]", "b[{{step}}]")
    path.write_text("[prometheus]\nendpoint = 'app'\nrequests = 'a[{{step}}]'\n"
                    "errors = 'b[{{step}}]'\n", encoding="utf-8")
    assert load_series(path).label == "app"


def test_cli_says_what_is_missing(make_store, tmp_path, capsys):
    db = make_store({})
    (tmp_path / "map.toml").write_text(MAP, encoding="utf-8")
    assert main(["--db", str(db), "slo", "rules", "--map", str(tmp_path / "map.toml")]) == 2
    assert "no endpoint has SLI rows in the store" in capsys.readouterr().err
