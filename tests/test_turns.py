"""dashboard.server_tuning.Turns: script runs that arrive together are served in arrival order,
and a slow holder never delays anyone by more than the patience."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit import config

from dashboard import server_tuning
from dashboard.server_tuning import Turns


def _taker(turns: Turns, name: str, log: list, hold: float = 0.0) -> threading.Thread:
    def run() -> None:
        with turns.turn() as owned:
            log.append((name, owned, time.perf_counter()))
            time.sleep(hold)
    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_waiters_get_their_turn_in_arrival_order() -> None:
    turns, log = Turns(patience=10.0), []
    release = threading.Event()

    def holder() -> None:
        with turns.turn() as owned:
            log.append(("holder", owned, time.perf_counter()))
            release.wait(10)

    first = threading.Thread(target=holder)
    first.start()
    while not log:
        time.sleep(0.001)
    waiters = []
    for i in range(6):  # arrive one after the other, while the holder still holds
        waiters.append(_taker(turns, f"w{i}", log, hold=0.01))
        time.sleep(0.02)
    assert [name for name, _, _ in log] == ["holder"], "nobody may start before the holder ends"
    release.set()
    for t in [first, *waiters]:
        t.join(10)
    assert [name for name, _, _ in log] == ["holder", "w0", "w1", "w2", "w3", "w4", "w5"]
    assert all(owned for _, owned, _ in log)
    starts = [at for _, _, at in log[1:]]
    # one at a time: each starts once the one before has held its turn for 10 ms
    assert all(b - a >= 0.009 for a, b in zip(starts, starts[1:], strict=False))


def test_a_slow_holder_delays_the_next_by_the_patience_only() -> None:
    turns, log = Turns(patience=0.2), []
    slow = _taker(turns, "slow", log, hold=1.5)
    while not log:
        time.sleep(0.001)
    asked = time.perf_counter()
    waiter = _taker(turns, "waiter", log)
    waiter.join(5)
    assert [(name, owned) for name, owned, _ in log] == [("slow", True), ("waiter", False)]
    waited = log[1][2] - asked
    assert 0.19 <= waited < 1.0, waited
    slow.join(5)
    # the waiter that gave up left no trace: the next run gets its turn at once
    with turns.turn() as owned:
        assert owned
    assert not turns._waiting and not turns._busy


def test_the_turn_passes_on_when_the_run_fails() -> None:
    turns = Turns(patience=5.0)
    with pytest.raises(RuntimeError), turns.turn():
        raise RuntimeError("page failed")
    started = time.perf_counter()
    with turns.turn() as owned:
        assert owned
    assert time.perf_counter() - started < 0.5
    assert not turns._busy


def test_a_run_hands_its_turn_on_while_it_computes() -> None:
    """A run that must compute (a cache miss) steps aside: the next run draws at once
    instead of after the patience, and the first queues again behind it."""
    turns, log = Turns(patience=10.0), []
    computing, computed = threading.Event(), threading.Event()

    def cold() -> None:
        with turns.turn() as owned:
            log.append(("cold drew its head", owned))
            with turns.aside():
                computing.set()
                computed.wait(10)  # the figure takes this long
            log.append(("cold drew the rest", turns._mine.owned))

    first = threading.Thread(target=cold)
    first.start()
    computing.wait(5)
    started = time.perf_counter()
    with turns.turn() as owned:  # a warm run arriving meanwhile
        log.append(("warm drew", owned))
        assert time.perf_counter() - started < 1.0, "the warm run waited for the cold one"
        computed.set()
        time.sleep(0.05)  # the cold run has computed: it waits for this turn to end
        assert log[-1] == ("warm drew", True)
    first.join(5)
    assert log == [("cold drew its head", True), ("warm drew", True),
                   ("cold drew the rest", True)]
    assert not turns._busy and not turns._waiting


def test_aside_outside_a_turn_changes_nothing() -> None:
    turns = Turns(patience=1.0)
    with turns.aside():  # the warm-up thread, a background cache refresh
        assert not turns._busy
    assert not turns._busy and not turns._waiting


def test_one_switch_turns_all_the_server_tuning_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLKPI_SERVER_TUNING=0: no turns (a run never waits for another), no freezing, no
    switch interval, Streamlit's after-run collection kept, no log level, pages built
    afresh; "1" (the default) brings them back."""
    import gc
    import logging
    import sys

    monkeypatch.setenv("MLKPI_SERVER_TUNING", "0")
    monkeypatch.setattr(server_tuning, "_frozen", set())
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        with server_tuning.turn():
            holding.set()
            release.wait(5)
        done.set()

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    started = time.perf_counter()
    with server_tuning.turn() as owned, server_tuning.aside():
        waited = time.perf_counter() - started
    release.set()
    thread.join(5)
    assert owned is False and waited < 0.5 * server_tuning.PATIENCE_S and done.is_set()

    config.get_option("runner.postScriptGC")  # Streamlit's config parsed (it sets log levels)
    config.set_option("runner.postScriptGC", True)  # Streamlit's default, whatever ran before
    interval, logger = sys.getswitchinterval(), logging.getLogger("uvicorn.error")
    level, frozen = logger.level, gc.get_freeze_count()
    server_tuning.quick_switches()
    server_tuning.quiet_server_logs()
    server_tuning.no_collection_after_runs()
    from streamlit.elements import html as html_element

    dedent = html_element.clean_text
    server_tuning.kept_html_text()
    assert html_element.clean_text is dedent
    assert config.get_option("runner.postScriptGC") is True  # Streamlit's default
    assert server_tuning.freeze_startup() is False and server_tuning._frozen == set()
    assert (sys.getswitchinterval(), logger.level, gc.get_freeze_count()) == (
        interval, level, frozen)
    first = server_tuning.once("switch-test", object)
    assert server_tuning.once("switch-test", object) is not first

    monkeypatch.setenv("MLKPI_SERVER_TUNING", "1")
    first = server_tuning.once("switch-test", object)
    assert server_tuning.once("switch-test", object) is first
    try:
        server_tuning.no_collection_after_runs()
        assert config.get_option("runner.postScriptGC") is False
    finally:
        config.set_option("runner.postScriptGC", True)



