"""Who is looking: the sign-in gate every page passes, the sign-out, the "not signed in" marker.

With ``[access]`` in the organisation config, a person who has not signed in sees only a
sign-in screen; Streamlit's own ``st.login`` does the OpenID Connect round trip (its
cookie, its tokens: nothing here touches them) and ``st.user`` then carries the identity,
which ``metrics.access`` turns into a role. Someone signed in but not among the viewers
sees one sentence and no data. Without ``[access]`` everyone is the "local user", and
every page says so.

    who = signin.gate()        # app.py, before any data is read; None: the run stops here
    signin.current()           # a page: the Person gate() admitted

A link opened cold (``/quarterly?period=2026Q3&team=search``) comes back to the same view
after sign-in: Streamlit's sign-in always returns to ``/``, so the sign-in screen keeps the
link's path and query in the tab's ``sessionStorage`` and the first page after sign-in
goes back to it (a same-site path only: never another host).
"""

from __future__ import annotations

import json

import streamlit as st

from dashboard import server_tuning
from metrics import settings
from metrics.access import Access, Person, local_user, person_from_claims
from metrics.config import ConfigError, load_config

RETURN_KEY = "mlkpi-return-to"
_PERSON = "_person"
_RESTORED = "_signin_restored"

SAVE_LINK_JS = f"""<script>
sessionStorage.setItem({json.dumps(RETURN_KEY)}, location.pathname + location.search);
</script>"""
# Back to the saved link: a path on this site only ("/x", never "//host" or "http:…").
RESTORE_LINK_JS = f"""<script>{{
const target = sessionStorage.getItem({json.dumps(RETURN_KEY)});
sessionStorage.removeItem({json.dumps(RETURN_KEY)});
if (target && /^\\/(?![\\/\\\\])/.test(target)
    && target !== location.pathname + location.search) location.replace(target);
}}</script>"""


def access() -> Access | None:
    """The config's ``[access]`` table (read once per server process and config), or None."""
    path = settings.config()
    if not path:
        return None
    return server_tuning.once(f"access {path}", lambda: load_config(path).access)


def gate() -> Person | None:
    """The person looking, when they may see data; otherwise draw why not and give None."""
    try:
        table = access()
    except ConfigError as exc:  # fail closed: a config that cannot be read shows no data
        st.error(str(exc))
        return None
    if table is None:
        who = local_user()
        _marker()
    else:
        who = _signed_in(table)
        if who is None:
            return None
        if not who.may_view:
            _not_shared(who)
            return None
        _restore_link()
        _identity(who)
    st.session_state[_PERSON] = who
    return who


def current() -> Person:
    """The person ``gate()`` admitted in this run (the local user in tests without it)."""
    return st.session_state.get(_PERSON) or local_user()


def _signed_in(settings: Access) -> Person | None:
    if not _login_configured():
        st.title("Sign-in is not set up")
        st.error("This dashboard's config asks for sign-in, but this server was started "
                 "without it: start it with `mlkpi serve`. No data is shown meanwhile.")
        return None
    if not st.user.is_logged_in:
        _sign_in_screen()
        return None
    return person_from_claims(dict(st.user), settings)


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets at all
        return False


def _sign_in_screen() -> None:
    st.html(SAVE_LINK_JS, unsafe_allow_javascript=True)
    st.title("Sign in to see the ML KPIs")
    st.write("This dashboard is shared with named people. Sign in with your organisation's "
             "account; you will come back to the page the link opens.")
    if st.button("Sign in", type="primary", key="signin-login"):
        st.login()


def _not_shared(who: Person) -> None:
    st.title("Not shared with you")
    st.text(f"You are signed in as {who.email or who.name}, but this dashboard is not "
            f"shared with that account; ask the person who sent the link to add you.")
    if st.button("Sign out", key="signin-logout"):
        st.logout()


def _identity(who: Person) -> None:
    with st.sidebar:
        st.text(f"Signed in as {who.name} ({who.role})")
        if st.button("Sign out", key="signin-logout"):
            st.logout()


def _marker() -> None:
    reach = ("anyone who can reach this server" if settings.no_sign_in_exposed()
             else "anyone on this machine")
    st.caption(f":material/lock_open: not signed in: {reach} can open it")


def _restore_link() -> None:
    """Once per session, on a link without a query (the sign-in comes back to a bare
    ``/``): go to the link saved before sign-in, if there is one."""
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    if not st.query_params:  # the script itself stays put when the link was this page
        st.html(RESTORE_LINK_JS, unsafe_allow_javascript=True)
