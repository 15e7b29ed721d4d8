"""The import framework: timestamps, the map file, rules, the registry and the command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixtures.importing import fixture, query, run_import

from metrics.events import KINDS
from metrics.importers import all_keys, all_sources
from metrics.importers.base import Rec
from metrics.importers.mapfile import Key, MapError, load_map
from metrics.importers.rules import resolve
from metrics.importers.times import TimeProblem, parse_time

T = datetime(2021, 4, 28, 19, 50, tzinfo=UTC)


@pytest.mark.parametrize(("value", "zone", "epoch"), [
    ("2021-04-28T19:50:00Z", None, None),
    ("2021-04-28T20:50:00.000+0100", None, None),       # Jira: no colon in the offset
    ("2021-04-28 21:50:00 +0200", None, None),          # GitLab webhooks
    ("2021-04-28 19:50:00 UTC", None, None),            # GitLab webhooks, older
    ("2021-04-28T21:50:00", "Europe/Berlin", None),     # naive, in the document's zone
    (1619639400, None, "s"),                            # epoch seconds, a number
    ("1619639400", None, "s"),                          # … or a string
    (1619639400000, None, "ms"),                        # epoch milliseconds (MLflow)
    ("1619639400000", None, "ms"),                      # … as old servers write them
    (1619639400.0, None, "s"),                          # Prometheus floats
])
def test_every_timestamp_style(value, zone, epoch):
    assert parse_time(value, zone, epoch) == T


@pytest.mark.parametrize(("value", "zone", "epoch", "why"), [
    ("2021-04-28T21:50:00", None, None, "has no time-zone offset and no time zone is given"),
    (1619639400, None, None, "is a number, not a timestamp this source writes"),
    ("2026-03-29T02:30:00", "Europe/Berlin", None, "does not exist in Europe/Berlin"),
    ("2026-10-25T02:30:00", "Europe/Berlin", None, "happens twice in Europe/Berlin"),
    ("10000-01-01T00:00:00Z", None, None, "is not a timestamp this source writes"),
    ("2200-01-01T00:00:00Z", None, None, "is outside 1970-2199"),
    ("yesterday", None, None, "is not a timestamp"),
    (True, None, "s", "is not a timestamp"),
])
def test_times_never_guessed(value, zone, epoch, why):
    with pytest.raises(TimeProblem, match=why):
        parse_time(value, zone, epoch)


KEYS = list(all_keys().values())


def write(tmp_path, text):
    path = tmp_path / "map.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("[deploymnt]\nproduction = 'prod'", "the map has an unknown key 'deploymnt'"),
    ("[team]\nfrom = 'repo'", '[team] from must be a list of strings like ["label:team", "repo"]'),
    ("[team]\nform = ['repo']", "[team] has an unknown part 'form'"),
    ("[team]\nmap = { a = 'b' }", "[team] needs from or default"),
    ("timezone = 'Mars/Olympus'", "timezone 'Mars/Olympus' is not an IANA time zone"),
    ("[deployment]\nproduction = 3", "[deployment] production must be a string or a list"),
    ("tier = [1, 2]", "[tier] must be a fixed value or a table"),
    ("team = ", "is not valid TOML"),
])
def test_map_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(MapError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_map(write(tmp_path, text), KEYS)


def test_map_values_by_dotted_key(tmp_path):
    loaded = load_map(write(tmp_path, 'timezone = "UTC"\ntier = 2\n[deployment]\n'
                            'production = "live"\n[incident.cause]\ndefault = "other"\n'), KEYS)
    assert dict(loaded.values) == {"timezone": "UTC", "tier": 2, "deployment.production": "live",
                                   "incident.cause": {"default": "other"}}


def test_missing_map_file(tmp_path):
    with pytest.raises(MapError, match="does not exist"):
        load_map(tmp_path / "nope.toml", KEYS)


REC = Rec({"repository": {"full_name": "acme/ranker"}, "title": "Ranker DRIFT alarm"},
          "f.json", labels={"team": "search"}, tags={" Team ": "ads"},
          payload={"svc": {"name": "ranker-svc"}}, fields={"repo": "acme/ranker"})


@pytest.mark.parametrize(("rule", "expected"), [
    ({"from": ["label:team"]}, "search"),
    ({"from": ["tag:team"]}, "ads"),                   # trimmed, case ignored
    ({"from": ["payload:svc.name"]}, "ranker-svc"),
    ({"from": ["payload:svc"]}, None),                 # an object is not a value
    ({"from": ["payload:nope"], "map": {"x": "y"}}, None),
    ({"from": ["repo"]}, "acme/ranker"),               # a fact the source names
    ({"from": ["repository.full_name"]}, "acme/ranker"),  # a path into the record
    ({"from": ["team"]}, "platform"),                  # a column the row already has
    ({"from": ["label:nope", "repo"], "map": {"acme/ranker": "search"}}, "search"),
    ({"from": ["repo"], "map": {"other": "x"}}, "acme/ranker"),  # not in map: as it is
    ({"from": ["label:nope"], "default": "core"}, "core"),
    ({"from": ["label:nope"]}, None),
    ({"from": ["title"], "keywords": {"drift": "drift"}, "default": "other"}, "drift"),
    ({"from": ["title"], "keywords": {"quality": "data_quality"}, "default": "other"}, "other"),
    (2, 2),
])
def test_rules(rule, expected):
    assert resolve(rule, REC, {"team": "platform"}) == expected


def test_every_source_declares_what_it_is():
    found = all_sources()
    assert len(found) >= 9
    for name, module in found.items():
        assert name == module.NAME
        assert set(module.WRITES) <= set(KINDS), name
        assert all(isinstance(k, Key) for k in module.MAP_KEYS), name
        assert module.__doc__ and module.READS and module.EXAMPLE, name
        own_flow = callable(getattr(module, "run", None))
        steps = callable(getattr(module, "records", None)) and callable(
            getattr(module, "events", None))
        assert own_flow or steps, f"{name}: records and events, or a run of its own"


def mlkpi(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "metrics.cli", *args], capture_output=True,
                          text=True, input=stdin)


def test_help_lists_every_source_with_its_kinds_and_each_source_its_keys():
    out = mlkpi("import", "--help").stdout.split("Sources and the kinds they write:")[1]
    for name, module in all_sources().items():
        line = next(li for li in out.splitlines() if li.strip().startswith(name + " "))
        assert all(kind in line for kind in module.WRITES)
        own = mlkpi("import", name, "--help").stdout
        assert all(key.shown in own for key in module.MAP_KEYS), name


def test_json_output_exit_status_and_skips(tmp_path):
    db = tmp_path / "s.duckdb"
    run = mlkpi("--db", str(db), "import", "kubeflow-runs", fixture("kubeflow_runs.json"),
                "--format", "json")
    assert run.returncode == 1  # no map: team and tier missing
    out = json.loads(run.stdout)
    assert out["source"] == "kubeflow-runs"
    assert out["skipped"] == {"state canceled": 1, "state running": 1}
    pr = out["kinds"]["pipeline_run"]
    assert (pr["inserted"], pr["quarantined"]) == (0, 2)
    assert pr["errors"][0] == {"file": fixture("kubeflow_runs.json"), "line": 1,
                               "column": "team",
                               "reason": "team: no value; set [team] in the map",
                               "record": "0b1c2d3e-0001-4f00-8000-000000000001"}


def test_a_file_that_is_not_json_is_a_file_error_and_nothing_is_stored(tmp_path):
    bad = tmp_path / "runs.json"
    bad.write_text('{"runs": [')
    db = tmp_path / "s.duckdb"
    run = mlkpi("--db", str(db), "import", "kubeflow-runs", str(bad), "--map",
                str(write(tmp_path, 'team = "a"\ntier = 1\n')))
    assert run.returncode == 2
    assert run.stderr == f"mlkpi: {bad}: line 1 is not JSON or JSON Lines (one JSON document " \
                         "per line).\n"
    wrong = mlkpi("--db", str(db), "import", "pagerduty-incidents", fixture("kubeflow_runs.json"))
    assert wrong.returncode == 2
    assert "is not a PagerDuty incidents page" in wrong.stderr


def test_a_bad_map_is_one_sentence(tmp_path):
    run = mlkpi("--db", str(tmp_path / "s.duckdb"), "import", "kubeflow-runs",
                fixture("kubeflow_runs.json"), "--map", str(write(tmp_path, "[tem]\n")))
    assert run.returncode == 2
    assert run.stderr.startswith("mlkpi: the map has an unknown key 'tem'; known keys: ")
    assert "Traceback" not in run.stderr


def test_standard_input(tmp_path):
    db = tmp_path / "s.duckdb"
    text = Path(fixture("kubeflow_runs.json")).read_text()
    run = mlkpi("--db", str(db), "import", "kubeflow-runs", "-", "--map",
                str(write(tmp_path, 'team = "a"\ntier = 1\n')), stdin=text)
    assert run.returncode == 0, run.stderr
    assert query(db, "SELECT count(*) FROM pipeline_run") == [(2,)]


def test_dry_run_stores_nothing_and_counts_against_the_store(tmp_path):
    map_text = 'team = "a"\ntier = 1\n'
    db, _ = run_import(tmp_path, "kubeflow-runs", ["kubeflow_runs.json"], map_text)
    _, dry = run_import(tmp_path, "kubeflow-runs", ["kubeflow_runs.json"],
                        map_text.replace('"a"', '"b"'), db=db, dry_run=True)
    pr = dry.kinds["pipeline_run"]
    assert (pr.inserted, pr.updated, pr.duplicates) == (0, 2, 0)  # the team would change
    assert [r["team"] for r in dry.preview["pipeline_run"]] == ["b", "b"]
    assert query(db, "SELECT DISTINCT team FROM pipeline_run") == [("a",)]
    assert query(db, "SELECT count(*) FROM ingest_log") == [(1,)]
    fresh = tmp_path / "new" / "s.duckdb"
    _, dry = run_import(tmp_path, "kubeflow-runs", ["kubeflow_runs.json"], map_text,
                        db=fresh, dry_run=True)
    assert dry.kinds["pipeline_run"].inserted == 2 and not fresh.exists()


def test_docs_cover_every_source_and_every_map_in_them_loads(tmp_path):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "import.md").read_text()
    for name, module in all_sources().items():
        assert f"### {name} → {' or '.join(module.WRITES)}" in doc, name
    blocks = doc.split("```toml\n")[1:]
    assert len(blocks) >= len(all_sources())
    for block in blocks:
        load_map(write(tmp_path, block.split("```")[0]), KEYS)


def test_every_option_of_every_source_is_explained():
    import argparse

    from metrics.cli.main import build_parser

    def sub(parser, name):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return action.choices[name]

    importer = sub(build_parser(), "import")
    for name in all_sources():
        parser = sub(importer, name)
        assert parser.description and parser.epilog, name
        for action in parser._actions:
            assert action.help and len(action.help) > 10, f"{name} {action.dest}: no help"


def test_text_output_names_file_line_record_and_key(tmp_path):
    run = mlkpi("--db", str(tmp_path / "s.duckdb"), "import", "kubeflow-runs",
                fixture("kubeflow_runs.json"))
    lines = run.stdout.splitlines()
    assert lines[0] == ("kubeflow-runs: 4 records read, 2 skipped (state canceled: 1, "
                        "state running: 1)")
    assert lines[1] == "pipeline_run: 0 inserted, 0 updated, 0 duplicates skipped, 2 quarantined"
    assert lines[2] == (f"  {fixture('kubeflow_runs.json')}, line 1 (record "
                        "0b1c2d3e-0001-4f00-8000-000000000001): team: no value; set [team] "
                        "in the map")


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_json_lines_are_numbered_alike_whatever_ends_them(end):
    """Lines are read as views into the file when only LF ends them, and split as
    ``bytes.splitlines`` splits them otherwise: the documents and their numbers agree."""
    from metrics.importers.reading import ReadError, json_documents

    lines = [b'{"a": 1}', b"", b"  \t", b'[{"b": 2}]', b'"c"']
    data = end.join(lines)  # no line end after the last line
    assert [(d.data, d.line) for d in json_documents("x.jsonl", data)] == [
        ({"a": 1}, 1), ([{"b": 2}], 4), ("c", 5)]
    assert [(d.data, d.line) for d in json_documents("x.jsonl", data + end)] == [
        ({"a": 1}, 1), ([{"b": 2}], 4), ("c", 5)]
    with pytest.raises(ReadError, match="line 3 is not JSON Lines"):
        json_documents("x.jsonl", end.join([b"{}", b"", b"{oops", b"{}"]))
    # one document over several lines is one document, however its lines end
    assert [(d.data, d.line) for d in json_documents("x.json", end.join(
        [b"[", b' {"a": 1},', b' {"a": 2}', b"]"]))] == [([{"a": 1}, {"a": 2}], 1)]


def test_a_plan_fills_a_row_as_its_rules_one_by_one_do(tmp_path):
    """``Mapper.plan`` (the map's rules compiled once per import) gives the values and
    the problems of calling ``Event.rule`` per column: a mapped value, a value from a
    column set before, a time rule naming a field, a missing key, a fixed value."""
    from metrics.importers.run import make_mapper

    rec = Rec({"opened": "2021-04-28 21:50:00 +0200"}, "f.json",
              payload={"team": " search "})
    steps = (("team", None, False), ("tier", None, False), ("model", None, False),
             ("spec_approved_at", "deployment.spec_approved_at", True),
             ("automated", "deployment.automated", False))
    full = ('[team]\nfrom = ["payload:team"]\n[tier]\nfrom = ["team"]\nmap = { search = 1 }\n'
            '[deployment]\nspec_approved_at = "opened"\nautomated = true\n')
    filled = []
    for n, text in enumerate((full, '[deployment]\nspec_approved_at = "nope"\n')):
        (tmp_path / f"{n}.toml").write_text(text)
        mapper = make_mapper(tmp_path / f"{n}.toml")
        planned, one_by_one = (mapper.event("deployment", rec, "1") for _ in range(2))
        mapper.plan(*steps).fill(planned)
        for column, key, time in steps:
            one_by_one.rule(column, key, time=time)
        assert (planned.values, planned.problems) == (one_by_one.values, one_by_one.problems)
        assert mapper.plan(*steps) is mapper.plan(*steps)  # compiled once
        filled.append(planned)
    assert filled[0].values == {"team": "search", "tier": 1, "model": None,
                                "spec_approved_at": T, "automated": True}
    assert filled[0].problems == {"model": "model: no value; set [model] in the map"}
    assert filled[1].values == dict.fromkeys(filled[0].values)
    assert filled[1].problems["spec_approved_at"] == \
        "spec_approved_at: no value; set [deployment] spec_approved_at in the map"
    assert len(filled[1].problems) == 5


@pytest.mark.parametrize("texts", [
    ["search", None, "", "équipe ✓", "ads"],   # text that is not ASCII
    ["search", "ads", "x" * 70_000],           # no missing value: no validity bitmap
    [None, None, None],
    [],
])
def test_mapped_rows_become_the_arrow_columns_pyarrow_itself_builds(texts):
    """``stage.to_table`` builds its columns from their buffers (``pa.array`` would import
    pandas): the same table, value for value, as pyarrow's own conversion of the lists."""
    import pyarrow as pa

    from metrics.importers.base import Row
    from metrics.importers.stage import to_table

    kind = KINDS["deployment"]
    times = [T, None, datetime(1970, 1, 1, tzinfo=UTC),
             datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), T][:len(texts)]
    rows = [Row("deployment", {"team": text, "deployed_at": at, "rollback": i % 2 == 0,
                               "tier": i or None}, "f", 1, str(i))
            for i, (text, at) in enumerate(zip(texts, times, strict=False))]
    table = to_table(kind, rows)
    table.validate(full=True)
    assert table.column("team").to_pylist() == texts
    assert table.column("deployed_at").to_pylist() == \
        pa.array(times, pa.timestamp("us", tz="UTC")).to_pylist()
    assert table.column("rollback").to_pylist() == \
        ["true" if i % 2 == 0 else "false" for i in range(len(texts))]
    assert table.column("tier").to_pylist() == [str(i) if i else None for i in range(len(texts))]
    assert table.column("model").null_count == len(texts)
    assert table.column_names == kind.names
