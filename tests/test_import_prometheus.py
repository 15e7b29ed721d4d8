"""`mlkpi import prometheus FILE…`: saved query_range responses → inference_sli.

The fixture ``requests.json`` holds cumulative request counters of ``ranker`` by status
code, 300 s apart from t0 = 2026-03-02T00:00:00.5Z (a fractional timestamp), with a reset
at t0+1200 and the sample at t0+1800 missing (a gap). Expected windows, by hand (window
(t − 300, t] starts at t − 300; increase = Σ over codes 200, 503, 404):

    start     200          503        404        requests  errors (5..)
    t0        1100-1000    12-10      5-5        102       2
    t0+300    1250-1100    12-12      7-5        152       0
    t0+600    0            20-12      0          8         8
    t0+900    40 (reset)   1 (reset)  0 (reset)  41        1
    t0+1200   100          0          3          103       0
    (t0+1500 and t0+1800: the pair t0+1500 → t0+2100 is 600 s apart: no window)
    t0+2100   50           1          1          52        1

``search-api`` has no team label and the map no default: its 2 windows are quarantined
with the map key named.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from metrics.cli.main import main
from metrics.importers import prom_client, prom_windows

FIX = Path(__file__).parent / "fixtures" / "import" / "prometheus"
T0 = datetime(2026, 3, 2, 0, 0, 0, 500000, tzinfo=UTC)
RANKER = [  # (start offset s, requests, errors, p95 ms, p99 ms)
    (0, 102, 2, 120.0, 200.0), (300, 152, 0, None, None), (600, 8, 8, None, None),
    (900, 41, 1, 250.5, 300.0), (1200, 103, 0, 90.0, None), (2100, 52, 1, 300.0, None)]


def stored(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(
            "SELECT endpoint, team, tier, window_start, window_seconds, requests, errors, "
            "latency_p95_ms, latency_p99_ms FROM inference_sli "
            "ORDER BY endpoint, window_start").fetchall()


def quarantine(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute('SELECT "column", reason FROM quarantine ORDER BY line, "column"'
                           ).fetchall()


def run(tmp_path: Path, *args: str) -> int:
    return main(["--db", str(tmp_path / "s.duckdb"), "import", "prometheus", *args])


def expected_ranker() -> list[tuple]:
    return [("ranker", "search", 1, T0 + timedelta(seconds=s), 300, r, e, p95, p99)
            for s, r, e, p95, p99 in RANKER]


def test_counters_resets_gap_nan_and_quantiles(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, str(FIX / "requests.json"), "--latency-p95",
               str(FIX / "latency_p95.json"), "--latency-p99", str(FIX / "latency_p99.json"),
               "--map", str(FIX / "map.toml"))
    assert code == 1  # search-api quarantined
    assert stored(tmp_path / "s.duckdb") == expected_ranker()
    assert sorted(quarantine(tmp_path / "s.duckdb")) == [
        ("team", "team: no value; set [team] in the map")] * 2 + [
        ("tier", "tier: no value; set [tier] in the map")] * 2
    out = capsys.readouterr().out
    assert "6 inserted" in out and "2 quarantined" in out


def test_reimport_is_idempotent_and_pages_as_json_lines_join(tmp_path: Path, capsys) -> None:
    doc = json.loads((FIX / "requests.json").read_text())
    pages = []
    for lo, hi in ((0, 4), (4, 99)):  # the same series cut in two pages by time
        page = json.loads(json.dumps(doc))
        for series in page["data"]["result"]:
            series["values"] = series["values"][lo:hi]
        pages.append(json.dumps(page))
    paged = tmp_path / "pages.jsonl"
    paged.write_text("\n".join(pages) + "\n")
    map_ = tmp_path / "map.toml"
    map_.write_text('tier = 1\n[team]\nfrom = ["label:team"]\ndefault = "search"\n'
                    '[prometheus]\nendpoint = "label:service"\n')
    assert run(tmp_path, str(paged), "--map", str(map_)) == 0
    rows = stored(tmp_path / "s.duckdb")
    assert [r[3:7] for r in rows if r[0] == "ranker"] == [
        (T0 + timedelta(seconds=s), 300, r, e) for s, r, e, _, _ in RANKER]
    assert [r[5:7] for r in rows if r[0] == "search-api"] == [(0, 0), (7, 0)]
    capsys.readouterr()
    assert run(tmp_path, str(FIX / "requests.json"), "--map", str(map_), "--format",
               "json") == 0
    result = json.loads(capsys.readouterr().out)["kinds"]["inference_sli"]
    assert (result["inserted"], result["duplicates"]) == (0, 8)


def test_dry_run_stores_nothing(tmp_path: Path, capsys) -> None:
    code = run(tmp_path, str(FIX / "requests.json"), "--map", str(FIX / "map.toml"),
               "--dry-run", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["dry_run"]
    assert out["kinds"]["inference_sli"]["inserted"] == 6
    assert out["preview"]["inference_sli"][0]["requests"] == 102
    assert not (tmp_path / "s.duckdb").exists() or stored(tmp_path / "s.duckdb") == []


def test_error_codes_regex_and_increase_values(tmp_path: Path) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text('team = "search"\ntier = 1\n[prometheus]\nerror_codes = "5..|404"\n'
                    'values = "increase"\n')
    assert run(tmp_path, str(FIX / "requests.json"), "--map", str(map_)) == 0
    rows = [r for r in stored(tmp_path / "s.duckdb") if r[0] == "ranker"]
    # increase: each sample is its own window's count (t0's window starts at t0 − 300)
    assert rows[0][3:7] == (T0 - timedelta(seconds=300), 300, 1015, 15)
    assert rows[4][3:7] == (T0 + timedelta(seconds=900), 300, 41, 1)
    assert len(rows) == 8


def test_bad_inputs_are_one_sentence(tmp_path: Path, capsys) -> None:
    instant = tmp_path / "instant.json"
    instant.write_text('{"status":"success","data":{"resultType":"vector","result":[]}}')
    assert run(tmp_path, str(instant)) == 2
    assert "not 'matrix'" in capsys.readouterr().err
    assert run(tmp_path, str(FIX / "requests.json")) == 1  # no map: no team, nothing guessed
    assert stored(tmp_path / "s.duckdb") == []
    nolabel = tmp_path / "nolabel.json"
    nolabel.write_text('{"status":"success","data":{"resultType":"matrix","result":['
                       '{"metric":{"code":"200"},"values":[[1,"1"],[301,"2"]]}]}}')
    capsys.readouterr()
    assert run(tmp_path, str(nolabel)) == 2
    err = capsys.readouterr().err
    assert "has no label 'service'" in err and "[prometheus] endpoint" in err
    assert "Traceback" not in err
    assert run(tmp_path, "--url", "http://127.0.0.1:9", "--since", "2026-03-02") == 2
    assert "[prometheus] requests" in capsys.readouterr().err


def test_counter_increase_unit() -> None:
    t = np.array([0.0, 60.0, 120.0, 240.0, 300.0])
    v = np.array([5.0, 9.0, 2.0, 4.0, np.nan])
    ends, inc = prom_windows.counter_increase(t, v, 60.0)
    assert ends.tolist() == [60.0, 120.0]  # 120 → 240 is a gap; NaN dropped
    assert inc.tolist() == [4.0, 2.0]      # 9 → 2 is a reset: 2 new requests


@pytest.mark.parametrize(("start", "end", "step", "limit", "expected"), [
    (0, 3_300_000, 300, 11_000, [(0, 3_299_700), (3_300_000, 3_300_000)]),
    (0, 3_299_700, 300, 11_000, [(0, 3_299_700)]),
    (0, 900, 300, 2, [(0, 300), (600, 900)]),
    (0, 600, 300, 2, [(0, 300), (600, 600)]),
])
def test_pages_never_exceed_the_limit(start, end, step, limit, expected) -> None:
    got = prom_client.pages(start, end, step, limit)
    assert got == expected
    assert all((b - a) / step + 1 <= limit for a, b in got)
    points = sum(int((b - a) / step) + 1 for a, b in got)
    assert points == int((end - start) / step) + 1  # every point once


def test_the_docs_maps_load(tmp_path: Path) -> None:
    from metrics.importers import all_keys
    from metrics.importers.mapfile import load_map

    doc = (Path(__file__).parent.parent / "docs" / "import-prometheus-focus-mlflow.md")
    blocks = doc.read_text().split("```toml\n")[1:]
    assert len(blocks) == 3  # prometheus, focus, mlflow
    for n, block in enumerate(blocks):
        path = tmp_path / f"{n}.toml"
        path.write_text(block.split("```")[0])
        assert load_map(path, all_keys().values()).values
