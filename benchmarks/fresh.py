"""Peak memory measured in fresh interpreters, for the memory benchmarks.

A process's peak resident set size never goes down, so each size runs in an interpreter of its
own: one size's peak cannot hide another's.
"""

from __future__ import annotations

import resource
import subprocess
import sys


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_fresh_interpreter(script: str, *args: str) -> list[str]:
    """Run ``script --measure *args`` in a fresh interpreter; its one CSV line, split."""
    out = subprocess.run(  # noqa: S603 - a benchmark script of ours, in a fresh interpreter
        [sys.executable, script, "--measure", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out.split(",")
