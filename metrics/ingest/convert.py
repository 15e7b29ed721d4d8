"""One contract column, in SQL: staged text → typed value, and the reason it failed.

For each column two expressions are built over the staged column: the typed value
(``NULL`` when it cannot be converted) and the reason it could not (``NULL`` when fine).
``validate`` assembles them, with the kind's row rules, into one query. Example for an
``int`` column ``tier``::

    value:  CASE WHEN regexp_full_match(t, '[+-]?[0-9]+(\\.0*)?') THEN TRY_CAST(… AS BIGINT) END
    reason: 'tier must be a whole number' when ``t`` is given but not an integer
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metrics.events import Column
from metrics.ingest import limits
from metrics.ingest.sql import lit, q

TS_NAIVE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
# offsets within ±18:00 (events.md): '+25:00' is read by DuckDB, as 25 hours
TS_AWARE = TS_NAIVE + r" ?(Z|z|[+-]((0[0-9]|1[0-7])(:?[0-5][0-9])?|18(:?00)?))"
TS_ANY_OFFSET = TS_NAIVE + r" ?[+-][0-9]{2}(:?[0-5][0-9])?"
INT_TEXT = r"[+-]?[0-9]+(\.0*)?"
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class ColumnSQL:
    text: str | None  # staged column → text (or the native value), or None if absent
    value: str  # text → typed value, NULL when it cannot be converted
    reason: str  # text and value → why not, NULL when fine
    first: str | None = None  # text as given → typed value; when set, value retries trimmed


TRUE_WORDS = "('true', '1', 'yes')"
FALSE_WORDS = "('false', '0', 'no')"
INTEGERS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
            "UTINYINT", "HUGEINT", "UHUGEINT")
FLOATS = ("DOUBLE", "FLOAT")
# Parquet types read as they are (no text round trip): each converts to the contract's type
# without loss, or is a row error where a value does not fit (an INT64 above 2^63, 1.5 as a
# count). DECIMAL(p, s) is matched by its name.
NATIVE = {"int": (*INTEGERS, *FLOATS, "DECIMAL"),
          "float": (*FLOATS, *INTEGERS, "DECIMAL"),
          "bool": ("BOOLEAN",), "date": ("DATE",), "ts": ("TIMESTAMP WITH TIME ZONE",)}
BOUNDS = {"ts": (f"TIMESTAMPTZ '{limits.EARLIEST} 00:00:00+00'",
                 f"TIMESTAMPTZ '{limits.END} 00:00:00+00'"),
          "date": (f"DATE '{limits.EARLIEST}'", f"DATE '{limits.END}'")}


def _text(raw: str) -> str:
    """The trimmed text of a staged string column; empty string is missing.

    ``trim`` strips Unicode space separators and decodes every character to find them,
    which cost a third of validating a clean Parquet file. In pure ASCII text
    (as many bytes as characters) the only such separator is ' ', so text that is ASCII
    and neither starts nor ends with ' ' is returned as it is: 'svc-1' skips ``trim``,
    ' svc-1' and 'svc-1\u00a0' do not.
    """
    as_is = f"strlen({raw}) = length({raw}) AND NOT prefix({raw}, ' ') AND NOT suffix({raw}, ' ')"
    return f"NULLIF(CASE WHEN {as_is} THEN {raw} ELSE trim({raw}) END, '')"


def text_name(col: str) -> str:
    return q(f"_t_{col}")


def convert(col: Column, source_type: str | None, assume_tz: str | None) -> ColumnSQL:
    """The layers of SQL for one contract column (``source_type`` None if absent).

    ``text`` runs over the staged column; ``value`` over ``text`` (named ``_t_<col>``);
    ``reason`` over both, so the costly checks behind a reason run only on failures.

    A string column's text is trimmed. Any other column's text is kept as given and
    converted (``first``, named ``_f_<col>``); only where that fails is the trimmed text
    (``_r_<col>``, see ``_retry_text``) converted, and ``value`` is whichever worked.
    Every text a conversion accepts has no space at either end (the patterns say so; a
    number cast ignores them), so the value is the one the trimmed text gives, while
    ``trim`` runs only on the few values that need it: trimming every value was a fifth
    of the time of checking a clean CSV.
    """
    if source_type is None:
        default = "NULL" if col.default is None else str(col.default).upper()
        return ColumnSQL(None, f"CAST({default} AS {col.sql_type})", "NULL")
    if source_type.split("(")[0] in NATIVE.get(col.type, ()):
        return _native(col, source_type)
    raw = q(col.name) if source_type == "VARCHAR" else f"CAST({q(col.name)} AS VARCHAR)"
    t, v = text_name(col.name), q(col.name)
    missing = lit(col.name + " is missing") if col.required else "NULL"
    if col.type == "str":
        return ColumnSQL(_text(raw), t, _string_reason(col, t, missing))
    r = retry_name(col.name)
    first, _ = _TEXT_CONVERTERS[col.type](t, col, assume_tz)
    retried, why = _TEXT_CONVERTERS[col.type](r, col, assume_tz)
    value = f"COALESCE({first_name(col.name)}, {retried})"
    if not col.required and col.default is not None:
        # the reason must test the value before the default fills it in: 'rollback=t'
        # is an error, not a silent false
        # (no retry text: the text as given converted, or there was no text)
        reason = f"CASE WHEN {r} IS NULL THEN NULL WHEN ({retried}) IS NULL THEN {why} END"
        value = f"COALESCE({value}, CAST({str(col.default).upper()} AS {col.sql_type}))"
    else:
        reason = (f"CASE WHEN {v} IS NOT NULL THEN NULL WHEN {r} IS NULL THEN {missing} "
                  f"ELSE {why} END")
    return ColumnSQL(raw, value, reason, first)


def first_name(col: str) -> str:
    return q(f"_f_{col}")


def retry_name(col: str) -> str:
    return q(f"_r_{col}")


def retry_text(col: str) -> str:
    """The trimmed text, only where the text as given did not convert (else NULL).

    A layer of its own: were ``trim`` written inside the value's expression, DuckDB would
    lift it, as a common subexpression, out of the COALESCE and run it on every row."""
    return (f"CASE WHEN {first_name(col)} IS NULL THEN NULLIF(trim({text_name(col)}), '') END "
            f"AS {retry_name(col)}")


def _string_reason(col: Column, t: str, missing: str) -> str:
    """Missing, a NUL character (which no id, name or label holds; it cuts texts short in
    many tools) or longer than ``limits.MAX_FIELD_CHARS``. ``strlen`` counts bytes in
    constant time, so ``length`` (characters) runs only on the few long values."""
    most = limits.MAX_FIELD_CHARS
    return (f"CASE WHEN {t} IS NULL THEN {missing} "
            f"WHEN contains({t}, chr(0)) THEN {lit(col.name + ' contains a NUL character')} "
            f"WHEN strlen({t}) > {most} AND length({t}) > {most} "
            f"THEN {lit(limits.field_too_long(col.name))} END")


def within_bounds(value: str, type_: str) -> str:
    """``value`` where it lies in ``[EARLIEST, END)`` (timestamps and dates), else NULL."""
    if type_ not in BOUNDS:
        return value
    lo, hi = BOUNDS[type_]
    return f"CASE WHEN {value} >= {lo} AND {value} < {hi} THEN {value} END"


def _native(col: Column, source_type: str) -> ColumnSQL:
    raw, t, v = q(col.name), text_name(col.name), q(col.name)
    value = _native_value(col, source_type, t)
    if not col.required and col.default is not None:
        value = f"COALESCE({value}, {str(col.default).upper()})"
    missing = lit(col.name + " is missing") if col.required else "NULL"
    reason = f"CASE WHEN {t} IS NULL THEN {missing}"
    if col.type == "int":
        reason += f" WHEN {v} IS NULL THEN {lit(col.name + ' must be a whole number')}"
    if col.type == "float":
        reason += (f" WHEN {v} IS NULL OR NOT isfinite({v}) THEN "
                   f"{lit(col.name + ' must be a finite number')}")
    if col.type in BOUNDS:
        reason += f" WHEN {v} IS NULL THEN {lit(limits.out_of_range(col.name))}"
    # the "text" layer passes the native value through unchanged, under the text name
    return ColumnSQL(raw, value, reason + " END")


def _native_value(col: Column, source_type: str, t: str) -> str:
    """A native Parquet value as the contract's type; NULL where it does not fit.

    TRY_CAST: a UBIGINT/HUGEINT above the BIGINT range is a row error, not a crash. A
    count with a fraction (a DECIMAL or a DOUBLE) is not rounded: 1.5 is an error, 3.0 is
    3. Timestamps and dates outside the bounds are NULL (a row error)."""
    if source_type == col.sql_type:
        return within_bounds(t, col.type)
    if col.type == "int" and not _is_integer_type(source_type):
        return f"CASE WHEN {t} = trunc({t}) THEN TRY_CAST({t} AS BIGINT) END"
    return within_bounds(f"TRY_CAST({t} AS {col.sql_type})", col.type)


def _is_integer_type(source_type: str) -> bool:
    return source_type in INTEGERS or re.fullmatch(r"DECIMAL\(\d+,\s*0\)", source_type) is not None


def _int(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    # '3' and '3.0' are 3; '1.5' is an error (a plain cast would round it to 2)
    # the pattern first: TRY_CAST alone reads '15e-1' as 2, '0x10' as 16 and '1_000' as 1000
    # digits alone (the common case) need no pattern: a glob for a non-digit is 3x cheaper
    value = (f"CASE WHEN NOT {t} GLOB '*[!0-9]*' THEN TRY_CAST({t} AS BIGINT) "
             f"WHEN regexp_full_match({t}, {lit(INT_TEXT)}) THEN "
             f"CASE WHEN contains({t}, '.') "
             f"THEN TRY_CAST(TRY_CAST({t} AS DECIMAL(38, 0)) AS BIGINT) "
             f"ELSE TRY_CAST({t} AS BIGINT) END END")
    return value, lit(f"{col.name} must be a whole number")


def _float(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    # DuckDB reads '1_000' as 1000; no export writes digit separators, and '1_000' may as
    # well be a mangled '1.000' (one), so it is an error
    value = f"CASE WHEN NOT contains({t}, '_') THEN TRY_CAST({t} AS DOUBLE) END"
    return (f"CASE WHEN isfinite({value}) THEN {value} END",
            lit(f"{col.name} must be a finite number"))


def _bool(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    value = (f"CASE WHEN lower({t}) IN {TRUE_WORDS} THEN true "
             f"WHEN lower({t}) IN {FALSE_WORDS} THEN false END")
    return value, lit(f"{col.name} must be true/false, 1/0 or yes/no")


def _date(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    read = f"CASE WHEN regexp_full_match({t}, {lit(DATE_TEXT)}) THEN TRY_CAST({t} AS DATE) END"
    why = (f"CASE WHEN ({read}) IS NOT NULL THEN {lit(limits.out_of_range(col.name))} "
           f"ELSE {lit(f'{col.name} must be a date like 2026-07-01')} END")
    return within_bounds(read, "date"), why


def _ts(t: str, col: Column, tz: str | None) -> tuple[str, str]:
    aware = f"regexp_full_match({t}, {lit(TS_AWARE)})"
    # RFC 3339 allows a lower-case 'z', which DuckDB's cast does not read
    as_tz = f"TRY_CAST(CASE WHEN suffix({t}, 'z') THEN upper({t}) ELSE {t} END AS TIMESTAMPTZ)"
    naive = f"regexp_full_match({t}, {lit(TS_NAIVE)})"
    bad_format = lit(f"{col.name} must be an ISO-8601 timestamp like 2026-07-01T09:30:00Z")
    if tz is None:
        no_offset = lit(
            f"{col.name} has no time-zone offset; write it like 2026-07-01T09:30:00Z "
            "or ingest with --assume-timezone"
        )
        read = f"CASE WHEN {aware} THEN {as_tz} END"
        why = f"CASE WHEN {naive} THEN {no_offset} ELSE {bad_format} END"
        return _bounded_ts(t, col, read, why)
    local = f"TRY_CAST({t} AS TIMESTAMP)"
    placed = f"timezone({lit(tz)}, {local})"
    # a local time that does not exist (spring forward) does not come back unchanged;
    # one that exists twice (fall back) also maps from an instant one hour away
    gap = f"timezone({lit(tz)}, {placed}) <> {local}"
    twice = (f"(timezone({lit(tz)}, {placed} - INTERVAL 1 HOUR) = {local} OR "
             f"timezone({lit(tz)}, {placed} + INTERVAL 1 HOUR) = {local})")
    value = (f"CASE WHEN {aware} THEN {as_tz} "
             f"WHEN {naive} AND NOT ({gap}) AND NOT {twice} THEN {placed} END")
    why = (
        f"CASE WHEN {naive} AND {local} IS NOT NULL AND {gap} THEN "
        f"{lit(f'{col.name} does not exist in {tz} (a daylight-saving gap); give an offset')} "
        f"WHEN {naive} AND {local} IS NOT NULL AND {twice} THEN "
        f"{lit(f'{col.name} happens twice in {tz} (a daylight-saving change); give an offset')} "
        f"ELSE {bad_format} END"
    )
    return _bounded_ts(t, col, value, why)


def _bounded_ts(t: str, col: Column, read: str, why: str) -> tuple[str, str]:
    """A read timestamp kept within the bounds, and the reasons of the bounds first."""
    reason = (f"CASE WHEN ({read}) IS NOT NULL THEN {lit(limits.out_of_range(col.name))} "
              f"WHEN regexp_full_match({t}, {lit(TS_ANY_OFFSET)}) "
              f"THEN {lit(limits.offset_too_far(col.name))} ELSE {why} END")
    return within_bounds(read, "ts"), reason


_TEXT_CONVERTERS = {"int": _int, "float": _float, "bool": _bool, "date": _date, "ts": _ts}
