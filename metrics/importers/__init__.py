"""``mlkpi import``: the exports of the tools an organisation runs → event rows → ingest.

Every source is one module of ``metrics.importers.sources``, found by discovery: adding a
source is adding a module (and its tests); nothing else lists them. A source module says

    NAME = "kubeflow-runs"                     # the SOURCE argument, exactly
    WRITES = ("pipeline_run",)                 # the event kinds its rows are
    READS = "KFP v2beta1 Run JSON and list responses"      # one line for --help
    EXAMPLE = "curl -s $KFP/apis/v2beta1/runs > runs.json"  # how to get the file
    MAP_KEYS = (keys.TEAM, keys.TIER, keys.PIPELINE, keys.PIPELINE_STATUS)  # what it reads

    def records(doc: Doc) -> Iterable[Rec]:    # one document → its records;
        ...                                    # raise ShapeError if it is not this source's
    def events(recs: list[Rec], mapper: Mapper) -> Iterable[Row | Skip]:
        ...                                    # records → rows (or why not an event)

and, only if it needs them, ``read(name, data) -> Iterable[Doc]`` (files that are not JSON
or JSON Lines), ``add_options(parser)`` (options of its own; their values are in
``mapper.options``) and ``FILES = "*"`` (FILE optional, e.g. with a live ``--url``). A
source with a flow of its own has ``run(args, db) -> int`` instead of ``records`` and
``events`` (``run.import_documents`` stores documents through the same path).

The shared pieces: ``base`` (Doc, Rec, Row, Skip, ShapeError, path helpers), ``mapfile``
(the TOML map, checked against every source's ``MAP_KEYS``), ``keys`` (the keys several
sources share), ``rules`` (``from``/``map``/``default`` resolution and the ``Event`` row
builder: ``ev.rule("team")`` is the map's value or a row problem naming ``[team]``),
``times`` (every timestamp style, never guessed), ``vocab`` (severity and run-state
tables the map can override) and ``run`` (files → rows → the ``mlkpi ingest`` path).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from metrics.errors import MlkpiError
from metrics.importers.mapfile import COMMON_KEYS, Key


class UnknownSource(MlkpiError):
    """A SOURCE name no module declares."""


def all_sources() -> dict[str, ModuleType]:
    """Every source module by its ``NAME``, in name order."""
    package = importlib.import_module(f"{__name__}.sources")
    found = [importlib.import_module(f"{package.__name__}.{info.name}")
             for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")]
    return {m.NAME: m for m in sorted(found, key=lambda m: m.NAME)}


def source(name: str) -> ModuleType:
    """The module of source ``name``; an unknown name is one sentence listing the known."""
    known = all_sources()
    if name not in known:
        raise UnknownSource(f"'{name}' is not a source; use one of: {', '.join(known)}")
    return known[name]


def all_keys() -> dict[str, Key]:
    """Every map key any source reads (a map may serve several sources), by dotted name."""
    keys = {k.name: k for k in COMMON_KEYS}
    for module in all_sources().values():
        for key in module.MAP_KEYS:
            keys.setdefault(key.name, key)
    return keys
