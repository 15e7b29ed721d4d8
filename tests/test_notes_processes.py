"""Two processes writing one notes file at once: every edit kept, no SQLite error shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from metrics.store.notes import add_note, audit_log, note_history

ROOT = Path(__file__).resolve().parent.parent

# One writer: N edits of note 1, each made against the version it last read. A refused
# (stale) save is read again and retried, as a person would after reading the sentence.
WRITER = """
import json, sys
from metrics.store.notes import NoteError, StaleNote, edit_note, note_history
path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
stale, other = 0, []
for i in range(n):
    base = note_history(path, 1)[-1]["version"]
    while True:
        try:
            edit_note(path, 1, who, f"{who}-{i}", base_version=base)
            break
        except StaleNote as exc:
            stale, base = stale + 1, exc.current_version
        except NoteError as exc:
            other.append(str(exc))
            break
print(json.dumps({"stale": stale, "other": other}))
"""


def test_two_processes_editing_one_note_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    add_note(path, "cicd_coverage", "2026Q3", None, None, "seed", "v1")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    n = 40
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
             for who in ("ana", "ben")]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and str(tmp_path) not in out + err
        results.append(json.loads(out))
    assert [r["other"] for r in results] == [[], []]
    history = note_history(path, 1)
    assert [v["version"] for v in history] == list(range(1, 2 * n + 2))
    texts = {v["text"] for v in history}
    assert {f"{who}-{i}" for who in ("ana", "ben") for i in range(n)} <= texts
    assert len([a for a in audit_log(path, 1) if a["action"] == "edit"]) == 2 * n
