"""Once per server process: keep Streamlit's after-run garbage collection cheap.

Streamlit runs a full ``gc.collect(2)`` after every script run (``runner.postScriptGC``).
With pandas, ibis, plotly and duckdb imported, the heap holds ~200k tracked objects and
each such collection takes ~0.2 s holding the GIL: 16 people opening the scorecard at
once mostly waited for each other's collections. ``gc.freeze()`` moves the objects alive
at that moment (modules, classes, compiled ibis expressions) to the permanent
generation, which later collections skip; objects made afterwards are collected as
before, and frozen objects are still freed when their last reference goes.

    freeze_startup()   # app.py, after each run: acts on the first, then a no-op
"""

from __future__ import annotations

import gc
import threading

_LOCK = threading.Lock()
_frozen: set[str] = set()


def freeze_startup(moment: str = "first run") -> bool:
    """Collect, then freeze what is left, once per ``moment`` ('first run', 'warm-up');
    True when this call froze."""
    with _LOCK:
        if moment in _frozen:
            return False
        _frozen.add(moment)
        gc.collect()  # garbage first: what is frozen is never collected
        gc.freeze()
        return True
