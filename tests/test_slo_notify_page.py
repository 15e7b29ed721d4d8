"""The SLO page shows each endpoint's notification history, and the link a message
carries (/slo?endpoint=…) opens that endpoint (Streamlit AppTest over a real store)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from test_slo_notify import B, Receiver, episode_rows

from metrics.slo.notify import notify

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def open_slo(db: Path, monkeypatch, **query: str) -> AppTest:
    st.cache_data.clear()
    monkeypatch.setenv("MLKPI_DB", str(db))
    monkeypatch.setenv("MLKPI_WARMUP", "0")
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("app_pages/slo.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_history_of_the_linked_endpoint(make_store, httpserver, monkeypatch):
    db = make_store({"inference_sli": episode_rows()})
    hook = Receiver(httpserver)
    for hours in (20, 21, 27):  # ok → ticket → page → ok
        notify(db, [hook.url], at=B + timedelta(hours=hours))
    hook.down = True
    notify(db, [hook.url], at=B + timedelta(hours=27, minutes=5))  # no change: no attempt

    at = open_slo(db, monkeypatch, endpoint="ranker")
    assert at.selectbox(key="url-endpoint").value == "ranker"
    history = at.dataframe[-1].value
    assert list(history["change"]) == ["page → ok", "ticket → page", "ok → ticket"]
    assert list(history["rules fired"]) == ["none", "1h/5m, 6h/30m, 1d/2h, 3d/6h",
                                            "1d/2h, 3d/6h"]
    assert list(history["targets reached"]) == [1, 1, 1]
    assert [t.to_pydatetime() for t in history["evaluated at"]] == [
        B + timedelta(hours=h) for h in (27, 21, 20)]

    quiet = open_slo(db, monkeypatch, endpoint="quiet")
    assert quiet.selectbox(key="url-endpoint").value == "quiet"
    assert any("No alert-state change of quiet has been notified yet" in c.value
               for c in quiet.caption)
