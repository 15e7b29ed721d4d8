"""The map file (TOML): what the source lacks, said once per organisation.

    timezone = "UTC"
    [team]
    from = ["label:team", "repo"]
    map = { "acme/ranker" = "search" }
    default = "platform"
    tier = 2                        # a fixed value, given directly

Which keys exist is declared by the sources (``MAP_KEYS``), each as a ``Key`` with a
*form* that says what the value may be; ``load_map`` checks every key and reports the
first problem in one sentence that names it (``[team] from must be a list of strings``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metrics.errors import MlkpiError
from metrics.importers.times import TimeProblem, zone_info

RULE_PARTS = ("from", "map", "default", "keywords")
FORMS = {
    "rule": "a fixed value or a table of from / map / default (/ keywords)",
    "time": "the name or path of the field that holds the time, or a table with from",
    "patterns": "a string or a list of strings (shell patterns such as prod*)",
    "table": "a table of names to values",
    "text": "a string",
    "value": "a string, number or boolean",
    "zone": "an IANA time zone such as UTC or Europe/Berlin",
}


class MapError(MlkpiError):
    """A map file that cannot be used: one sentence naming the key."""


@dataclass(frozen=True)
class Key:
    """One key of the map: ``Key("deployment.production", "patterns", "environments …")``."""

    name: str
    form: str
    help: str

    @property
    def shown(self) -> str:
        """How a person finds it in the file: ``[team]`` or ``[deployment] production``."""
        section, _, leaf = self.name.rpartition(".")
        return f"[{section}] {leaf}" if section else f"[{self.name}]" if self.form in (
            "rule", "time") else self.name


COMMON_KEYS = (
    Key("timezone", "zone", "the zone of naive timestamps the source does not place"),
    Key("team", "rule", "the team that owns the record"),
    Key("tier", "rule", "the tier (1, 2 or 3); often from the team"),
    Key("model", "rule", "the model or ML feature the record is about"),
)


@dataclass(frozen=True)
class ImportMap:
    """A loaded map: ``values`` by dotted key (``"deployment.production"``)."""

    values: Mapping[str, object] = field(default_factory=dict)
    path: str | None = None

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)

    @property
    def timezone(self) -> str | None:
        return self.values.get("timezone")  # type: ignore[return-value]


def load_map(path: str | Path | None, keys: Iterable[Key]) -> ImportMap:
    """Read and check the map at ``path`` (None: an empty map) against the known ``keys``."""
    if path is None:
        return ImportMap()
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise MapError(f"the map file {path} does not exist") from None
    except OSError as exc:
        raise MapError(f"the map file {path} cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MapError(f"the map file {path} is not valid TOML ({exc})") from None
    known = {k.name: k for k in keys}
    values = flatten(raw, known)
    for name, value in values.items():
        check_value(known[name], value)
    return ImportMap(values, str(path))


def flatten(raw: Mapping, known: Mapping[str, Key], prefix: str = "") -> dict[str, object]:
    """``{"deployment": {"production": [...]}}`` → ``{"deployment.production": [...]}``;
    a rule key keeps its table whole. An unknown key is a MapError naming it."""
    out: dict[str, object] = {}
    for name, value in raw.items():
        dotted = prefix + name
        if dotted in known:
            out[dotted] = value
        elif isinstance(value, dict) and any(k.startswith(dotted + ".") for k in known):
            out.update(flatten(value, known, dotted + "."))
        else:
            raise MapError(f"the map has an unknown key '{dotted}'; known keys: "
                           f"{', '.join(sorted(known))}")
    return out


def check_value(key: Key, value: object) -> None:
    """Raise MapError unless ``value`` has the key's form."""
    problem = _PROBLEMS[key.form](value)
    if problem:
        raise MapError(f"in the map, {key.shown} {problem}")


def _rule_problem(value: object) -> str | None:
    if not isinstance(value, dict):
        return None if _scalar(value) else "must be " + FORMS["rule"]
    extra = sorted(set(value) - set(RULE_PARTS))
    if extra:
        return f"has an unknown part '{extra[0]}'; use {', '.join(RULE_PARTS)}"
    if "from" in value and not _strings(value["from"]):
        return 'from must be a list of strings like ["label:team", "repo"]'
    for part in ("map", "keywords"):
        if part in value and not (isinstance(value[part], dict)
                                  and all(_scalar(v) for v in value[part].values())):
            return f"{part} must be a table of names to values"
    if "default" in value and not _scalar(value["default"]):
        return "default must be a string, number or boolean"
    if not {"from", "default"} & set(value):
        return "needs from or default"
    return None


def _time_problem(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    if isinstance(value, dict):
        return _rule_problem(value)
    return "must be " + FORMS["time"]


def _zone_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be " + FORMS["zone"]
    try:
        zone_info(value)
    except TimeProblem as exc:
        return str(exc)
    return None


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


_PROBLEMS = {
    "rule": _rule_problem,
    "time": _time_problem,
    "patterns": lambda v: None if isinstance(v, str) or _strings(v) else
    "must be " + FORMS["patterns"],
    "table": lambda v: None if isinstance(v, dict) else "must be " + FORMS["table"],
    "text": lambda v: None if isinstance(v, str) else "must be " + FORMS["text"],
    "value": lambda v: None if _scalar(v) else "must be " + FORMS["value"],
    "zone": _zone_problem,
}
