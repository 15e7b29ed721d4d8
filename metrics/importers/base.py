"""What a source reads and what it gives back: documents, records, rows and skips.

A *document* is one JSON value as a file holds it (a page, a webhook payload, a
list). A source cuts documents into *records* (``Rec``: one deployment, one
incident), and maps records to *rows* of event kinds (``Row``) or says why a record
is not an event (``Skip``). Rows keep where they came from, so a row error names the
user's file and line, and the map key that would have supplied a missing value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


class ShapeError(Exception):
    """A document this source cannot read (say what it expected, in one sentence)."""


@dataclass(slots=True)
class Doc:
    """One JSON document: the whole file, or one line of a JSON Lines file."""

    data: object
    file: str
    line: int = 1


@dataclass(slots=True)
class Rec:
    """One vendor record, plus what rules may look up in it.

    ``fields`` names facts the source knows under a short name (``repo``, ``service``,
    ``environment``) for ``from = ["repo"]``; ``labels``, ``tags`` and ``payload`` serve
    ``label:NAME``, ``tag:NAME`` and ``payload:PATH``; ``zone`` is the time zone the
    document gives for naive times (PagerDuty analytics' ``time_zone``).
    """

    data: dict
    file: str
    line: int = 1
    zone: str | None = None
    fields: dict = field(default_factory=dict)
    labels: dict | None = None
    tags: dict | None = None
    payload: dict | None = None
    count: int = 1  # the vendor records it stands for (a list read as one record)


@dataclass(slots=True)
class Row:
    """One event row: ``values`` by column, ``problems`` (column → reason) found mapping it."""

    kind: str
    values: dict
    file: str
    line: int
    record: str
    problems: dict = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Skip:
    """A record the source itself says is not an event, with the reason people read."""

    reason: str


def path_get(data: object, path: str) -> object:
    """``path_get({"a": {"b": [5]}}, "a.b.0")`` → 5; None where any step is missing."""
    if type(data) is dict and "." not in path:  # one key: the common case, asked per record
        return data.get(path)
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
        if data is None:
            return None
    return data


def labels_from_list(items: object) -> dict[str, str]:
    """Labels written as strings → a dict: ``["team::search", "tier=1", "team:ads"]`` gives
    ``{"team": "search", "tier": "1"}`` (the first of a name wins; ``::`` is GitLab's
    scoped-label separator). A label with no separator is kept as ``{label: label}``."""
    out: dict[str, str] = {}
    for item in items if isinstance(items, list) else ():
        text = item.get("name") if isinstance(item, dict) else item
        if not isinstance(text, str):
            continue
        for sep in ("::", "=", ":"):
            if sep in text:
                name, _, value = text.partition(sep)
                out.setdefault(name.strip().lower(), value.strip())
                break
        else:
            out.setdefault(text.strip().lower(), text.strip())
    return out


def record_list(data: object, *names: str, single: str | None = None) -> list | None:
    """The list of records in a page: the document itself if it is a list, else the first
    of ``names`` that holds a list (``record_list(page, "deployments")``); with ``single``,
    a document holding that key is one record of its own (a get response, a webhook)."""
    if single is not None and isinstance(data, dict) and single in data:
        return [data]
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for name in names:
            if isinstance(data.get(name), list):
                return data[name]
    return None


def each_record(items: Iterable[object], what: str, *needs: str, hint: str = ""
                ) -> Iterator[dict]:
    """The records of a page, each checked to be an object holding every key of ``needs``;
    one that is not means the document is not what the source reads:
    ``each_record([{"id": 1}], "a pipeline", "id", "status")`` raises "a pipeline has no
    id or status" when iterated."""
    for item in items:
        if not isinstance(item, dict) or any(key not in item for key in needs):
            raise ShapeError(f"{what} has no {' or '.join(needs)}{hint}")
        yield item


def ident(value: object, what: str) -> str | int:
    """A record's id as the source wrote it (a string or a whole number); anything else
    means the document is not what the source reads: ``ident([1], "a deployment")`` raises."""
    if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
        return value
    raise ShapeError(f"{what} has no usable id ({value!r})")
