"""The sign-in gate without a browser (Streamlit's AppTest): the marker without sign-in,
and a config that asks for sign-in on a server started without it shows no data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.store.db import writer

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "mlkpi.duckdb"
    with writer(db):
        pass
    monkeypatch.setenv("MLKPI_DB", str(db))
    monkeypatch.setenv("MLKPI_WARMUP", "0")
    monkeypatch.setenv("MLKPI_NOTES", str(tmp_path / "notes.sqlite"))
    monkeypatch.delenv("MLKPI_CONFIG", raising=False)
    monkeypatch.delenv("MLKPI_NO_SIGN_IN_EXPOSED", raising=False)
    return db


def catalog_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/catalog.py")
    at.run()
    return at


def captions(at: AppTest) -> str:
    return " | ".join(c.value for c in at.caption)


def test_without_access_every_page_says_anyone_on_this_machine_can_open_it(empty_store):
    at = catalog_page()
    assert "not signed in: anyone on this machine can open it" in captions(at)
    assert not at.exception and at.title[0].value.startswith("KPI catalog")


def test_with_no_sign_in_beyond_loopback_the_marker_says_anyone_who_can_reach_it(
        empty_store, monkeypatch):
    monkeypatch.setenv("MLKPI_NO_SIGN_IN_EXPOSED", "1")
    at = catalog_page()
    assert "not signed in: anyone who can reach this server can open it" in captions(at)


def test_access_without_sign_in_configured_shows_no_data(empty_store, tmp_path, monkeypatch):
    config = tmp_path / "org.toml"
    config.write_text('[access]\nprovider = "https://id.example.com/.well-known/openid-'
                      'configuration"\nclient_id = "mlkpi"\nclient_secret_env = "S"\n'
                      'viewers = ["*"]\n')
    monkeypatch.setenv("MLKPI_CONFIG", str(config))
    at = catalog_page()
    assert [t.value for t in at.title] == ["Sign-in is not set up"]
    assert "start it with `mlkpi serve`" in at.error[0].value
    assert not at.dataframe and not at.exception


def test_a_config_that_cannot_be_read_shows_one_sentence_and_no_data(
        empty_store, tmp_path, monkeypatch):
    config = tmp_path / "org.toml"
    config.write_text("[access]\nclient_id = 3\n")
    monkeypatch.setenv("MLKPI_CONFIG", str(config))
    at = catalog_page()
    assert [e.value for e in at.error] == [
        "access.provider must be set to a non-empty string"]
    assert not at.dataframe and not at.exception
