"""Each rule of ``events.md``: a file of one good row and one row that breaks the rule.

The bad row is quarantined with the reason (and the column it names), the good row
IS stored in the same run, and the exit status is 1.
"""

from __future__ import annotations

import pytest
from conftest import write_csv
from fixtures.rows import GOOD, count, expected_rows, new_db, quarantine, stored, text_rows

from metrics.ingest.run import ingest

# (kind, changes to the second good row, [(column, reason), ...])
CASES = [
    ("deployment", {"spec_approved_at": "2026-07-03T00:00:01Z"},
     [("deployed_at", "deployed_at is before spec_approved_at")]),
    ("deployment", {"tier": "4"}, [("tier", "tier must be one of 1, 2, 3")]),
    ("deployment", {"tier": "0"}, [("tier", "tier must be one of 1, 2, 3")]),
    ("pipeline_run", {"tier": "-1"}, [("tier", "tier must be one of 1, 2, 3")]),
    ("incident", {"severity": "SEV5"},
     [("severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")]),
    ("defect", {"severity": "critical"},
     [("severity", "severity must be one of SEV1, SEV2, SEV3, SEV4")]),
    ("incident", {"cause": "weather"}, [(
        "cause",
        "cause must be one of drift, data_quality, pipeline, infrastructure, code, other")]),
    ("defect", {"stage": "staging"}, [("stage", "stage must be one of pre_release, post_release")]),
    ("training_run", {"status": "running"},
     [("status", "status must be one of succeeded, failed, cancelled")]),
    ("pipeline_run", {"status": "succeeded"},
     [("status", "status must be one of success, failed")]),
    ("cost", {"category": "compute"},
     [("category", "category must be one of inference, training, storage, other")]),
    ("survey_response", {"survey": "pulse"},
     [("survey", "survey must be one of stakeholder_satisfaction, engagement")]),
    ("incident", {"onset_at": "2026-08-02T00:00:01Z", "detected_at": "2026-08-02T00:00:00Z"},
     [("detected_at", "detected_at is before onset_at")]),
    ("incident", {"mitigated_at": "2026-08-01T23:59:59Z"},
     [("mitigated_at", "mitigated_at is before detected_at")]),
    ("inference_sli", {"window_seconds": "0"},
     [("window_seconds", "window_seconds must be above 0")]),
    ("inference_sli", {"window_seconds": "-60"},
     [("window_seconds", "window_seconds must be above 0")]),
    ("inference_sli", {"requests": "-1"},
     [("requests", "requests must be 0 or more"), ("errors", "errors is greater than requests")]),
    ("inference_sli", {"requests": "10", "errors": "11"},
     [("errors", "errors is greater than requests")]),
    ("inference_sli", {"requests": "10", "errors": "-1"}, [("errors", "errors must be 0 or more")]),
    ("inference_sli", {"latency_p95_ms": "-0.5"},
     [("latency_p95_ms", "latency_p95_ms must be 0 or more")]),
    ("inference_sli", {"latency_p95_ms": "300", "latency_p99_ms": "250"},
     [("latency_p99_ms", "latency_p99_ms is below latency_p95_ms")]),
    ("cost", {"cost_usd": "-0.01"}, [("cost_usd", "cost_usd must be 0 or more")]),
    ("training_run", {"cost_usd": "-5"}, [("cost_usd", "cost_usd must be 0 or more")]),
    ("cost", {"inferences": "-1"}, [("inferences", "inferences must be 0 or more")]),
    ("model_performance", {"baseline": "0"}, [("baseline", "baseline must not be 0")]),
    ("model_performance", {"baseline": "-0.0"}, [("baseline", "baseline must not be 0")]),
    ("model_performance", {"value": "NaN"}, [("value", "value must be a finite number")]),
    ("model_performance", {"value": "inf"}, [("value", "value must be a finite number")]),
    ("model_performance", {"value": "-Infinity"}, [("value", "value must be a finite number")]),
    ("model_performance", {"baseline": "inf"}, [("baseline", "baseline must be a finite number")]),
    ("model_performance", {"value": "0,42"}, [("value", "value must be a finite number")]),
    ("survey_response", {"score": "0.99"}, [("score", "score must be between 1 and 5")]),
    ("survey_response", {"score": "5.5"}, [("score", "score must be between 1 and 5")]),
    ("roadmap_item", {"quarter": "2026-Q4"}, [("quarter", "quarter must look like 2026Q3")]),
    ("roadmap_item", {"quarter": "2026Q5"}, [("quarter", "quarter must look like 2026Q3")]),
    ("roadmap_item", {"quarter": "26Q4"}, [("quarter", "quarter must look like 2026Q3")]),
    ("hiring_req", {"filled_at": "2026-06-30T23:59:59Z"},
     [("filled_at", "filled_at is before opened_at")]),
    ("headcount", {"headcount": "-1"}, [("headcount", "headcount must be 0 or more")]),
    ("headcount", {"departures": "-1"}, [
        ("departures", "departures must be 0 or more"),
        ("regretted_departures", "regretted_departures is greater than departures")]),
    ("headcount", {"departures": "1", "regretted_departures": "-1"},
     [("regretted_departures", "regretted_departures must be 0 or more")]),
    ("headcount", {"departures": "1", "regretted_departures": "2"},
     [("regretted_departures", "regretted_departures is greater than departures")]),
    # missing values: empty, blank after trimming, in required columns of every type
    ("deployment", {"team": ""}, [("team", "team is missing")]),
    ("deployment", {"model": "   "}, [("model", "model is missing")]),
    ("deployment", {"tier": ""}, [("tier", "tier is missing")]),
    ("deployment", {"deployed_at": ""}, [("deployed_at", "deployed_at is missing")]),
    ("deployment", {"automated": " "}, [("automated", "automated is missing")]),
    ("cost", {"cost_usd": ""}, [("cost_usd", "cost_usd is missing")]),
    ("headcount", {"snapshot_date": ""}, [("snapshot_date", "snapshot_date is missing")]),
    # values that are not of the column's type
    ("deployment", {"automated": "maybe"},
     [("automated", "automated must be true/false, 1/0 or yes/no")]),
    ("deployment", {"rollback": "t"}, [("rollback", "rollback must be true/false, 1/0 or yes/no")]),
    ("deployment", {"tier": "1.5"}, [("tier", "tier must be a whole number")]),
    ("inference_sli", {"requests": "one"}, [("requests", "requests must be a whole number")]),
    ("inference_sli", {"requests": "15e-1"}, [("requests", "requests must be a whole number")]),
    ("inference_sli", {"requests": "0x10"}, [("requests", "requests must be a whole number")]),
    ("headcount", {"headcount": "1_000"}, [("headcount", "headcount must be a whole number")]),
    ("headcount", {"snapshot_date": "2026-13-01"},
     [("snapshot_date", "snapshot_date must be a date like 2026-07-01")]),
    ("cost", {"date": "01/09/2026"}, [("date", "date must be a date like 2026-07-01")]),
    ("cost", {"date": "2026-09-01T00:00:00Z"}, [("date", "date must be a date like 2026-07-01")]),
    ("defect", {"found_at": "yesterday"},
     [("found_at", "found_at must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")]),
    ("defect", {"found_at": "2026-02-30T10:00:00Z"},
     [("found_at", "found_at must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")]),
    ("defect", {"found_at": "2026-08-04"},
     [("found_at", "found_at must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")]),
    ("hiring_req", {"filled_at": "soon"},
     [("filled_at", "filled_at must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")]),
]


