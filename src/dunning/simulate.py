"""Simulation: synthetic portfolios, a behaviour model, event-driven simulation and comparisons.

The public names of this part of `dunning`; `import dunning` gives the most used of them
at the top level. Everything here is re-exported from its defining module in the core, except
`compare`, which is the core's `dunning.core.simulate.compare` with what only the shell may
do: run the candidates in several processes (``workers``) and show a progress bar (tqdm, from
the ``notebook`` extra). Both `simulate` and `compare` run with Python's cyclic garbage
collector paused, resumed when they return (`dunning._collector`: a simulation makes no
reference cycles, and the collector's full passes over the growing book were about a
quarter of its time).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import multiprocessing
import operator
import pickle
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from dunning._collector import collector_paused, without_collector
from dunning.core.model import Channel, Event
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Policy
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import Scenario
from dunning.core.simulate import (
    Behaviour,
    BehaviourFit,
    Comparison,
    ComparisonRow,
    FittedValue,
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
    SyntheticPortfolio,
    synthetic_portfolio,
)
from dunning.core.simulate import compare as compare_here
from dunning.core.simulate import simulate as simulate_here
from dunning.core.simulate.comparison import candidates_by_label, comparison_of

__all__ = [
    "Behaviour",
    "BehaviourFit",
    "Comparison",
    "ComparisonRow",
    "FittedValue",
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "SyntheticPortfolio",
    "compare",
    "simulate",
    "synthetic_portfolio",
]

PROGRESS_EXTRA = "pip install 'dunning[notebook]'"

simulate = without_collector(simulate_here, module=__name__)


class _Bar(Protocol):
    def update(self, n: int = 1) -> object: ...
    def close(self) -> object: ...


def compare(
    portfolio: SyntheticPortfolio | Iterable[PortfolioEntry],
    candidates: Mapping[str, Scenario | Policy] | Sequence[Scenario | Policy],
    *,
    start: date,
    end: date,
    seed: int,
    behaviour: Behaviour | None = None,
    unit_costs: Mapping[Channel | str, Decimal | int | str] | None = None,
    approval_delay_days: int = 2,
    rates: PenaltyRates | None = None,
    workers: int = 1,
    progress: bool | None = None,
) -> Comparison:
    """Simulate several scenarios or policies on the same book, with the same seed.

    Each candidate is one `simulate` call; with ``workers`` above 1 they run in that many
    processes, this one and others (started with ``spawn``, so it works the same on Linux,
    macOS and Windows; a script calling it needs the usual ``if __name__ == "__main__":``
    guard). A simulation depends only on its arguments, so the results are the same whatever
    the number of workers. This process takes the candidates from the last, the others from
    the first, each the next one as soon as it is free: another process first starts Python
    and reads the book once, and sends each result back with only what the simulation added
    to the book. On two cores, two workers gain 0.9x to 1.3x at 2,000 invoices and 1.1x to
    1.4x at 10,000 (see docs/simulation.md): little, as the other process first starts.

    Args:
        portfolio: as for `simulate`.
        candidates: the scenarios or policies, by label, or a sequence (labelled by scenario
            id, ``policy`` for a policy; labels must be distinct).
        start: the first day simulated.
        end: the last day simulated.
        seed: the seed, the same for every candidate.
        behaviour: the reaction model; `Behaviour()` by default.
        unit_costs: cost of one message per channel (as for `collection_cost`); without it
            the cost is None.
        approval_delay_days: as for `simulate`.
        rates: as for `simulate`.
        workers: processes to run the candidates in, this one included (1: all in this
            process, one after the other; 2: this one and one more).
        progress: a progress bar on stderr (tqdm), one step per candidate: True shows it,
            False does not, None (default) shows it in a notebook or an interactive terminal
            and not in a script whose stderr is not a terminal (nor when tqdm is missing).

    Returns:
        A `Comparison`, its rows in the order of *candidates*.

    Raises:
        ValueError: if two candidates have the same label, if *workers* is below 1, or as
            `simulate`.
        ImportError: if *progress* is True and tqdm is not installed (the ``notebook``
            extra).

    Examples:
        >>> from datetime import date
        >>> from dunning.core.builtin import FIRM, GENTLE
        >>> book = synthetic_portfolio(10, seed=3, as_of=date(2026, 3, 2))
        >>> c = compare(book, [GENTLE, FIRM], start=date(2026, 3, 2), end=date(2026, 4, 30),
        ...             seed=3, progress=False)
        >>> [row.label for row in c.rows]
        ['gentle', 'firm']
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        msg = f"workers: expected a whole number of processes, 1 or more, got {workers!r}"
        raise ValueError(msg)
    labelled = candidates_by_label(candidates)
    options: dict[str, Any] = {
        "start": start,
        "end": end,
        "seed": seed,
        "behaviour": behaviour,
        "approval_delay_days": approval_delay_days,
        "rates": rates,
    }
    bar = _progress_bar(len(labelled), progress=progress)
    try:
        with collector_paused():  # from reading the book to the last result (dunning._collector)
            entries: SyntheticPortfolio | list[PortfolioEntry] = (
                portfolio if isinstance(portfolio, SyntheticPortfolio) else list(portfolio)
            )
            if workers == 1 or len(labelled) < 2:  # noqa: PLR2004  (one candidate: no pool)
                tick = None if bar is None else (lambda _label: bar.update())
                return compare_here(
                    entries, dict(labelled), unit_costs=unit_costs, progress=tick, **options
                )
            results = _in_processes(entries, labelled, options, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    return comparison_of(results, unit_costs=unit_costs)


def _in_processes(
    entries: SyntheticPortfolio | list[PortfolioEntry],
    labelled: list[tuple[str, Scenario | Policy]],
    options: dict[str, Any],
    workers: int,
    bar: _Bar | None,
) -> dict[str, SimulationResult]:
    """Each candidate simulated here or in one of *workers* - 1 other processes; in given order.

    This process takes the candidates from the last one, the other processes from the first
    (`_Shares`): this process starts at once and sends nothing back, while another first
    starts Python and reads the book.

    The book is pickled once here and read once by each worker (`_simulate_one`), not once
    per candidate. It goes with the candidates, not with the process's start: a start
    waits for the new process to read what it is given, and Python takes a while to start.
    Each result comes back without the book it ends with (`_Shipped`): only what the
    simulation added to each invoice's history, put back on this process's own entries.
    Sending whole results cost more than the simulations saved: at 10,000 invoices a result
    is 18 MB of pickled models, 1.1 s to write and 2 s to read.
    """
    done: dict[str, SimulationResult] = {}
    helpers = min(workers - 1, len(labelled) - 1)
    book = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=helpers, mp_context=spawn) as pool:
        shares = _Shares(labelled, pool, book, options)
        try:
            for _ in range(helpers):
                shares.give()
            while (mine := shares.take()) is not None:
                label, candidate = mine
                done[label] = simulate(entries, candidate, **options)
                if bar is not None:
                    bar.update()
        finally:
            shares.stop()  # no process is given another candidate, even after an error
        for label, shipped in shares.results():
            done[label] = shipped.unpacked(entries)
            if bar is not None:
                bar.update()
    return {label: done[label] for label, _ in labelled}


