"""Who may see and write (spec: access.md): the config's ``[access]`` table and the role rules.

Pure functions, no Streamlit: the dashboard hands in the identity Streamlit's ``st.login``
proved (``st.user``: email, name, groups…) and gets back what that person may do.

    [access]
    provider = "https://login.example.com/.well-known/openid-configuration"
    client_id = "mlkpi"
    client_secret_env = "OIDC_SECRET"          # the variable holding the client secret
    viewers = ["@example.com"]
    editors = ["dana@example.com", "group:ml-leads"]
    admins = ["ops@example.com"]

    role_of({"email": "Dana@Example.com"}, access)          # "editor"
    role_of({"email": "eve@other.org"}, access)             # None: sees one sentence, no data
    role_of({"email": "x@y.z", "groups": ["ml-leads"]}, access)   # "editor"

A rule is an email (``dana@example.com``, any case), a domain (``@example.com``), ``"*"``
(anyone who signs in) or a group (``group:ml-leads``, matched against the ID token's
``groups`` claim, or the claim ``groups_claim`` names). Editors and admins may also read.
An email whose provider says ``email_verified = false`` matches no email or domain rule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from metrics.config import ConfigError

ROLES = ("viewer", "editor", "admin")  # each role may do what the ones before it may
LOCAL_USER = "local user"
# set by `mlkpi serve --no-sign-in` on an address beyond loopback; the pages then say that
# anyone who can reach the server can open them
EXPOSED_ENV = "MLKPI_NO_SIGN_IN_EXPOSED"
_REQUIRED = ("provider", "client_id", "client_secret_env")
_LISTS = ("viewers", "editors", "admins", "embed_from")
_OPTIONAL = ("url", "groups_claim")


@dataclass(frozen=True)
class Access:
    """A validated ``[access]`` table."""

    provider: str
    client_id: str
    client_secret_env: str
    viewers: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    url: str | None = None              # the address people open (the sign-in comes back here)
    embed_from: tuple[str, ...] = ()    # origins allowed to show the dashboard in a frame
    groups_claim: str = "groups"

    def client_secret(self, environ: Mapping[str, str] | None = None) -> str:
        """The client secret from the environment; refused in one sentence when unset."""
        env = os.environ if environ is None else environ
        secret = env.get(self.client_secret_env, "")
        if not secret:
            raise ConfigError(f"access.client_secret_env names ${self.client_secret_env}, "
                              f"which is not set: export the OIDC client secret there.")
        return secret


@dataclass(frozen=True)
class Person:
    """Who is looking, and what they may do. ``email`` is '' for the local user."""

    name: str
    email: str = ""
    role: str | None = None
    signed_in: bool = False

    @property
    def may_view(self) -> bool:
        return self.role is not None

    @property
    def may_write(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def may_hide(self) -> bool:
        return self.role == "admin"

    def owns(self, email: str) -> bool:
        """True when a note written by ``email`` is this person's own (a signed-in person
        without an email owns no note; the local user owns the notes written without
        sign-in, whose email is '')."""
        if not self.may_write or (self.signed_in and not self.email):
            return False
        return _fold(self.email) == _fold(email)


def local_user() -> Person:
    """Without sign-in everyone on the machine is the same person, with every role."""
    return Person(name=LOCAL_USER, email="", role="admin", signed_in=False)


def person_from_claims(claims: Mapping[str, Any], access: Access) -> Person:
    """The person a signed-in identity is, with their role (None: not shared with them)."""
    email = str(claims.get("email") or "").strip()
    name = str(claims.get("name") or claims.get("preferred_username") or email
               or claims.get("sub") or "someone").strip()
    return Person(name=" ".join(name.split()), email=email,
                  role=role_of(claims, access), signed_in=True)


def role_of(claims: Mapping[str, Any], access: Access) -> str | None:
    """The highest role the identity's claims earn: 'admin', 'editor', 'viewer' or None."""
    for role, rules in (("admin", access.admins), ("editor", access.editors),
                        ("viewer", access.viewers)):
        if any(matches(rule, claims, access.groups_claim) for rule in rules):
            return role
    return None


def matches(rule: str, claims: Mapping[str, Any], groups_claim: str = "groups") -> bool:
    """Does one rule (email, @domain, "*", group:NAME) admit this identity?"""
    rule = rule.strip()
    if rule == "*":
        return True
    if rule.startswith("group:"):
        return rule[len("group:"):] in _groups(claims.get(groups_claim))
    email = _fold(str(claims.get("email") or ""))
    if not email or claims.get("email_verified") is False:
        return False
    if rule.startswith("@"):
        return email.endswith(_fold(rule)) and email.count("@") == 1
    return email == _fold(rule)


def parse_access(table: Any) -> Access:
    """Validate an ``[access]`` table; one sentence naming the key otherwise."""
    if not isinstance(table, dict):
        raise ConfigError("access must be a table")
    for key in table:
        if key not in (*_REQUIRED, *_LISTS, *_OPTIONAL):
            raise ConfigError(f"unknown key access.{key}")
    for key in _REQUIRED:
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ConfigError(f"access.{key} must be set to a non-empty string")
    _check_url("access.provider", table["provider"])
    if table.get("url") is not None:
        _check_url("access.url", table["url"])
    if not isinstance(table.get("groups_claim", "groups"), str):
        raise ConfigError("access.groups_claim must be a string")
    lists = {key: _rules(key, table.get(key, [])) for key in _LISTS}
    for origin in lists["embed_from"]:
        _check_url("access.embed_from", origin)
    return Access(provider=table["provider"].strip(), client_id=table["client_id"].strip(),
                  client_secret_env=table["client_secret_env"].strip(),
                  url=table.get("url"), groups_claim=table.get("groups_claim", "groups"),
                  **lists)


def _rules(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"access.{key} must be a list of non-empty strings")
    for rule in value:
        if key != "embed_from" and not _is_rule(rule.strip()):
            raise ConfigError(f"access.{key} has '{rule}', which is not an email, an "
                              f"@domain, \"*\" or group:NAME")
    return tuple(v.strip() for v in value)


def _is_rule(rule: str) -> bool:
    if rule == "*" or (rule.startswith("group:") and len(rule) > len("group:")):
        return True
    local, at, domain = rule.partition("@")
    return bool(at) and "." in domain and "@" not in domain and " " not in rule


def _check_url(name: str, value: Any) -> None:
    parsed = urlparse(str(value))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) address, not '{value}'")


def _groups(value: Any) -> set[str]:
    """A groups claim as a set: a list of names, or one name (some providers send a string)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Sequence):
        return {str(v) for v in value}
    return set()


def _fold(text: str) -> str:
    return text.strip().casefold()