def _id(case) -> str:
    kind, change, _ = case
    return f"{kind}-" + "-".join(f"{k}={v}" for k, v in change.items())


@pytest.mark.parametrize(("kind", "change", "problems"), CASES, ids=[_id(c) for c in CASES])
def test_rule_breaking_row_is_quarantined_and_good_row_stored(tmp_path, kind, change, problems):
    good, bad = text_rows(kind)
    path = write_csv(tmp_path / f"{kind}.csv", [good, {**bad, **change}])
    db = new_db(tmp_path)
    result = ingest(db, kind, [str(path)])
    assert result.exit_code == 1
    assert (result.inserted, result.updated, result.duplicates, result.quarantined) == (1, 0, 0, 1)
    assert sorted((e["file"], e["line"], e["column"], e["reason"]) for e in result.errors) == \
        sorted((str(path), 3, col, reason) for col, reason in problems)
    assert stored(db, kind) == [GOOD[kind][0][1]]
    assert quarantine(db) == sorted((kind, path.name, 3, c, r) for c, r in problems)


def test_one_row_breaking_several_rules_gets_every_reason(tmp_path):
    good, bad = text_rows("deployment")
    bad |= {"tier": "1.5", "automated": "maybe", "team": "", "deployed_at": "2026-07-02"}
    path = write_csv(tmp_path / "d.csv", [good, bad])
    db = new_db(tmp_path)
    result = ingest(db, "deployment", [str(path)])
    assert result.quarantined == 1  # one row, four reasons
    assert sorted((e["column"], e["reason"]) for e in result.errors) == [
        ("automated", "automated must be true/false, 1/0 or yes/no"),
        ("deployed_at", "deployed_at must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z"),
        ("team", "team is missing"),
        ("tier", "tier must be a whole number"),
    ]
    assert stored(db, "deployment") == [GOOD["deployment"][0][1]]