class _Shares:
    """The candidates left, shared between this process (from the last) and a pool (the first).

    A process of the pool is given the next candidate as soon as it ends one (the pool's
    thread calls `give`); this process, simulating in the thread that called `compare`,
    takes the last one left each time it is free. Only the candidates left and those given
    are shared between the two threads, under one lock.
    """

    def __init__(
        self,
        labelled: list[tuple[str, Scenario | Policy]],
        pool: ProcessPoolExecutor,
        book: bytes,
        options: dict[str, Any],
    ) -> None:
        self._left = deque(labelled)
        self._pool = pool
        self._book, self._options = book, options
        self._given: dict[Future[_Shipped], str] = {}
        self._lock = threading.Lock()

    def give(self, ended: Future[_Shipped] | None = None) -> None:
        """Give a process of the pool the first candidate left, if any.

        None after a candidate that failed in the pool: its error is raised with the
        results, and this process simulates what is left.
        """
        if ended is not None and (ended.cancelled() or ended.exception() is not None):
            return
        with self._lock:
            if not self._left:
                return
            label, candidate = self._left.popleft()
            future = self._pool.submit(_simulate_one, self._book, candidate, self._options)
            self._given[future] = label
        future.add_done_callback(self.give)  # when it ends, the next one

    def take(self) -> tuple[str, Scenario | Policy] | None:
        """The last candidate left, for this process; None when none is."""
        with self._lock:
            return self._left.pop() if self._left else None

    def stop(self) -> None:
        """Give no more candidates away."""
        with self._lock:
            self._left.clear()

    def results(self) -> Iterator[tuple[str, _Shipped]]:
        """The pool's results, by label, as they come (once every candidate is given)."""
        with self._lock:
            given = dict(self._given)
        for future in as_completed(given):
            yield given[future], future.result()


_read: tuple[bytes, SyntheticPortfolio | list[PortfolioEntry]] = (b"", [])
"""In a worker process of `compare`: the pickled book last received, and the book read from it."""


