"""Start-up: `import dunning`, the first render in a fresh process, and a steady render.

Each start-up figure is the best of several fresh interpreters; its floor is the same
interpreter doing nothing (``python -c pass``), measured in the same run. The steady figure is
the median of many renders of one message with penalties, next to the floor of formatting its
amounts with Babel directly (`floor.babel_floor`).
Run with ``python benchmarks/bench_startup.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from floor import babel_floor

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent  # the reference message lives in tests/
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

FIRST_RENDER = """
import time
from dunning import Channel
from dunning.render import render
from tests.reference_case import FakeAction, context
action, ctx = FakeAction("reminder", channel=Channel.EMAIL), context()
start = time.perf_counter()
render(action, ctx)
print(time.perf_counter() - start)
"""


def wall(code: str) -> float:
    """Best wall-clock time of RUNS fresh interpreters running *code*, in seconds."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=ENV)  # noqa: S603
        best = min(best, time.perf_counter() - start)
    return best


def first_render() -> float:
    """Best time of the first `render` call in RUNS fresh interpreters, in seconds."""
    best = float("inf")
    for _ in range(RUNS):
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", FIRST_RENDER],
            check=True,
            capture_output=True,
            text=True,
            env=ENV,
        ).stdout
        best = min(best, float(out))
    return best


def steady_render() -> tuple[float, float]:
    """Median render time of one message with penalties, and of its Babel floor, in seconds."""
    from tests.reference_case import FakeAction, context  # noqa: PLC0415

    from dunning.render import render  # noqa: PLC0415

    action, ctx = FakeAction("reminder", penalty_wording="amounts"), context()
    render(action, ctx)
    renders, floors = [], []
    for _ in range(400):
        start = time.perf_counter()
        render(action, ctx)
        middle = time.perf_counter()
        babel_floor(ctx)
        renders.append(middle - start)
        floors.append(time.perf_counter() - middle)
    return statistics.median(renders), statistics.median(floors)


def main() -> None:
    bare = wall("pass")
    imported = wall("import dunning")
    deciding = wall("from dunning import STANDARD, Invoice, decide")
    first = first_render()
    steady, floor = steady_render()
    print(f"bench_startup: best of {RUNS} fresh interpreters")
    print(f"  bare interpreter (floor):     {bare * 1e3:7.1f} ms")
    for label, seconds in (
        ("import dunning", imported),
        ("from dunning import decide..", deciding),
    ):
        extra = (seconds - bare) * 1e3
        print(f"  {label + ':':<30}{seconds * 1e3:7.1f} ms  (+{extra:.1f} ms above the floor)")
    print(f"  first render() in a process:  {first * 1e3:7.1f} ms  (after the imports)")
    ratio = steady / floor
    print(f"  render(), median, penalties:  {steady * 1e6:7.1f} us", end="")
    print(f"  (Babel floor {floor * 1e6:.1f} us, {ratio:.1f}x)")


if __name__ == "__main__":
    main()