def test_boundaries_that_are_allowed(tmp_path):
    """Equal timestamps, errors == requests, p99 == p95, score 1 and 5, zero costs."""
    sli = text_rows("inference_sli")
    sli[0] |= {"requests": "5", "errors": "5", "latency_p95_ms": "0", "latency_p99_ms": "0"}
    sli[1] |= {"latency_p95_ms": "", "latency_p99_ms": "10"}  # p99 alone is fine
    db = new_db(tmp_path)
    result = ingest(db, "inference_sli", [str(write_csv(tmp_path / "s.csv", sli))])
    assert (result.exit_code, result.inserted) == (0, 2)
    assert [r[5:] for r in stored(db, "inference_sli")] == [(5, 5, 0.0, 0.0), (0, 0, None, 10.0)]


def test_optional_values_left_empty_or_absent(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "rollback"} for r in text_rows("deployment")]
    db = new_db(tmp_path)
    result = ingest(db, "deployment", [str(write_csv(tmp_path / "d.csv", rows))])
    assert result.exit_code == 0
    assert [r[-1] for r in stored(db, "deployment")] == [False, False]  # default false


def test_whole_numbers_written_with_a_zero_fraction_and_a_sign(tmp_path):
    rows = text_rows("headcount")
    rows[0] |= {"headcount": "12.0", "departures": "+2"}
    db = new_db(tmp_path)
    assert ingest(db, "headcount", [str(write_csv(tmp_path / "h.csv", rows))]).exit_code == 0
    assert stored(db, "headcount") == expected_rows("headcount")


def test_all_rows_bad_stores_nothing_but_the_quarantine(tmp_path):
    rows = [{**r, "tier": "9"} for r in text_rows("pipeline_run")]
    db = new_db(tmp_path)
    result = ingest(db, "pipeline_run", [str(write_csv(tmp_path / "p.csv", rows))])
    assert (result.exit_code, result.inserted, result.quarantined) == (1, 0, 2)
    assert stored(db, "pipeline_run") == []
    assert count(db, "quarantine") == 2


def test_quarantine_keeps_the_row_verbatim(tmp_path):
    import json

    from metrics.store.db import connect_read

    good, bad = text_rows("team")
    bad = {"team": "", "area": "  spaced  ", "lead": "Ünïcode, \"quoted\""}
    db = new_db(tmp_path)
    ingest(db, "team", [str(write_csv(tmp_path / "t.csv", [good, bad]))])
    con = connect_read(db)
    (raw,) = con.execute("SELECT raw FROM quarantine").fetchone()
    con.close()
    assert json.loads(raw) == {"team": None, "area": "  spaced  ", "lead": 'Ünïcode, "quoted"'}
