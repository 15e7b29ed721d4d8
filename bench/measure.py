"""Run a command as its own process and measure wall time and peak RSS (``wait4``)."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Run:
    cmd: list[str]
    seconds: float
    peak_gb: float
    returncode: int
    stdout: str

    def to_json(self, rows: int | None = None) -> dict:
        out = {"seconds": round(self.seconds, 3), "peak_gb": round(self.peak_gb, 3),
               "exit": self.returncode}
        if rows:
            out["rows"] = rows
            out["rows_per_s"] = round(rows / self.seconds)
        return out


def run_measured(cmd: list[str], env: dict | None = None) -> Run:
    """Run ``cmd`` to completion; its own peak RSS comes from the kernel via wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    out_chunks = []
    while True:  # drain stdout so a large JSON output cannot block the child
        chunk = proc.stdout.read(1 << 16)
        if not chunk:
            break
        out_chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read()
    code = proc.returncode
    if code not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd[:6])} … failed ({code}): {err.strip()[-500:]}")
    return Run(cmd, seconds, usage.ru_maxrss / 2**20, code, "".join(out_chunks))
