"""Set-based validation: staged text → typed values plus a list of reasons per row.

Each contract column's value and reason come from ``convert``; here they become one query
per batch, and the kind's row rules run over the typed values. No Python loop ever
touches a row.
"""

from __future__ import annotations

from metrics.events import Kind, Rule, choice_rules
from metrics.ingest.convert import convert, first_name, retry_name, retry_text, text_name
from metrics.ingest.sql import lit, q


def typed_query(kind: Kind, present: dict[str, str], assume_tz: str | None, source: str,
                pre: bool = False) -> str:
    """Rows of ``source`` with typed columns, ``_conv_ok`` and ``_conv``.

    ``source`` has ``_file``, ``_rec`` and the staged columns listed in ``present``; with
    ``pre``, also ``_pre``: the {column, reason} problems its reader found in a record
    (a JSON object where a value belongs, a key given twice), NULL when none.
    The layers, innermost first: texts; first conversions; retry texts; values (and the
    texts kept for reasons); ``_conv_ok``; ``_conv``.
    ``_conv`` lists {column, reason} for each value that could not be converted; it is
    built only for rows where ``_conv_ok`` (no reason at all) is false, since building
    lists of structs for millions of clean rows costs more than the checks themselves.
    """
    parts = {c.name: convert(c, present.get(c.name), assume_tz) for c in kind.columns}
    texts = ", ".join(f"{p.text} AS {text_name(n)}" for n, p in parts.items() if p.text)
    firsts = "".join(f", {p.first} AS {first_name(n)}" for n, p in parts.items() if p.first)
    retries = "".join(f", {retry_text(n)}" for n, p in parts.items() if p.first)
    values = ", ".join(f"{p.value} AS {q(n)}" for n, p in parts.items())
    keep_texts = ", ".join([*(text_name(n) for n, p in parts.items() if p.text),
                            *(retry_name(n) for n, p in parts.items() if p.first)])
    reasons = ", ".join(
        f"{{'column': {lit(n)}, 'reason': {p.reason}}}" for n, p in parts.items()
    )
    fine = " AND ".join([*(f"({p.reason}) IS NULL" for p in parts.values() if p.reason != "NULL"),
                         *(["_pre IS NULL"] if pre else [])])
    conv = f"list_filter([{reasons}], lambda e: e.reason IS NOT NULL)"
    if pre:  # the reader's reason for a column stands alone: not also 'tier is missing'
        said = "list_transform(COALESCE(_pre, []), lambda p: p.column)"
        conv = (f"list_concat(COALESCE(_pre, []), list_filter([{reasons}], lambda e: "
                f"e.reason IS NOT NULL AND NOT list_contains({said}, e.column)))")
    cols = ", ".join(q(n) for n in parts)
    carried = ", _pre" if pre else ""
    return f"""SELECT _file, _rec, {cols}, _conv_ok,
                 CASE WHEN _conv_ok THEN NULL ELSE {conv} END AS _conv
               FROM (SELECT *, {fine or 'true'} AS _conv_ok FROM
                     (SELECT _file, _rec{carried}, {values}
                             {', ' + keep_texts if keep_texts else ''}
                      FROM (SELECT *{retries} FROM (SELECT *{firsts} FROM
                            (SELECT _file, _rec{carried}{', ' + texts if texts else ''}
                             FROM {source})))))"""


def validated_query(kind: Kind, present: dict[str, str], assume_tz: str | None,
                    source: str, pre: bool = False) -> str:
    """``_file, _rec``, the typed columns, ``_ok`` and ``_errors`` (NULL when ``_ok``).

    ``_errors`` lists conversion problems plus every broken rule, over typed values;
    ``_ok`` is true exactly when that list would be empty.
    """
    cols = ", ".join(q(c) for c in kind.names)
    rules = [*choice_rules(kind), *kind.rules]
    ok = " AND ".join(["_conv_ok", *(f"NOT COALESCE({r.violated}, false)" for r in rules)])
    errors = "_conv"
    if rules:
        checks = f"list_filter([{', '.join(_rule_entry(r) for r in rules)}], " \
                 "lambda e: e.reason IS NOT NULL)"
        errors = f"list_concat(_conv, {checks})"
    return f"""SELECT _file, _rec, {cols}, _ok, CASE WHEN _ok THEN NULL ELSE {errors} END AS _errors
               FROM (SELECT *, {ok} AS _ok
                     FROM ({typed_query(kind, present, assume_tz, source, pre)}))"""


def _rule_entry(rule: Rule) -> str:
    reason = f"CASE WHEN COALESCE({rule.violated}, false) THEN {lit(rule.reason)} END"
    return f"{{'column': {lit(rule.column)}, 'reason': {reason}}}"
