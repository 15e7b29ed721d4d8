"""The quarterly review's notes: read by everyone admitted, written under the proven name.

* Editors add notes and edit their own; admins also hide any note (and show it again);
  viewers read. Without sign-in the "local user" does all three.
* There is no author field: the author is the signed-in person (``signin.current()``).
* An edit is saved against the version its form was filled from: when someone saved in
  between, the save is refused with who and when, and the typed text stays in the form
  (the next save is then made against the version now shown).
* A refused note (too long, empty, busy file) keeps its text in the form; nothing has a
  browser-side length limit that would silently drop a long paste.
* Notes, names and KPI names are drawn as plain text: nothing in a note can load anything.

    visible = notes_panel.draw("2026Q3", scope, {"cicd_coverage": "CI/CD coverage", …})

Writes happen in the buttons' callbacks (before the page is drawn again), which is where
Streamlit lets a form's text be cleared after a successful save.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data, signin
from dashboard.plaintext import plain
from metrics import present
from metrics.store import notes as store
from metrics.store.notes import MAX_TEXT, NoteError, StaleNote

_MESSAGE = "_note_message"  # (kind, text) shown once after a write


def draw(period: str, scope: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """Draw the notes of ``period`` in ``scope`` and the forms this person may use;
    returns the visible notes (for the report)."""
    who = signin.current()
    path = data.notes_file()
    notes = store.notes_for(path, period, scope.team, scope.tier, include_hidden=who.may_hide)
    _message(st.empty())  # a slot of its own: a message never moves the notes (nor closes
    #                       the open edit form that a refused save keeps the text in)
    for note in _one_page(notes):
        _note(note, names)
    if not notes:
        st.caption(f"No notes for {period} in this scope yet.")
    if who.may_write:
        _add_form(period, scope, names)
    else:
        st.caption("You can read the notes; writing them is for editors.")
    return [n for n in notes if not n["hidden_at"]]


NOTES_PER_PAGE = 10  # a quarter with 300 notes draws one page of them, not 300 forms


def _one_page(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notes of the page chosen below the list's counter (10 a page)."""
    if len(notes) <= NOTES_PER_PAGE:
        return notes
    pages = -(-len(notes) // NOTES_PER_PAGE)
    page = st.number_input(f"{len(notes)} notes, {NOTES_PER_PAGE} a page — page", 1, pages, 1,
                           key="notes-page")
    return notes[(page - 1) * NOTES_PER_PAGE: page * NOTES_PER_PAGE]


def _note(note: dict[str, Any], names: dict[str, str]) -> None:
    who = signin.current()
    with st.container(border=True):
        st.text(f"{names.get(note['kpi'], note['kpi'])} — {note['text']}")
        versions = f" · {note['versions']} versions" if note["versions"] > 1 else ""
        st.caption(plain(f"{note['author']}, {present.instant(note['written_at'])}{versions}"))
        if note["hidden_at"]:
            st.caption(plain(f"Hidden by {note['hidden_by']} at "
                                    f"{present.instant(note['hidden_at'])}; only admins see it."))
        with st.expander("History" + (" and edit" if who.owns(note["created_by_email"])
                                      else "")):
            for version in store.note_history(data.notes_file(), note["id"]):
                st.text(f"v{version['version']} · {version['author']} · "
                        f"{present.instant(version['written_at'])}: {version['text']}")
            if who.owns(note["created_by_email"]):
                _edit_form(note)
        if who.may_hide:
            hidden = bool(note["hidden_at"])
            st.button("Show again" if hidden else "Hide this note", key=f"hide-{note['id']}",
                      on_click=_hide, args=(note["id"], not hidden))


def _add_form(period: str, scope: Any, names: dict[str, str]) -> None:
    who = signin.current()
    with st.form("add-note"):
        st.text(f"Add a note to {period} ({scope.words}) as {who.name}")
        st.selectbox("KPI", list(names), format_func=names.get, index=None, key="note-kpi")
        st.text_area("Note", key="note-text", help=f"At most {MAX_TEXT:,} characters.")
        st.form_submit_button("Add note", key="note-add", on_click=_add,
                              args=(period, scope.team, scope.tier))


def _edit_form(note: dict[str, Any]) -> None:
    text_key, base_key = f"note-edit-{note['id']}", f"note-base-{note['id']}"
    if text_key not in st.session_state:  # filled once; later runs keep what is typed
        st.session_state[text_key] = note["text"]
        st.session_state[base_key] = note["versions"]
    with st.form(f"edit-note-{note['id']}"):
        st.text_area("New text", key=text_key, help=f"At most {MAX_TEXT:,} characters.")
        st.form_submit_button("Save new version", key=f"note-save-{note['id']}",
                              on_click=_edit, args=(note["id"],))


# --- the writes (button callbacks) ------------------------------------------------------

def _add(period: str, team: str | None, tier: str | int | None) -> None:
    who, kpi = signin.current(), st.session_state.get("note-kpi")
    if not who.may_write:
        return _say("warning", "Writing notes is for editors.")
    if kpi is None:
        return _say("warning", "Pick the KPI the note is about; your text is still in the "
                               "form.")
    try:
        store.add_note(data.notes_file(), kpi, period, team, tier, who.name,
                       st.session_state.get("note-text", ""), email=who.email, page=_page())
    except NoteError as exc:
        return _say("warning", _sentence(exc))
    st.session_state["note-text"] = ""
    _say("success", "Note added.")


def _edit(note_id: int) -> None:
    who = signin.current()
    text_key, base_key = f"note-edit-{note_id}", f"note-base-{note_id}"
    try:
        store.edit_note(data.notes_file(), note_id, who.name, st.session_state[text_key],
                        base_version=st.session_state[base_key], email=who.email,
                        page=_page())
    except StaleNote as exc:
        st.session_state[base_key] = exc.current_version  # saving again is now deliberate
        return _say("warning", _sentence(exc))
    except NoteError as exc:
        return _say("warning", _sentence(exc))
    del st.session_state[text_key], st.session_state[base_key]
    _say("success", "New version saved.")


def _hide(note_id: int, hidden: bool) -> None:
    who = signin.current()
    if not who.may_hide:
        return _say("warning", "Hiding notes is for admins.")
    try:
        store.hide_note(data.notes_file(), note_id, hidden, who=who.name, email=who.email,
                        page=_page())
    except NoteError as exc:
        return _say("warning", _sentence(exc))
    _say("success", "Note hidden; its history is kept." if hidden else "Note shown again.")


def _say(kind: str, text: str) -> None:
    st.session_state[_MESSAGE] = (kind, text)


def _message(slot: Any) -> None:
    kind, text = st.session_state.pop(_MESSAGE, (None, None))
    if kind == "success":
        slot.success(text)
    elif kind:
        slot.warning(plain(text))


def _sentence(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:1].upper() + text[1:]


def _page() -> str:
    """The page and scope the write came from: '/quarterly?period=2026Q3&team=search'."""
    query = "&".join(f"{k}={v}" for k, v in st.query_params.items())
    return "/quarterly" + (f"?{query}" if query else "")