def test_the_theme_of_a_new_session_is_built_once_and_is_what_streamlit_builds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import app_session

    # Streamlit's own (an app run earlier in this process may have kept the theme already)
    original = getattr(app_session._populate_theme_msg, "original",
                       app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)  # restored after
    config.get_option("theme.base")  # the config parsed before options are set
    for name, value in (("theme.primaryColor", "#1f5f8b"), ("theme.base", "light"),
                        ("theme.sidebar.backgroundColor", "#f4f6f8")):
        monkeypatch.setattr(config._config_options[name], "_get_val_func",
                            lambda value=value: value)  # restored after

    def opening(populate) -> ForwardMsg:
        msg = ForwardMsg()
        theme = msg.new_session.custom_theme
        populate(theme)
        populate(theme.sidebar, "theme.sidebar")
        populate(theme.dark, "theme.dark")  # nothing set there: stays absent
        return msg

    expected = opening(original)
    assert expected.new_session.custom_theme.primary_color == "#1f5f8b"
    assert not expected.new_session.custom_theme.HasField("dark")
    calls = []
    monkeypatch.setattr(config, "get_options_for_section",
                        lambda section, real=config.get_options_for_section:
                        calls.append(section) or real(section))
    server_tuning.kept_theme()
    assert app_session._populate_theme_msg is not original
    assert opening(app_session._populate_theme_msg) == expected
    assert len(calls) == 3  # built once per section …
    assert opening(app_session._populate_theme_msg) == expected
    assert len(calls) == 3  # … and kept for the next session
    server_tuning.kept_theme()  # a second call changes nothing
    assert opening(app_session._populate_theme_msg) == expected and len(calls) == 3


def test_an_html_body_is_dedented_once_and_as_streamlit_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.elements import html as html_element

    original = getattr(html_element.clean_text, "original", html_element.clean_text)
    monkeypatch.setattr(html_element, "clean_text", original)  # restored after
    calls = []
    monkeypatch.setattr(html_element, "clean_text",
                        lambda text: calls.append(text) or original(text))
    spy = html_element.clean_text
    server_tuning.kept_html_text()
    kept = html_element.clean_text
    assert kept is not spy and kept.original is spy
    body = "\n    <div class='mk-grid'>\n      <b>x</b>\n    </div>\n"
    assert kept(body) == original(body) == "<div class='mk-grid'>\n  <b>x</b>\n</div>"
    same = "".join(body)  # another string object with the same text (a cache hit's copy)
    assert kept(same) == original(body) and len(calls) == 1  # dedented once
    assert kept(42) == "42" and len(calls) == 2  # not a str: Streamlit's, every time
    server_tuning.kept_html_text()  # a second call changes nothing
    assert html_element.clean_text is kept


def test_the_warm_up_waits_for_a_quiet_spell_but_not_for_ever(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_tuning, "_RUNS", {"running": 0, "last": float("-inf")})
    assert server_tuning.wait_quiet(0.2, 1.0) is True  # nothing ran yet: at once
    drawing, release = threading.Event(), threading.Event()

    def run() -> None:
        with server_tuning.turn():
            drawing.set()
            release.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    drawing.wait(5)
    started = time.perf_counter()
    assert server_tuning.wait_quiet(0.2, 0.4) is False  # a page still drawing: gives up
    assert 0.4 <= time.perf_counter() - started < 1.0
    release.set()
    thread.join(5)
    ended = time.perf_counter()
    assert server_tuning.wait_quiet(0.3, 5.0) is True
    assert time.perf_counter() - ended >= 0.3  # quiet for 0.3 s since the run ended
    monkeypatch.setenv("MLKPI_SERVER_TUNING", "0")
    with server_tuning.turn():
        started = time.perf_counter()
        assert server_tuning.wait_quiet(10, 10) is True  # no tuning: never waits
        assert time.perf_counter() - started < 0.1
