"""The types the event contract (``events``) is written in: a kind is columns, a key and
row rules; a rule is SQL over the typed staging columns plus the sentence a broken row
gets.

>>> Column("tier", "int", choices=(1, 2, 3)).sql_type
'BIGINT'
"""

from __future__ import annotations

from dataclasses import dataclass, field

SQL_TYPES = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "ts": "TIMESTAMPTZ",
    "date": "DATE",
}


@dataclass(frozen=True)
class Column:
    """One column of a kind: ``Column("tier", "int", choices=(1, 2, 3))``."""

    name: str
    type: str
    required: bool = True
    default: object = None
    choices: tuple = ()
    doc: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Rule:
    """A row rule: ``violated`` is SQL over typed columns, true when the row breaks it.

    ``Rule("deployed_at", "deployed_at < spec_approved_at",
           "deployed_at is before spec_approved_at")``
    """

    column: str
    violated: str
    reason: str


@dataclass(frozen=True)
class Kind:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    anchor: str = ""  # the column that dates an event (newest event, staleness)
    _by_name: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has_column(self, name: str) -> bool:
        return name in self._by_name

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def value_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name not in self.key]
