"""`mlkpi import slo-spec`: Sloth and OpenSLO documents → the config's [slo] section.

By hand from the fixtures: Sloth ranker 99.9 % (a percent) → availability 99.9, its
latency SLO (99 % of requests under 0.4 s) is a share of fast requests, not a p95: not
kept. OpenSLO v1 fraud target 0.995 (a fraction) → 99.5 over a rolling 28d; its latency
objective (lte 0.25 s at target 0.95) → 250 ms (window 4w = 28 days, the same);
fraud-batch (calendar month, time slices) → not kept, two sentences. OpenSLO v1alpha
churn-scorer 0.98 over 7 rolling days → 98.0, window_days 7.
"""

from __future__ import annotations

from pathlib import Path

from metrics.cli.main import main
from metrics.config import load_config
from metrics.slo.objectives import slo_objective

FIX = Path(__file__).parent / "fixtures" / "import" / "slo_spec"
FILES = [str(FIX / n) for n in ("sloth.yaml", "openslo.yaml", "openslo-v1alpha.yaml")]


def test_sloth_percent_and_openslo_fraction_become_a_loadable_config(tmp_path: Path,
                                                                     capsys) -> None:
    out = tmp_path / "slo.toml"
    code = main(["import", "slo-spec", *FILES, "--latency-unit", "s", "--out", str(out)])
    assert code == 1  # three things not kept
    load_config(out)  # the section loads as an organisation config
    text = out.read_text()
    assert '[slo.endpoint."ranker"]\navailability = 99.9\n' in text
    assert ('[slo.endpoint."fraud"]\navailability = 99.5\nlatency_p95_ms = 250.0\n'
            'window_days = 28\n') in text
    assert '[slo.endpoint."churn-scorer"]\navailability = 98.0\nwindow_days = 7\n' in text
    assert "fraud-batch" not in text.split("# not kept")[-1].split("\n", 1)[1]
    err = capsys.readouterr().err
    assert err.count("not kept:") == 3
    assert "share of fast requests (99.0 %)" in err
    assert "calendar window" in err and "time slices" in err


def test_objectives_reach_the_slo_figures(tmp_path: Path) -> None:
    out = tmp_path / "slo.toml"
    main(["import", "slo-spec", *FILES, "--latency-unit", "s", "--out", str(out)])
    config = load_config(out)
    ranker = slo_objective("ranker", 1, config)
    assert (ranker.availability, ranker.latency_p95_ms, ranker.window_days) == (99.9, 300, 30)
    fraud = slo_objective("fraud", 2, config)
    assert (fraud.availability, fraud.latency_p95_ms, fraud.window_days) == (99.5, 250.0, 28)


def test_latency_without_a_unit_is_named_and_printing_is_the_default(capsys) -> None:
    assert main(["import", "slo-spec", str(FIX / "openslo.yaml")]) == 1
    captured = capsys.readouterr()
    assert "latency_p95_ms" not in captured.out
    assert "give --latency-unit s or ms" in captured.err
    assert '[slo.endpoint."fraud"]\navailability = 99.5\nwindow_days = 28' in captured.out


def test_bad_documents_are_one_sentence(tmp_path: Path, capsys) -> None:
    other = tmp_path / "k8s.yaml"
    other.write_text("apiVersion: v1\nkind: ConfigMap\n")
    assert main(["import", "slo-spec", str(other)]) == 2
    assert "neither Sloth" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: prometheus/v1\nslos: [\n")
    assert main(["import", "slo-spec", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "is not YAML or JSON" in err and "Traceback" not in err
    existing = tmp_path / "mine.toml"
    existing.write_text("[kpi.cicd_coverage]\ntarget = 85\n")
    assert main(["import", "slo-spec", FILES[0], "--out", str(existing)]) == 2
    assert existing.read_text() == "[kpi.cicd_coverage]\ntarget = 85\n"
