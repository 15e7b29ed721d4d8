"""Sign-in, roles and notes under a proven name, in headless Chromium against a real OpenID
Connect provider (PyPI ``oidc-provider-mock``: signed ID tokens, people and claims chosen
by the test) on a loopback port. Nothing here fakes Streamlit's ``st.login``.

People (claims the provider puts in their ID token) and what the config makes of them:

    dana  dana@example.com               editor (by email)
    sam   sam@example.com                viewer (by @example.com)
    lee   lee@other.org, groups ml-leads editor (by group claim)
    ops   ops@example.com                admin
    eve   eve@other.org                  nobody: sees one sentence and no data
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    BROWSER_MARKS,
    METRIC,
    DashboardServer,
    copy_store,
    pick,
    problems,
    sidebar_select_value,
    wait_rendered,
)

from dashboard.signin import RESTORE_LINK_JS
from metrics.catalog import load_catalog
from metrics.store.notes import add_note, audit_log, edit_note, note_history, notes_for

pytestmark = BROWSER_MARKS

SECRET_ENV = "MLKPI_TEST_OIDC_SECRET"
PEOPLE = {
    "dana": {"email": "dana@example.com", "email_verified": True, "name": "Dana Li"},
    "sam": {"email": "sam@example.com", "email_verified": True, "name": "Sam Rivera"},
    "lee": {"email": "lee@other.org", "name": "Lee Chen", "groups": ["ml-leads"]},
    "ops": {"email": "ops@example.com", "email_verified": True, "name": "Olu Ops"},
    "eve": {"email": "eve@other.org", "name": "Eve Outsider"},
}
SIGNED_IN = "[data-testid=stSidebar] >> text=/Signed in as/"
CICD = load_catalog()["cicd_coverage"].name
WAIT_S = 240  # a shared 2-core machine under load draws a cold page in minutes, not seconds


@pytest.fixture(scope="module")
def provider() -> str:
    """A real OIDC provider on a loopback port, with the people above."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        base = f"http://localhost:{server.server_port}"
        for sub, claims in PEOPLE.items():
            request = urllib.request.Request(f"{base}/users/{sub}", method="PUT",
                                             data=json.dumps(claims).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 204
        yield base


@pytest.fixture(scope="module")
def site(provider: str, sample_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The dashboard with sign-in, as `mlkpi serve --config org.toml` runs it."""
    folder = tmp_path_factory.mktemp("signin")
    config = folder / "org.toml"
    config.write_text(f"""
[access]
provider = "{provider}/.well-known/openid-configuration"
client_id = "mlkpi"
client_secret_env = "{SECRET_ENV}"
viewers = ["@example.com"]
editors = ["dana@example.com", "group:ml-leads"]
admins = ["ops@example.com"]
""")
    notes = folder / "notes.sqlite"
    server = DashboardServer(copy_store(sample_store, folder / "store"), config=config,
                             host="localhost",
                             env={SECRET_ENV: "test-secret", "MLKPI_NOTES": str(notes)})
    server.start()
    server.notes = notes
    yield server
    server.stop()


@pytest.fixture
def browser_page(browser_context):
    """A fresh browser (no cookies) that never reaches beyond 127.0.0.1: the provider's
    pages link a stylesheet from a CDN, which is refused here."""
    browser_context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"),
                          lambda route: route.abort())
    browser_context.set_default_timeout(WAIT_S * 1000)
    return browser_context.new_page()


def sign_in(page, site: DashboardServer, path: str, sub: str) -> None:
    """Open ``path`` cold, press "Sign in", be ``sub`` at the provider, come back."""
    page.goto(site.url(path))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(rf"^{re.escape(site.url(''))}"), timeout=WAIT_S * 1000)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize("link", [
    "/quarterly?period=2026Q2&team=fraud&tier=1",
    "/slo?team=ranking&tier=1&endpoint=ranking-feed",
])
def test_a_cold_deep_link_comes_back_to_the_same_view(site, browser_page, link) -> None:
    page = browser_page
    page.goto(site.url(link))
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.locator(METRIC).count() == 0 and "fraud" not in page.inner_text("body")
    sign_in(page, site, link, "sam")
    path, _, _ = link.partition("?")
    page.wait_for_url(lambda url: urlsplit(url).path == path
                      and query_of(url) == query_of(link), timeout=WAIT_S * 1000)
    page.locator(SIGNED_IN).wait_for()
    wait_rendered(page, timeout=WAIT_S)
    assert sidebar_select_value(page, "Team") == query_of(link)["team"][0]
    if path == "/quarterly":
        assert sidebar_select_value(page, "Period") == "2026Q2"
        page.get_by_role("heading", name="Quarterly review — 2026Q2").wait_for()
    else:
        page.get_by_role("heading", name="SLO burn").wait_for()
    assert problems(page) == []


def test_a_viewer_reads_but_has_no_note_form(site, browser_page) -> None:
    page = browser_page
    add_note(site.notes, "cicd_coverage", "2026Q3", None, None, "Dana Li", "read me",
             email="dana@example.com")
    sign_in(page, site, "/quarterly?period=2026Q3", "sam")
    wait_rendered(page, patterns=["read me"], timeout=WAIT_S)
    assert "Signed in as Sam Rivera (viewer)" in page.inner_text("[data-testid=stSidebar]")
    assert page.get_by_role("button", name="Add note").count() == 0
    page.get_by_text("writing them is for editors").first.wait_for()
    assert page.get_by_role("button", name="Hide this note").count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 1


@pytest.mark.parametrize(("sub", "name"), [("dana", "Dana Li"), ("lee", "Lee Chen")])
def test_an_editor_writes_a_note_under_their_proven_name(site, browser_page, sub, name
                                                         ) -> None:
    page = browser_page
    sign_in(page, site, "/quarterly?period=2026Q1", sub)
    wait_rendered(page, timeout=WAIT_S)
    assert page.get_by_label("Your name").count() == 0  # no free-text author
    form = page.locator("[data-testid=stForm]").filter(has_text="Add a note")
    pick(page, form.locator("[data-testid=stSelectbox] input"), CICD)
    text = f"![pixel](http://example.invalid/p.png) rollout by {sub}"
    form.locator("textarea").fill(text)
    form.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").first.wait_for()
    assert page.locator("img[src*='example.invalid']").count() == 0  # plain text
    page.get_by_text(f"{CICD} — {text}", exact=True).first.wait_for()  # drawn as typed
    page.get_by_text(re.compile(rf"^{name}, \d{{4}}-\d\d-\d\d \d\d:\d\d UTC$")).first.wait_for()
    [note] = [n for n in notes_for(site.notes, "2026Q1") if n["text"] == text]
    assert (note["author"], note["author_email"]) == (name, PEOPLE[sub]["email"])
    [entry] = audit_log(site.notes, note["id"])
    assert (entry["action"], entry["who"], entry["page"]) == ("add", name,
                                                              "/quarterly?period=2026Q1")


def test_a_too_long_note_is_refused_as_too_long_and_kept(site, browser_page) -> None:
    page = browser_page
    sign_in(page, site, "/quarterly?period=2025Q4", "dana")
    wait_rendered(page, timeout=WAIT_S)
    form = page.locator("[data-testid=stForm]").filter(has_text="Add a note")
    pick(page, form.locator("[data-testid=stSelectbox] input"), CICD)
    form.locator("textarea").fill("x" * 100_000)
    form.get_by_role("button", name="Add note").click()
    page.get_by_text(re.compile("too long: 100,000 characters")).first.wait_for()
    assert len(form.locator("textarea").input_value()) == 100_000
    assert notes_for(site.notes, "2025Q4") == []


def test_someone_outside_viewers_sees_one_sentence_and_no_data(site, browser_page) -> None:
    page = browser_page
    sign_in(page, site, "/?period=2026Q3", "eve")
    page.get_by_role("heading", name="Not shared with you").wait_for()
    text = page.inner_text("body")
    assert "eve@other.org" in text and "not shared with that account" in text
    assert page.locator(METRIC).count() == 0
    assert page.locator("[data-testid=stSidebarNav]").count() == 0
    assert "on track" not in text and "Period" not in text
    assert page.get_by_role("button", name="Sign out").count() == 1


def test_a_stale_edit_is_refused_naming_who_and_the_text_is_kept(site, browser_page) -> None:
    page = browser_page
    note_id = add_note(site.notes, "time_to_detect", "2025Q3", None, None, "Dana Li",
                       "first words", email="dana@example.com")
    sign_in(page, site, "/quarterly?period=2025Q3", "dana")
    wait_rendered(page, patterns=["first words"], timeout=WAIT_S)
    page.get_by_text("History and edit").first.click()
    form = page.locator("[data-testid=stForm]").filter(has_text="New text")
    form.locator("textarea").fill("my careful rewrite")
    # meanwhile Dana saves from her other tab
    edit_note(site.notes, note_id, "Dana Li", "other tab", base_version=1,
              email="dana@example.com")
    form.get_by_role("button", name="Save new version").click()
    warning = page.get_by_text(re.compile("saved a newer version of this note at")).first
    warning.wait_for()
    assert "Dana Li saved a newer version" in warning.inner_text()
    assert form.locator("textarea").input_value() == "my careful rewrite"
    assert [v["text"] for v in note_history(site.notes, note_id)] == [
        "first words", "other tab"]
    form.get_by_role("button", name="Save new version").click()  # now deliberately
    page.get_by_text("New version saved.").first.wait_for()
    assert [v["text"] for v in note_history(site.notes, note_id)][-1] == "my careful rewrite"


def test_an_admin_hides_a_note_which_history_keeps(site, browser_page) -> None:
    page = browser_page
    note_id = add_note(site.notes, "cicd_coverage", "2025Q2", None, None, "Lee Chen",
                       "off-topic remark", email="lee@other.org")
    sign_in(page, site, "/quarterly?period=2025Q2", "ops")
    wait_rendered(page, patterns=["off-topic remark"], timeout=WAIT_S)
    page.get_by_role("button", name="Hide this note").click()
    page.get_by_text("Note hidden; its history is kept.").first.wait_for()
    assert notes_for(site.notes, "2025Q2") == []
    assert [v["text"] for v in note_history(site.notes, note_id)] == ["off-topic remark"]
    assert [a["action"] for a in audit_log(site.notes, note_id)] == ["add", "hide"]


def test_sign_out_is_on_every_page_and_signs_out(site, browser_page) -> None:
    page = browser_page
    sign_in(page, site, "/catalog", "sam")
    for path in ("/catalog", "/slo", "/data"):
        page.goto(site.url(path))
        page.locator(SIGNED_IN).wait_for()
        page.get_by_role("button", name="Sign out").wait_for()
    page.get_by_role("button", name="Sign out").click()
    end = page.get_by_role("button", name="End session")  # the provider asks to confirm
    end.click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.locator(METRIC).count() == 0


def test_every_response_forbids_framing(site) -> None:
    for path in ("/", "/quarterly", "/_stcore/health", "/auth/login"):
        try:
            answer = urllib.request.urlopen(site.url(path), timeout=10)
        except urllib.error.HTTPError as refused:
            answer = refused
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'", path


@pytest.mark.parametrize(("target", "allowed"), [
    ("/quarterly?period=2026Q3&team=search", True),
    ("/", True),
    ("//evil.example/x", False),
    ("/\\evil.example", False),
    ("https://evil.example/", False),
    ("javascript:alert(1)", False),
])
def test_the_link_kept_over_sign_in_is_a_path_on_this_site_only(browser_context, target,
                                                                 allowed) -> None:
    page = browser_context.new_page()
    pattern = re.search(r"/\^.*?/(?=\.test)", RESTORE_LINK_JS).group(0)
    assert page.evaluate(f"(t) => {pattern}.test(t)", target) is allowed
