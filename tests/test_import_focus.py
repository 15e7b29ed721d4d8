"""`mlkpi import focus`: FOCUS cost and usage exports → cost rows, by hand.

``focus-1.0-hourly.csv`` (FOCUS 1.0 columns), with the map's team = tag:team and
"AI and Machine Learning" = inference, inferences counted in unit Requests:

    line 2+3+5  ranker-endpoint 2026-03-02: 1.25 + 1.75 − 0.50 (credit) = 2.50 USD,
                1000 + 1400 Requests = 2400 inferences (the credit's quantity is NULL);
                line 2 has no offset (UTC), line 3 "Z", Tags keys "team" and " Team "
    line 4      2026-03-02T23:00:00-02:00 is 2026-03-03 01:00 UTC: its own day, 2.00, 1600
    line 6      Storage, ResourceName NULL → service "Amazon S3", 0.30, tag key "TEAM"
    line 7      EUR: a row error unless [focus] usd_rates gives the rate
    line 8      Tags NULL: no team → quarantined, naming [team]
    line 9+10   churn-endpoint 2026-03-04: 1.00 − 3.00 = −2.00 → a row error naming the day
    line 11     Databases → other, 0.40
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.cli.main import main

FIX = Path(__file__).parent / "fixtures" / "import" / "focus"
CSV = str(FIX / "focus-1.0-hourly.csv")
EXPECTED = [
    (date(2026, 3, 2), "ads", "Amazon S3", "storage", 0.30, None),
    (date(2026, 3, 2), "search", "feature-store", "other", 0.40, None),
    (date(2026, 3, 2), "search", "ranker-endpoint", "inference", 2.50, 2400),
    (date(2026, 3, 3), "search", "ranker-endpoint", "inference", 2.00, 1600),
]


def costs(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT date, team, service, category, round(cost_usd, 6), "
                           "inferences FROM cost ORDER BY ALL").fetchall()


def run(tmp_path: Path, *args: str) -> int:
    return main(["--db", str(tmp_path / "s.duckdb"), "import", "focus", *args])


def test_hourly_rows_net_per_day_with_credits_tags_and_offsets(tmp_path: Path,
                                                               capsys) -> None:
    assert run(tmp_path, CSV, "--map", str(FIX / "map.toml"), "--format", "json") == 1
    assert costs(tmp_path / "s.duckdb") == EXPECTED
    result = json.loads(capsys.readouterr().out)["kinds"]["cost"]
    reasons = {e["line"]: e["reason"] for e in result["errors"]}
    assert reasons == {
        7: "cost_usd: the billing currency is EUR, not USD; set [focus] usd_rates = "
           "{ EUR = … } in the map",
        8: "team: no value; set [team] in the map",
        9: "cost_usd: credits exceed charges on 2026-03-04 (net -2.00 USD for "
           "ads/churn-endpoint/inference)"}
    capsys.readouterr()
    assert run(tmp_path, CSV, "--map", str(FIX / "map.toml"), "--format", "json") == 1
    again = json.loads(capsys.readouterr().out)["kinds"]["cost"]
    assert (again["inserted"], again["duplicates"]) == (0, 4)  # idempotent


def test_rates_cost_column_and_defaults_from_the_map(tmp_path: Path) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text((FIX / "map.toml").read_text().replace("[team]\n", "[team]\ndefault = "
                                                           "\"platform\"\n")
                    + 'cost_column = "BilledCost"\nusd_rates = { eur = 1.08 }\n')
    assert run(tmp_path, CSV, "--map", str(map_)) == 1  # only the 2026-03-04 net credit
    got = {(r[0], r[2]): r[4:] for r in costs(tmp_path / "s.duckdb")}
    # BilledCost: 1.50 + 2.00 − 0.50; the EUR row 5.00 × 1.08; NULL Tags → default team
    assert got[(date(2026, 3, 2), "ranker-endpoint")] == (3.0, 2400)
    assert got[(date(2026, 3, 2), "vertex-ctr")] == (5.4, 500)
    assert got[(date(2026, 3, 2), "training-cluster")] == (10.0, None)


def test_ai_and_ml_unmapped_is_a_row_error_not_a_guess(tmp_path: Path, capsys) -> None:
    map_ = tmp_path / "map.toml"
    map_.write_text('[team]\nfrom = ["tag:team"]\ndefault = "platform"\n')
    assert run(tmp_path, CSV, "--map", str(map_), "--format", "json") == 1
    errors = json.loads(capsys.readouterr().out)["kinds"]["cost"]["errors"]
    assert {e["line"] for e in errors if e["column"] == "category"} == {2, 3, 4, 5, 7, 9, 10}
    assert any("does not say inference or training; set [focus] category" in e["reason"]
               for e in errors)
    assert {r[3] for r in costs(tmp_path / "s.duckdb")} == {"storage", "other"}


def test_parquet_focus_1_2_with_map_tags_and_timestamps(tmp_path: Path) -> None:
    tags = pa.map_(pa.string(), pa.string())
    # three hourly rows (the last a credit) and one monthly row (counted on its first day)
    table = pa.table({
        "BilledCost": pa.array([Decimal("3.0"), Decimal("1.0"), Decimal("-0.25"),
                                Decimal("30.0")], pa.decimal128(12, 4)),
        "EffectiveCost": pa.array([2.5, 1.0, -0.25, 30.0], pa.float64()),
        "BillingCurrency": ["USD"] * 4,
        "ChargeCategory": ["Usage", "Usage", "Credit", "Usage"],
        "ChargePeriodStart": pa.array([datetime(2026, 3, 5, 0), datetime(2026, 3, 5, 1),
                                       datetime(2026, 3, 5, 2), datetime(2026, 3, 1)],
                                      pa.timestamp("us")),
        "ChargePeriodEnd": pa.array([datetime(2026, 3, 5, 1), datetime(2026, 3, 5, 2),
                                     datetime(2026, 3, 5, 3), datetime(2026, 4, 1)],
                                    pa.timestamp("us")),
        "ConsumedQuantity": pa.array([300.0, 200.0, None, 1500.0]),
        "ConsumedUnit": ["1K Tokens", "1K Tokens", None, "GB-Mo"],
        "ServiceCategory": ["AI and Machine Learning"] * 3 + ["Storage"],
        "ServiceSubcategory": ["Generative AI"] * 3 + ["Object Storage"],
        "ServiceName": ["Azure OpenAI"] * 3 + ["Azure Blob Storage"],
        "ResourceName": ["assistant-gpt"] * 3 + ["model-artifacts"],
        "InvoiceId": ["INV-1"] * 4,
        "Tags": pa.array([[("team", "support")], [(" team ", "support")],
                          [("Team", "support")], [("team", "support")]], tags),
    })
    path = tmp_path / "focus-1.2.parquet"
    pq.write_table(table, path)
    map_ = tmp_path / "map.toml"
    map_.write_text('[team]\nfrom = ["tag:team"]\n[focus]\ncategory = { "Generative AI" = '
                    '"inference" }\ninferences = { unit = "1K Tokens" }\n')
    assert run(tmp_path, str(path), "--map", str(map_)) == 0
    assert costs(tmp_path / "s.duckdb") == [
        (date(2026, 3, 1), "support", "model-artifacts", "storage", 30.0, None),
        (date(2026, 3, 5), "support", "assistant-gpt", "inference", 3.25, 500)]


def test_not_a_focus_file_is_one_sentence(tmp_path: Path, capsys) -> None:
    other = tmp_path / "other.csv"
    other.write_text("date,amount\n2026-03-02,5\n")
    assert run(tmp_path, str(other)) == 2
    err = capsys.readouterr().err
    assert "not a FOCUS export: it has no ChargePeriodStart" in err and "Traceback" not in err
