"""One scenario simulated over 90 days on synthetic books, next to one `decide_many` pass.

Figures, per size (200, 2,000 and 10,000 open invoices of `synthetic_portfolio`, seed 42, with
their paid history): the time of `simulate(book, STANDARD, ...)` from 2 March 2026 for 90
days, next to its floor, one `decide_many` pass over the same book (every invoice of it, paid
history included: what the simulation decides on) at the first day's run instant; and the
ratio. Each figure is the best of its runs, taken in turn: a warm-up pass of the floor (its
calendars, not timed), then twice three floor passes and one simulation, so a burst of load
from elsewhere (the floor of 10,000 invoices takes 0.13 to 0.2 s on the same machine from one
second to the next) hits both alike. Target (issue 23): 10,000 invoices x 90 days in at most
40x the floor.
Then `dunning.simulate.compare` of four candidates (gentle, standard, firm, the default
policy) over 90 days at 2,000 and at 10,000 invoices, with 1 worker and with 2, and the
speed-up.
Usage: python benchmarks/bench_simulate.py [SIZE ...]   (default 200 2000 10000)
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dunning import STANDARD
from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE
from dunning.core.engine import decide_many
from dunning.core.policy import Policy
from dunning.core.scenario import Scenario
from dunning.simulate import compare, simulate, synthetic_portfolio

START = date(2026, 3, 2)
DAYS = 90
AT = datetime.combine(START, datetime.min.time().replace(hour=10, minute=30)).replace(
    tzinfo=ZoneInfo("Europe/Paris")
)
TARGET = 40
ROUNDS = 2


def measure(size: int) -> float:
    """Print the simulation's time, its floor and the ratio for a book of *size*; the ratio."""
    book = synthetic_portfolio(size, seed=42, as_of=START)
    items = [(e.invoice, e.events) for e in book.entries]
    for _ in decide_many(items, STANDARD, at=AT):  # warm-up: the calendars, as a run's are
        pass
    floor = elapsed = float("inf")
    for _ in range(ROUNDS):
        for _ in range(3):
            start = time.perf_counter()
            for _ in decide_many(items, STANDARD, at=AT):
                pass
            floor = min(floor, time.perf_counter() - start)
        start = time.perf_counter()
        result = simulate(
            book, STANDARD, start=START, end=START + timedelta(days=DAYS - 1), seed=42
        )
        elapsed = min(elapsed, time.perf_counter() - start)
        counts = len(result.messages), len(result.payments)
        del result  # not alive during the next run: its objects would slow the collector
    ratio = elapsed / floor
    print(
        f"  {size:>6,} open ({len(items):>6,} in the book): simulate {elapsed:>7.2f} s, "
        f"floor {floor * 1e3:>7.1f} ms, {ratio:>6.1f}x the floor  "
        f"({counts[0]:,} messages, {counts[1]:,} payments)"
    )
    return ratio


def measure_compare(size: int = 2_000) -> None:
    """Print the time of a four-candidate comparison with 1 worker and with 2."""
    book = synthetic_portfolio(size, seed=42, as_of=START)
    candidates: list[Scenario | Policy] = [GENTLE, STANDARD, FIRM, DEFAULT_POLICY]
    end = START + timedelta(days=DAYS - 1)
    seconds = {}
    for workers in (1, 2):
        start = time.perf_counter()
        compare(book, candidates, start=START, end=end, seed=42, workers=workers, progress=False)
        seconds[workers] = time.perf_counter() - start
    print(
        f"  compare, 4 candidates x {DAYS} days at {size:,} invoices: 1 worker "
        f"{seconds[1]:.2f} s, 2 workers {seconds[2]:.2f} s ({seconds[1] / seconds[2]:.2f}x)"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [200, 2_000, 10_000]
    print(
        f"bench_simulate: scenario 'standard', {DAYS} days, synthetic book (seed 42); floor: "
        "one decide_many pass over the book"
    )
    ratio = 0.0
    for size in sizes:
        ratio = measure(size)
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"  target: the largest size within {TARGET}x the floor: {verdict} ({ratio:.1f}x)")
    for size in (2_000, 10_000):
        measure_compare(size)


if __name__ == "__main__":
    main()
