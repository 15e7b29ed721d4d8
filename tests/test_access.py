"""Who may see and write (access.md): the [access] table and each role rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.access import Access, local_user, matches, parse_access, person_from_claims, role_of
from metrics.config import ConfigError, load_config

TABLE = {
    "provider": "https://login.example.com/.well-known/openid-configuration",
    "client_id": "mlkpi",
    "client_secret_env": "MLKPI_OIDC_SECRET",
    "viewers": ["@example.com"],
    "editors": ["dana@example.com", "group:ml-leads"],
    "admins": ["ops@example.com"],
}
ACCESS = parse_access(TABLE)


@pytest.mark.parametrize(("claims", "role"), [
    ({"email": "sam@example.com"}, "viewer"),             # @domain
    ({"email": "Sam@EXAMPLE.com"}, "viewer"),             # any case
    ({"email": "sam@sub.example.com"}, None),             # a subdomain is another domain
    ({"email": "sam@example.com.evil.org"}, None),        # nor is a longer name
    ({"email": "sam@notexample.com"}, None),
    ({"email": "dana@example.com"}, "editor"),            # an email, above her domain's role
    ({"email": "DANA@example.com "}, "editor"),
    ({"email": "ops@example.com"}, "admin"),
    ({"email": "eve@other.org"}, None),                   # outside viewers
    ({}, None),                                           # no email at all
    ({"email": "x@other.org", "groups": ["ml-leads"]}, "editor"),   # group claim, list
    ({"email": "x@other.org", "groups": "ml-leads"}, "editor"),     # group claim, one string
    ({"email": "x@other.org", "groups": ["ml-leads-2"]}, None),     # no partial group match
    ({"email": "x@other.org", "groups": None}, None),
    ({"email": "dana@example.com", "email_verified": False}, None),  # unproven email
    ({"email": "dana@example.com", "email_verified": True}, "editor"),
])
def test_roles(claims: dict, role: str | None) -> None:
    assert role_of(claims, ACCESS) == role


def test_star_admits_anyone_signed_in_even_without_an_email() -> None:
    anyone = parse_access({**TABLE, "viewers": ["*"]})
    assert role_of({"sub": "123"}, anyone) == "viewer"
    assert role_of({"email": "eve@other.org"}, anyone) == "viewer"


def test_editors_and_admins_may_read_without_being_listed_as_viewers() -> None:
    access = parse_access({**TABLE, "viewers": []})
    assert role_of({"email": "dana@example.com"}, access) == "editor"
    assert role_of({"email": "sam@example.com"}, access) is None


def test_a_named_groups_claim() -> None:
    access = parse_access({**TABLE, "groups_claim": "roles"})
    assert role_of({"email": "x@o.org", "roles": ["ml-leads"]}, access) == "editor"
    assert role_of({"email": "x@o.org", "groups": ["ml-leads"]}, access) is None


def test_matches_each_rule_kind() -> None:
    claims = {"email": "ana@example.com", "groups": ["a", "b"]}
    assert matches("ana@example.com", claims) and matches("@example.com", claims)
    assert matches("*", claims) and matches("group:b", claims)
    assert not matches("group:c", claims) and not matches("bob@example.com", claims)


def test_a_person_and_what_they_may_do() -> None:
    dana = person_from_claims({"email": "dana@example.com", "name": " Dana  Li "}, ACCESS)
    assert (dana.name, dana.role, dana.may_view, dana.may_write, dana.may_hide) == (
        "Dana Li", "editor", True, True, False)
    assert dana.owns("Dana@example.com") and not dana.owns("ops@example.com")
    sam = person_from_claims({"email": "sam@example.com"}, ACCESS)
    assert (sam.name, sam.may_write, sam.owns("sam@example.com")) == (
        "sam@example.com", False, False)
    eve = person_from_claims({"sub": "eve"}, ACCESS)
    assert (eve.name, eve.may_view) == ("eve", False)
    ops = person_from_claims({"email": "ops@example.com"}, ACCESS)
    assert ops.may_hide and ops.may_write


def test_without_sign_in_everyone_is_the_local_user() -> None:
    me = local_user()
    assert (me.name, me.signed_in, me.may_view, me.may_write, me.may_hide) == (
        "local user", False, True, True, True)
    assert me.owns("")  # notes written without sign-in


def test_the_secret_comes_only_from_the_environment() -> None:
    assert ACCESS.client_secret({"MLKPI_OIDC_SECRET": "s3"}) == "s3"
    with pytest.raises(ConfigError, match=r"names \$MLKPI_OIDC_SECRET, which is not set"):
        ACCESS.client_secret({})


@pytest.mark.parametrize(("change", "message"), [
    ({"client_secret": "x"}, "unknown key access.client_secret"),
    ({"client_id": ""}, "access.client_id must be set to a non-empty string"),
    ({"provider": "login.example.com"}, "access.provider must be an http\\(s\\) address"),
    ({"viewers": "@example.com"}, "access.viewers must be a list of non-empty strings"),
    ({"editors": ["dana"]}, "access.editors has 'dana', which is not an email"),
    ({"admins": ["group:"]}, "access.admins has 'group:'"),
    ({"embed_from": ["wiki.example.com"]}, "access.embed_from must be an http\\(s\\) address"),
    ({"url": "kpi"}, "access.url must be an http\\(s\\) address"),
])
def test_refusals(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_access({**TABLE, **change})


def test_a_missing_required_key_is_named() -> None:
    table = dict(TABLE)
    del table["client_secret_env"]
    with pytest.raises(ConfigError, match="access.client_secret_env must be set"):
        parse_access(table)


def test_the_config_file_carries_access(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text('[access]\nprovider = "https://id.example.com/.well-known/openid-'
                    'configuration"\nclient_id = "mlkpi"\nclient_secret_env = "S"\n'
                    'viewers = ["*"]\n')
    config = load_config(path)
    assert isinstance(config.access, Access) and config.access.viewers == ("*",)
    assert load_config(None).access is None


@pytest.mark.parametrize(("extra", "url"), [
    ('url = "https://kpi.example.com/"\n', "https://kpi.example.com/"),
    ('url = "https://kpi.example.com/"\n[dashboard]\nurl = "https://dash.example.org"\n',
     "https://dash.example.org"),
    ("", None),
])
def test_links_sent_to_people_use_one_address(tmp_path: Path, extra: str, url) -> None:
    # [dashboard] url wins; else the sign-in's [access] url; else none
    path = tmp_path / "org.toml"
    path.write_text('[access]\nprovider = "https://id.example.com/.well-known/openid-'
                    'configuration"\nclient_id = "mlkpi"\nclient_secret_env = "S"\n'
                    'viewers = ["*"]\n' + extra)
    assert load_config(path).public_url == url
