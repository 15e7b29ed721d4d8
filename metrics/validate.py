"""Set-based validation: staged text → typed values plus a list of reasons per row.

For each contract column we build two SQL expressions over the staged column:
the typed value (``NULL`` when it cannot be converted) and the reason it could
not (``NULL`` when fine). Then the kind's row rules run over the typed values.
No Python loop ever touches a row. Example for an ``int`` column ``tier``::

    value:  CASE WHEN regexp_full_match(t, '[+-]?[0-9]+(\\.0*)?') THEN TRY_CAST(… AS BIGINT) END
    reason: 'tier must be a whole number' when ``t`` is given but not an integer
"""

from __future__ import annotations

from metrics.events import Column, Kind, Rule, choice_rules

TS_NAIVE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
TS_AWARE = TS_NAIVE + r" ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)"
INT_TEXT = r"[+-]?[0-9]+(\.0*)?"
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TRUE_WORDS = "('true', '1', 'yes')"
FALSE_WORDS = "('false', '0', 'no')"
NATIVE = {"int": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER",
                  "USMALLINT", "UTINYINT", "HUGEINT"),
          "float": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT"),
          "bool": ("BOOLEAN",), "date": ("DATE",), "ts": ("TIMESTAMP WITH TIME ZONE",)}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(col: str, source_type: str) -> str:
    """The trimmed text of a staged column; empty string is missing."""
    raw = q(col) if source_type == "VARCHAR" else f"CAST({q(col)} AS VARCHAR)"
    return f"NULLIF(trim({raw}), '')"


def convert(col: Column, source_type: str | None, assume_tz: str | None) -> tuple[str, str]:
    """(value SQL, reason SQL) for one contract column; ``source_type`` None if absent."""
    if source_type is None:
        default = "NULL" if col.default is None else str(col.default).upper()
        return f"CAST({default} AS {col.sql_type})", "NULL"
    if source_type in NATIVE.get(col.type, ()):
        return _native(col, source_type)
    t = _text(col.name, source_type)
    value, bad = _TEXT_CONVERTERS[col.type](t, col, assume_tz)
    missing = f"{lit(col.name + ' is missing')}" if col.required else "NULL"
    reason = f"CASE WHEN {t} IS NULL THEN {missing} WHEN {bad} END"
    if not col.required and col.default is not None:
        value = f"COALESCE({value}, CAST({str(col.default).upper()} AS {col.sql_type}))"
    return value, reason


def _native(col: Column, source_type: str) -> tuple[str, str]:
    v = q(col.name)
    value = v if source_type == col.sql_type else f"CAST({v} AS {col.sql_type})"
    missing = lit(col.name + " is missing") if col.required else "NULL"
    reason = f"CASE WHEN {v} IS NULL THEN {missing}"
    if col.type == "float":
        reason += f" WHEN NOT isfinite({value}) THEN {lit(col.name + ' must be a finite number')}"
    if not col.required and col.default is not None:
        value = f"COALESCE({value}, {str(col.default).upper()})"
    return value, reason + " END"


def _int(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    ok = f"regexp_full_match({t}, '{INT_TEXT}')"
    value = f"CASE WHEN {ok} THEN TRY_CAST(TRY_CAST({t} AS DECIMAL(38, 0)) AS BIGINT) END"
    why = lit(f"{col.name} must be a whole number")
    return value, f"{value} IS NULL THEN {why}"


def _float(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    value = f"TRY_CAST({t} AS DOUBLE)"
    why = lit(f"{col.name} must be a finite number")
    guarded = f"CASE WHEN isfinite({value}) THEN {value} END"
    return guarded, f"{guarded} IS NULL THEN {why}"


def _bool(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    value = (f"CASE WHEN lower({t}) IN {TRUE_WORDS} THEN true "
             f"WHEN lower({t}) IN {FALSE_WORDS} THEN false END")
    why = lit(f"{col.name} must be true/false, 1/0 or yes/no")
    return value, f"{value} IS NULL THEN {why}"


def _date(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    value = f"CASE WHEN regexp_full_match({t}, '{DATE_TEXT}') THEN TRY_CAST({t} AS DATE) END"
    why = lit(f"{col.name} must be a date like 2026-07-01")
    return value, f"{value} IS NULL THEN {why}"


def _ts(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    aware = f"regexp_full_match({t}, '{TS_AWARE}')"
    naive = f"regexp_full_match({t}, '{TS_NAIVE}')"
    aware_value = f"TRY_CAST({t} AS TIMESTAMPTZ)"
    bad_format = lit(f"{col.name} must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")
    if tz is None:
        value = f"CASE WHEN {aware} THEN {aware_value} END"
        no_offset = lit(
            f"{col.name} has no time-zone offset; write it like 2026-07-01T09:30:00Z "
            "or ingest with --assume-timezone"
        )
        reason = (f"{naive} THEN {no_offset} "
                  f"WHEN {value} IS NULL THEN {bad_format}")
        return value, reason
    local = f"TRY_CAST({t} AS TIMESTAMP)"
    placed = f"timezone({lit(tz)}, {local})"
    value = f"CASE WHEN {aware} THEN {aware_value} WHEN {naive} THEN {placed} END"
    # a local time that does not exist (spring forward) does not come back unchanged;
    # one that exists twice (fall back) also maps from an instant one hour away
    gap = f"timezone({lit(tz)}, {placed}) <> {local}"
    twice = (f"(timezone({lit(tz)}, {placed} - INTERVAL 1 HOUR) = {local} OR "
             f"timezone({lit(tz)}, {placed} + INTERVAL 1 HOUR) = {local})")
    reason = (
        f"{naive} AND {local} IS NOT NULL AND {gap} THEN "
        f"{lit(f'{col.name} does not exist in {tz} (a daylight-saving gap); give an offset')} "
        f"WHEN {naive} AND {local} IS NOT NULL AND {twice} THEN "
        f"{lit(f'{col.name} happens twice in {tz} (a daylight-saving change); give an offset')} "
        f"WHEN {value} IS NULL THEN {bad_format}"
    )
    return value, reason


def _str(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    return t, "false THEN NULL"


_TEXT_CONVERTERS = {"int": _int, "float": _float, "bool": _bool, "date": _date,
                    "ts": _ts, "str": _str}


def typed_select(kind: Kind, present: dict[str, str], assume_tz: str | None) -> str:
    """SELECT list producing typed columns and ``_conv`` (a list of {column, reason})."""
    values, reasons = [], []
    for col in kind.columns:
        value, reason = convert(col, present.get(col.name), assume_tz)
        values.append(f"{value} AS {q(col.name)}")
        reasons.append(f"{{'column': {lit(col.name)}, 'reason': {reason}}}")
    problems = f"list_filter([{', '.join(reasons)}], lambda e: e.reason IS NOT NULL)"
    return ", ".join(values) + f", {problems} AS _conv"


def rules_select(kind: Kind) -> str:
    """``_errors``: conversion problems plus every broken rule, over typed values."""
    checks = []
    for rule in (*choice_rules(kind), *kind.rules):
        checks.append(_rule_entry(rule))
    if not checks:
        return "_conv AS _errors"
    rules = f"list_filter([{', '.join(checks)}], lambda e: e.reason IS NOT NULL)"
    return f"list_concat(_conv, {rules}) AS _errors"


def _rule_entry(rule: Rule) -> str:
    reason = f"CASE WHEN COALESCE({rule.violated}, false) THEN {lit(rule.reason)} END"
    return f"{{'column': {lit(rule.column)}, 'reason': {reason}}}"
