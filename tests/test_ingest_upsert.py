"""Keys: idempotent re-ingest, replaced rows kept in history, duplicates in one batch."""

from __future__ import annotations

from conftest import write_csv
from fixtures.rows import count, expected_rows, new_db, stored, text_rows

from metrics.ingest.run import ingest
from metrics.store.db import connect_read


def _all(db, sql):
    con = connect_read(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_same_file_twice_is_idempotent(tmp_path):
    path = write_csv(tmp_path / "d.csv", text_rows("deployment"))
    db = new_db(tmp_path)
    first = ingest(db, "deployment", [str(path)])
    assert (first.inserted, first.updated, first.duplicates) == (2, 0, 0)
    second = ingest(db, "deployment", [str(path)])
    assert (second.exit_code, second.inserted, second.updated, second.duplicates) == (0, 0, 0, 2)
    assert stored(db, "deployment") == expected_rows("deployment")
    assert count(db, "deployment_history") == 0


def test_same_rows_in_another_format_are_duplicates(tmp_path):
    """Stored values are typed: '1' in CSV and 1 in JSON are the same content."""
    import json

    db = new_db(tmp_path)
    ingest(db, "inference_sli", [str(write_csv(tmp_path / "s.csv", text_rows("inference_sli")))])
    jl = tmp_path / "s.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in text_rows("inference_sli")))
    again = ingest(db, "inference_sli", [str(jl)])
    assert (again.inserted, again.updated, again.duplicates) == (0, 0, 2)


def test_changed_row_replaces_and_the_old_version_goes_to_history(tmp_path):
    rows = text_rows("incident")
    db = new_db(tmp_path)
    ingest(db, "incident", [str(write_csv(tmp_path / "a.csv", rows))])
    (first_id,) = _all(db, "SELECT DISTINCT _ingest_id FROM incident")[0]
    rows[1]["mitigated_at"] = "2026-08-02T03:00:00Z"  # the incident was mitigated later
    result = ingest(db, "incident", [str(write_csv(tmp_path / "b.csv", rows))])
    assert (result.exit_code, result.inserted, result.updated, result.duplicates) == (0, 0, 1, 1)
    new = expected_rows("incident")
    new[1] = new[1][:8] + (new[1][7].replace(hour=3),)
    assert stored(db, "incident") == new
    history = _all(db, "SELECT incident_id, mitigated_at, _ingest_id, _replaced_by "
                       "FROM incident_history")
    (second_id,) = _all(db, "SELECT _ingest_id FROM incident WHERE incident_id = 'i2'")[0]
    assert second_id > first_id
    assert history == [("i2", None, first_id, second_id)]
    assert _all(db, "SELECT count(*) FROM incident_history WHERE _replaced_at IS NULL") == [(0,)]


def test_a_row_replaced_twice_keeps_both_old_versions(tmp_path):
    db = new_db(tmp_path)
    for cost in ("1", "2", "3"):
        rows = text_rows("training_run")
        rows[0]["cost_usd"] = cost
        ingest(db, "training_run", [str(write_csv(tmp_path / f"{cost}.csv", rows))])
    assert [r[5] for r in stored(db, "training_run")] == [3.0, 0.0]
    assert _all(db, "SELECT cost_usd FROM training_run_history ORDER BY _replaced_by") == [
        (1.0,), (2.0,)]


def test_composite_key(tmp_path):
    """cost's key is (date, team, service, category): another category is another row."""
    rows = text_rows("cost")
    db = new_db(tmp_path)
    ingest(db, "cost", [str(write_csv(tmp_path / "a.csv", rows))])
    more = [{**rows[0], "category": "storage", "inferences": ""},  # new key
            {**rows[0], "cost_usd": "13"}]                          # same key, changed
    result = ingest(db, "cost", [str(write_csv(tmp_path / "b.csv", more))])
    assert (result.inserted, result.updated, result.duplicates) == (1, 1, 0)
    assert count(db, "cost") == 3 and count(db, "cost_history") == 1


def test_timestamp_key_compares_instants_not_text(tmp_path):
    """00:00Z and 02:00+02:00 are the same window: an identical row, not a second one."""
    rows = text_rows("inference_sli")[:1]
    db = new_db(tmp_path)
    ingest(db, "inference_sli", [str(write_csv(tmp_path / "a.csv", rows))])
    rows[0]["window_start"] = "2026-09-01T02:00:00+02:00"
    again = ingest(db, "inference_sli", [str(write_csv(tmp_path / "b.csv", rows))])
    assert (again.inserted, again.duplicates) == (0, 1)
    assert count(db, "inference_sli") == 1


def test_identical_repeats_in_one_batch_are_duplicates(tmp_path):
    good = text_rows("team")
    path = write_csv(tmp_path / "t.csv", [good[0], good[1], good[0], good[0]])
    db = new_db(tmp_path)
    result = ingest(db, "team", [str(path)])
    assert (result.exit_code, result.inserted, result.duplicates, result.quarantined) == \
        (0, 2, 2, 0)
    assert stored(db, "team") == expected_rows("team")


def test_identical_repeats_across_files_of_one_batch_are_duplicates(tmp_path):
    a = write_csv(tmp_path / "a.csv", text_rows("team"))
    b = write_csv(tmp_path / "b.csv", text_rows("team")[:1])
    result = ingest(new_db(tmp_path), "team", [str(a), str(b)])
    assert (result.exit_code, result.inserted, result.duplicates) == (0, 2, 1)


def test_conflicting_repeats_in_one_batch_are_all_quarantined(tmp_path):
    """Which of two versions in one batch is right cannot be known: neither is stored."""
    good = text_rows("deployment")
    other = {**good[0], "model": "ranker-v3"}
    path = write_csv(tmp_path / "d.csv", [good[0], good[1], other])
    db = new_db(tmp_path)
    result = ingest(db, "deployment", [str(path)])
    assert (result.exit_code, result.inserted, result.quarantined) == (1, 1, 2)
    reason = ("the same deployment_id appears more than once in this batch with different "
              "content; keep one version")
    assert [(e["line"], e["column"], e["reason"]) for e in result.errors] == [
        (2, "deployment_id", reason), (4, "deployment_id", reason)]
    assert stored(db, "deployment") == expected_rows("deployment")[1:]


def test_conflict_with_an_already_stored_row_does_not_touch_it(tmp_path):
    good = text_rows("deployment")
    db = new_db(tmp_path)
    ingest(db, "deployment", [str(write_csv(tmp_path / "a.csv", good))])
    a, b = {**good[0], "tier": "2"}, {**good[0], "tier": "3"}
    result = ingest(db, "deployment", [str(write_csv(tmp_path / "b.csv", [a, b]))])
    assert (result.exit_code, result.updated, result.quarantined) == (1, 0, 2)
    assert stored(db, "deployment") == expected_rows("deployment")
    assert count(db, "deployment_history") == 0


def test_a_conflict_where_one_version_is_the_stored_one_changes_nothing(tmp_path):
    """The stored version given again beside another: both are quarantined, and the
    stored row stays, with no history (the write that found the repeat was undone)."""
    good = text_rows("deployment")
    db = new_db(tmp_path)
    ingest(db, "deployment", [str(write_csv(tmp_path / "a.csv", good))])
    other = {**good[0], "tier": "3"}
    result = ingest(db, "deployment", [str(write_csv(tmp_path / "b.csv", [good[0], other]))])
    assert (result.inserted, result.updated, result.duplicates, result.quarantined) == \
        (0, 0, 0, 2)
    assert stored(db, "deployment") == expected_rows("deployment")
    assert count(db, "deployment_history") == 0
    assert _all(db, "SELECT ingest_id, inserted, quarantined FROM ingest_log "
                    "ORDER BY ingest_id") == [(1, 2, 0), (2, 0, 2)]


def test_a_changed_row_given_twice_replaces_the_stored_one_once(tmp_path):
    """Two identical copies of a new version: one update, one duplicate, one old version
    in history."""
    rows = text_rows("incident")
    db = new_db(tmp_path)
    ingest(db, "incident", [str(write_csv(tmp_path / "a.csv", rows))])
    later = {**rows[1], "mitigated_at": "2026-08-02T03:00:00Z"}
    result = ingest(db, "incident", [str(write_csv(tmp_path / "b.csv", [later, later]))])
    assert (result.exit_code, result.inserted, result.updated, result.duplicates) == \
        (0, 0, 1, 1)
    assert _all(db, "SELECT incident_id, mitigated_at FROM incident_history") == [("i2", None)]
    assert count(db, "incident") == 2
    assert _all(db, "SELECT ingest_id, updated, duplicates FROM ingest_log "
                    "ORDER BY ingest_id") == [(1, 0, 0), (2, 1, 1)]


def test_strict_refuses_a_batch_whose_only_problem_is_a_conflicting_repeat(tmp_path):
    good = text_rows("deployment")
    other = {**good[0], "model": "ranker-v3"}
    db = new_db(tmp_path)
    result = ingest(db, "deployment", [str(write_csv(tmp_path / "d.csv", [good[0], other]))],
                    strict=True)
    assert (result.strict_rejected, result.quarantined, result.committed) == (True, 2, False)
    assert count(db, "deployment") == 0 and count(db, "ingest_log") == 0


def test_conflict_on_a_composite_key_with_a_repeat(tmp_path):
    rows = text_rows("roadmap_item")
    changed = {**rows[0], "delivered": "true"}
    path = write_csv(tmp_path / "r.csv", [rows[0], rows[0], changed, rows[1]])
    result = ingest(new_db(tmp_path), "roadmap_item", [str(path)])
    assert (result.inserted, result.duplicates, result.quarantined) == (1, 0, 3)
    assert [e["line"] for e in result.errors] == [2, 3, 4]


def test_an_invalid_repeat_does_not_make_a_conflict(tmp_path):
    """A broken copy of a row is quarantined for its own reason; the good copy is stored."""
    good = text_rows("team")[0]
    path = write_csv(tmp_path / "t.csv", [good, {**good, "team": ""}])
    result = ingest(new_db(tmp_path), "team", [str(path)])
    assert (result.inserted, result.quarantined) == (1, 1)
    assert result.errors[0]["reason"] == "team is missing"


def test_ingest_log_records_each_run(tmp_path):
    path = write_csv(tmp_path / "t.csv", text_rows("team"))
    db = new_db(tmp_path)
    ingest(db, "team", [str(path)])
    ingest(db, "team", [str(path)])
    assert _all(db, "SELECT ingest_id, kind, inserted, duplicates FROM ingest_log "
                    "ORDER BY ingest_id") == [(1, "team", 2, 0), (2, "team", 0, 2)]
