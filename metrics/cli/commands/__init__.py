"""One module per sub-command (or family of sub-commands).

A module here defines ``add(sub) -> dict[name, handler]``: it adds its parsers to the
sub-parsers and returns the function that runs each name, ``handler(args, db) -> exit code``.
``ORDER`` places it in ``mlkpi --help``. Adding a command is adding a module: nothing else
lists them. Handlers import the heavy parts (duckdb, ibis, pandas) when they run, so that
``mlkpi --help`` stays instant.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every command module of this package, in ``ORDER``."""
    found = [importlib.import_module(f"{__name__}.{info.name}")
             for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