@without_collector
def _simulate_one(book: bytes, candidate: Scenario | Policy, options: dict[str, Any]) -> _Shipped:
    """One candidate's simulation in a worker process, packed to be sent back.

    *book* is the pickled book, sent with each candidate (bytes cost nothing to send) and
    read once per worker: the next candidate with the same bytes finds it read. The
    collector is paused from the reading of the book (which makes as many lasting objects
    as the simulation) to the packing of the result.
    """
    global _read  # noqa: PLW0603  (one book per worker process, read with its first candidate)
    if _read[0] != book:
        _read = book, pickle.loads(book)  # noqa: S301  (pickled by the parent, `_in_processes`)
    entries = _read[1]
    return _Shipped.packed(simulate(entries, candidate, **options), entries)


@dataclasses.dataclass(frozen=True, slots=True)
class _Shipped:
    """A `SimulationResult` without its final book, which the other process rebuilds.

    The final book is the book given plus the events the simulation added. ``added`` says,
    for each history of the result's ``entries`` in order, where its invoice is in the book
    given and what became of it: None, the entry given itself; a tuple, the events added
    after the entry's own; a history, one sent whole (never seen: a simulation only adds
    events, but a result that could not be packed is still sent right).
    """

    result: SimulationResult
    added: tuple[tuple[int, tuple[Event, ...] | InvoiceHistory | None], ...]

    @classmethod
    def packed(
        cls, result: SimulationResult, book: SyntheticPortfolio | Sequence[PortfolioEntry]
    ) -> _Shipped:
        """*result*, of a simulation of *book*, with its entries replaced by what was added."""
        given = _histories_by_invoice(book)
        added: list[tuple[int, tuple[Event, ...] | InvoiceHistory | None]] = []
        for history in result.entries:
            position, entry = given[history.invoice.id]
            if history is entry:
                added.append((position, None))
                continue
            own, events = entry.events, history.events
            kept = len(own) <= len(events) and all(map(operator.is_, own, events))
            if kept and history.invoice is entry.invoice and _rebuilt(entry, events) == history:
                added.append((position, events[len(own) :]))
            else:
                added.append((position, history))
        return cls(dataclasses.replace(result, entries=()), tuple(added))

    def unpacked(self, book: SyntheticPortfolio | Sequence[PortfolioEntry]) -> SimulationResult:
        """The result, its final book rebuilt on *book* (the one the worker was given)."""
        entries = book.entries if isinstance(book, SyntheticPortfolio) else book
        histories: list[InvoiceHistory] = []
        for position, added in self.added:
            if isinstance(added, InvoiceHistory):
                histories.append(added)
                continue
            entry = entries[position]
            assert isinstance(entry, InvoiceHistory)  # noqa: S101  (packed from a history)
            histories.append(entry if added is None else _rebuilt(entry, (*entry.events, *added)))
        return dataclasses.replace(self.result, entries=tuple(histories))


def _histories_by_invoice(
    book: SyntheticPortfolio | Sequence[PortfolioEntry],
) -> dict[str, tuple[int, InvoiceHistory]]:
    entries = book.entries if isinstance(book, SyntheticPortfolio) else book
    return {
        entry.invoice.id: (position, entry)
        for position, entry in enumerate(entries)
        if isinstance(entry, InvoiceHistory)
    }


def _rebuilt(entry: InvoiceHistory, events: Sequence[Event]) -> InvoiceHistory:
    """The history a simulation ends with for *entry*, its events now *events*."""
    return InvoiceHistory(invoice=entry.invoice, events=tuple(events))


def _progress_bar(total: int, *, progress: bool | None) -> _Bar | None:
    """A tqdm bar over *total* candidates, or None (see `compare`'s *progress*)."""
    if progress is False:
        return None
    if progress is None and not _interactive():
        return None
    try:
        # The notebook widget needs ipywidgets (without it tqdm.auto warns): else the text bar.
        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.auto import tqdm  # noqa: PLC0415  (an optional dependency)
        else:
            from tqdm.std import tqdm  # noqa: PLC0415
    except ImportError as error:
        if progress is None:
            return None
        msg = f"progress=True needs tqdm: install the extra with {PROGRESS_EXTRA} ({error})"
        raise ImportError(msg) from error
    bar: _Bar = tqdm(total=total, desc="compare", unit="scenario", file=sys.stderr)
    return bar


def _interactive() -> bool:
    """Whether a person is watching: a Jupyter kernel, or stderr is a terminal."""
    if "ipykernel" in sys.modules:
        return True
    return sys.stderr is not None and sys.stderr.isatty()
