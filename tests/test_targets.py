import pytest

from metrics.kpi.targets import Evaluation, ResolvedTarget, evaluate


def absolute(op: str, value: float, stretch: float | None = None) -> ResolvedTarget:
    return ResolvedTarget("absolute", op, value, stretch, None, None, "default", None)


def relative(op: str, value: float, stretch: float | None = None,
             baseline: str = "year") -> ResolvedTarget:
    return ResolvedTarget("relative", op, value, stretch, baseline, 4, "default", None)


def status(value, target, baseline=None) -> str:
    return evaluate(value, target, baseline).status


def test_absolute_at_least_with_stretch() -> None:
    t = absolute(">=", 80, 95)  # cicd_coverage
    assert evaluate(96.0, t, None) == Evaluation("ahead", None)
    assert status(95.0, t) == "ahead"  # equal to the stretch counts as met
    assert status(94.9, t) == "on_track"
    assert status(80.0, t) == "on_track"  # equal to the target counts as met
    assert status(79.9, t) == "off_track"


def test_absolute_at_least_without_stretch() -> None:
    t = absolute(">=", 99.9)  # inference_availability
    assert status(100.0, t) == "on_track"  # no stretch, so never ahead
    assert status(99.9, t) == "on_track"
    assert status(100 * (1 - 1 / 1000), t) == "on_track"  # 99.9 computed in floats
    assert status(99.89, t) == "off_track"


def test_absolute_at_most_with_stretch() -> None:
    t = absolute("<=", 60, 30)  # time_to_detect, minutes
    assert status(12.0, t) == "ahead"
    assert status(30.0, t) == "ahead"
    assert status(45.0, t) == "on_track"
    assert status(60.0, t) == "on_track"
    assert status(61.0, t) == "off_track"


def test_absolute_strict_operators() -> None:
    assert status(5.0, absolute(">", 5)) == "off_track"
    assert status(5.5, absolute(">", 5)) == "on_track"
    assert status(5.0, absolute("<", 5)) == "off_track"


def test_relative_at_most_with_stretch() -> None:
    t = relative("<=", -20, -40)  # lead_time_for_ml_changes, baseline 60 h
    # 100 × (30 − 60) ÷ 60 = −50
    assert evaluate(30.0, t, 60.0) == Evaluation("ahead", -50.0)
    # 100 × (36 − 60) ÷ 60 = −40, exactly the stretch
    assert evaluate(36.0, t, 60.0) == Evaluation("ahead", -40.0)
    # 100 × (48 − 60) ÷ 60 = −20, exactly the target
    assert evaluate(48.0, t, 60.0) == Evaluation("on_track", -20.0)
    # 100 × (54 − 60) ÷ 60 = −10
    assert evaluate(54.0, t, 60.0) == Evaluation("off_track", -10.0)
    # 100 × (66 − 60) ÷ 60 = +10
    assert evaluate(66.0, t, 60.0) == Evaluation("off_track", 10.0)


def test_relative_boundary_survives_float_noise() -> None:
    # 0.8 − 1.0 is −0.19999999999999996 in floats; the change is still −20 %.
    result = evaluate(0.8, relative("<=", -20, -40), 1.0)
    assert result.status == "on_track"
    assert result.change == pytest.approx(-20.0)


def test_relative_strictly_below() -> None:
    t = relative("<", 0, baseline="previous")  # defect_escape_rate
    assert evaluate(20.0, t, 20.0) == Evaluation("off_track", 0.0)  # no change is not a fall
    assert evaluate(15.0, t, 20.0) == Evaluation("on_track", -25.0)
    assert evaluate(25.0, t, 20.0) == Evaluation("off_track", 25.0)


def test_relative_at_least() -> None:
    t = relative(">=", 0, baseline="previous")  # team_engagement
    assert evaluate(4.0, t, 4.0) == Evaluation("on_track", 0.0)
    assert evaluate(4.2, t, 4.0).status == "on_track"  # +5 %
    assert evaluate(3.0, t, 4.0) == Evaluation("off_track", -25.0)


def test_relative_at_most_zero_without_stretch() -> None:
    t = relative("<=", 0, baseline="previous")  # cost_per_training_run
    assert evaluate(100.0, t, 100.0) == Evaluation("on_track", 0.0)
    assert evaluate(90.0, t, 100.0) == Evaluation("on_track", -10.0)
    assert evaluate(110.0, t, 100.0) == Evaluation("off_track", 10.0)


def test_relative_with_a_negative_baseline() -> None:
    # baseline −50, value −40: 100 × (−40 − (−50)) ÷ −50 = −20
    assert evaluate(-40.0, relative("<=", -20), -50.0) == Evaluation("on_track", -20.0)


def test_no_baseline_when_missing_or_zero() -> None:
    t = relative("<=", -20, -40)
    assert evaluate(48.0, t, None) == Evaluation("no_baseline", None)
    assert evaluate(48.0, t, 0.0) == Evaluation("no_baseline", None)


def test_absolute_ignores_the_baseline() -> None:
    assert evaluate(85.0, absolute(">=", 80, 95), 0.0) == Evaluation("on_track", None)


def test_no_data_comes_first() -> None:
    assert evaluate(None, absolute(">=", 80), None) == Evaluation("no_data", None)
    assert evaluate(None, relative("<=", -20), None) == Evaluation("no_data", None)
    assert evaluate(None, relative("<=", -20), 60.0) == Evaluation("no_data", None)

