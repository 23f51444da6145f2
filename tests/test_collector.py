"""Simulations run with Python's cyclic garbage collector paused, and leave it as it was.

The pause (`dunning._collector`) is only safe because a simulation makes no reference
cycles: the first test checks that, in a process of its own, on a book and a policy that
take every path (approvals, promises, disputes, payments). The others check that the public
`simulate` and `compare` run without automatic collections, and that the collector comes
back as it was: after an error, when the caller had turned it off, and when several threads
pause it at once.
"""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date

import pytest

from dunning import STANDARD
from dunning._collector import collector_paused, without_collector
from dunning.core.builtin import FIRM
from dunning.core.portfolio import PortfolioEntry
from dunning.core.simulate import simulate as simulate_here
from dunning.simulate import compare, simulate, synthetic_portfolio

START = date(2026, 3, 2)
END = date(2026, 3, 31)


@pytest.fixture(autouse=True)
def collector_back_on() -> Iterator[None]:
    """Whatever a test does, the next one starts with the collector running."""
    yield
    gc.enable()


def test_a_simulation_and_a_comparison_leave_nothing_for_the_cyclic_collector() -> None:
    """Nothing that only the collector could free, after a simulation and a comparison.

    In a fresh process, collector off: 90 days of 200 invoices under the default policy, then
    a comparison of two candidates.
    """
    script = textwrap.dedent(
        """
        import gc
        from datetime import date
        from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE
        from dunning.core.simulate import compare, simulate, synthetic_portfolio

        start, end = date(2026, 3, 2), date(2026, 5, 30)
        book = synthetic_portfolio(200, seed=7, as_of=start)
        gc.collect()
        gc.disable()
        result = simulate(book, DEFAULT_POLICY, start=start, end=end, seed=7)
        notices = result.days[-1].formal_notices
        comparison = compare(book, [GENTLE, FIRM], start=start, end=end, seed=7)
        del result, comparison
        print(gc.collect(), notices)
        """
    )
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    freed, notices = (int(word) for word in done.stdout.split())
    assert notices > 0  # the approval path ran: formal notices are approved before they go
    assert freed == 0


def probed(entries: Iterable[PortfolioEntry], seen: list[bool]) -> Iterator[PortfolioEntry]:
    """*entries*, noting in *seen* whether the collector runs when the book is read."""
    seen.append(gc.isenabled())
    yield from entries


def test_simulate_runs_with_the_collector_paused() -> None:
    """The book is read with the collector off, and it is back on afterwards.

    The book is read inside the run; the core's own simulation leaves the collector alone.
    """
    book = synthetic_portfolio(20, seed=3, as_of=START).entries
    seen: list[bool] = []
    simulate_here(probed(book, seen), STANDARD, start=START, end=END, seed=3)
    simulate(probed(book, seen), STANDARD, start=START, end=END, seed=3)
    assert seen == [True, False]
    assert gc.isenabled()


@pytest.mark.parametrize("workers", [1, 2])
def test_compare_runs_with_the_collector_paused_here(workers: int) -> None:
    """A comparison reads the book with the collector off here, in one process or two."""
    book = synthetic_portfolio(20, seed=3, as_of=START).entries
    seen: list[bool] = []
    result = compare(
        probed(book, seen),
        [STANDARD, FIRM],
        start=START,
        end=END,
        seed=3,
        workers=workers,
        progress=False,
    )
    assert [row.label for row in result.rows] == ["standard", "firm"]
    assert seen == [False]
    assert gc.isenabled()


def test_the_public_simulate_can_be_sent_to_another_process() -> None:
    """Pickled by reference as `dunning.simulate.simulate`, as a process pool sends it."""
    assert pickle.loads(pickle.dumps(simulate)) is simulate  # noqa: S301  (our own bytes)


def test_the_collector_comes_back_after_an_error() -> None:
    """A simulation that raises (end before start) leaves the collector running."""
    book = synthetic_portfolio(5, seed=3, as_of=START)
    with pytest.raises(ValueError, match="before start"):
        simulate(book, STANDARD, start=END, end=START, seed=3)
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    """Paused over a collector already off: it is not turned on at the end."""
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_pauses_resume_at_the_outermost_end() -> None:
    """`without_collector` inside `collector_paused`: still off until the outer one ends."""
    inner = without_collector(gc.isenabled)
    with collector_paused():
        assert inner() is False
        assert not gc.isenabled()
    assert gc.isenabled()


def test_two_threads_pausing_at_once_resume_when_the_last_ends() -> None:
    """A first, then B, pause; A ends first: still off until B ends, then on."""
    steps: dict[str, threading.Event] = {
        name: threading.Event() for name in ("a_in", "b_in", "a_out", "b_may_leave")
    }
    seen: list[bool] = []

    def thread(body: Callable[[], None]) -> threading.Thread:
        t = threading.Thread(target=body)
        t.start()
        return t

    def a() -> None:
        with collector_paused():
            steps["a_in"].set()
            steps["b_in"].wait(5)
        steps["a_out"].set()

    def b() -> None:
        steps["a_in"].wait(5)
        with collector_paused():
            steps["b_in"].set()
            steps["b_may_leave"].wait(5)

    first, second = thread(a), thread(b)
    steps["a_out"].wait(5)
    seen.append(gc.isenabled())  # A has ended, B is still inside
    steps["b_may_leave"].set()
    first.join(5)
    second.join(5)
    seen.append(gc.isenabled())
    assert seen == [False, True]
