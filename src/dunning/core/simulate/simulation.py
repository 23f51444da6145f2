"""`simulate`: the runner's decision path, day by day, over a book.

How this works
--------------
`simulate` replays the runner's real decision path from ``start`` to ``end`` included, at
``run_at`` in each customer's local time. Each day:

1. **Scheduled events** of the day are applied: payments the behaviour model decided earlier
   (for the balance of that day, or half of it for a partial payment), promises to pay,
   disputes opened and resolved.
2. **Approvals** that have waited ``approval_delay_days`` since the action was first proposed
   are granted (`ActionApproved`), as a person clearing the approval queue would.
3. **Planning**: `review_customer` runs for each customer *due for planning that day*, in id
   order, exactly as the runner calls it: one message per customer and currency, the
   customer's minimum gap, stated deadlines, business days, send windows, catch-up. A message
   that needs approval waits; the others are "sent": one `ActionTaken` per covered action, at
   the run's instant, on the message's channel (what the runner records).
4. **Reaction**: each message sent draws the customer's response from the `Behaviour` model
   (a dispute, a promise, a payment after a delay, partial or full, or nothing), scheduled on
   a later day.
5. **Snapshot**: the day's outstanding, overdue, cash collected and messages so far, and DSO,
   as `ageing` and `dso` read the book (only invoices that may still owe are read again).

**Event-driven planning.** A customer is planned only on the days when something can change
for it (`dunning.core.simulate._run` says which): the results are the same as planning every
customer every day, only faster.

All randomness comes from one `random.Random` seeded with ``seed`` and drawn in a fixed order
(the on-time payments first, customers by id, invoices in the order given; then one series
of draws per message sent, in the order sent), so the same arguments give the same result;
no draw is made on a day when nothing is sent, so the days skipped change no draw.
Invoices that were not yet due at ``start`` may be paid on time, before any reminder, with the
probability `Behaviour.on_time` of their customer's payer type.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from random import Random

from dunning.core.engine import penalties_at
from dunning.core.metrics import (
    Segment,
    payment_delays,
    suggest_segment,
)
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Policy
from dunning.core.portfolio import PortfolioEntry
from dunning.core.scenario import Scenario
from dunning.core.simulate._book import Book
from dunning.core.simulate._figures import Gauge
from dunning.core.simulate._run import Run, SimulateArgs
from dunning.core.simulate.results import (
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
)
from dunning.core.simulate.synthetic import Behaviour, SyntheticPortfolio

# The result types live in `dunning.core.simulate.results`; they are still importable from here.
__all__ = [
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "simulate",
]

_ONE_DAY = timedelta(days=1)
_NOON_UTC = time(12, tzinfo=UTC)


def _scenarios(book: Book, choice: Scenario | Policy, start: date) -> dict[str, Scenario]:
    if isinstance(choice, Scenario):
        return dict.fromkeys(book.by_customer, choice)
    at = datetime.combine(start, _NOON_UTC)
    return {
        cid: choice.scenario_for(
            book.customers[cid], recent_days_late=payment_delays(book.entries(cid), at=at)
        )
        for cid in book.by_customer
    }


def _payers(
    book: Book, portfolio: SyntheticPortfolio | Iterable[PortfolioEntry], start: date
) -> dict[str, Segment]:
    known = dict(portfolio.payer_types) if isinstance(portfolio, SyntheticPortfolio) else {}
    at = datetime.combine(start, _NOON_UTC)
    return {
        cid: known.get(cid) or suggest_segment(book.entries(cid), at=at) for cid in book.by_customer
    }


def simulate(
    portfolio: SyntheticPortfolio | Iterable[PortfolioEntry],
    scenario_or_policy: Scenario | Policy,
    *,
    start: date,
    end: date,
    seed: int,
    behaviour: Behaviour | None = None,
    approval_delay_days: int = 2,
    run_at: time = time(10, 30),
    rates: PenaltyRates | None = None,
) -> SimulationResult:
    """Run the real decision path over a book, day by day, against a behaviour model.

    See the module's "how this works" for what happens each day, and on which days each
    customer is planned (only those when something can change for it: the result is the
    same as planning every customer every day). The entries need not be
    grouped by customer: the simulation groups them itself.

    Args:
        portfolio: a `SyntheticPortfolio`, or the host's entries grouped by customer (payer
            types are then suggested from each customer's history with `suggest_segment`).
        scenario_or_policy: one scenario for everyone, or a `Policy`: each customer's scenario
            is chosen at *start* from its explicit segment or its payment history.
        start: the first day simulated.
        end: the last day simulated (included).
        seed: the seed of the `random.Random` behind every draw.
        behaviour: the reaction model; `Behaviour()` by default.
        approval_delay_days: days between an action being proposed for approval and a person
            approving it (0: the same day).
        run_at: local time of the daily run (default 10:30, inside every send window).
        rates: rate tables for the penalties at the end; by default the packaged ones.

    Returns:
        A `SimulationResult`: messages, payments, a snapshot per day, the final book and the
        penalties owed at *end*.

    Raises:
        ValueError: if *end* is before *start*.
        pydantic.ValidationError: for a negative *approval_delay_days*.

    Warns:
        ProvisionalRateWarning: when the penalties at *end* use a provisional rate. An invoice
            whose penalties need a rate beyond the tables is left out of ``penalties``.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.simulate import synthetic_portfolio
        >>> book = synthetic_portfolio(10, seed=1, as_of=date(2026, 3, 2))
        >>> r = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 3, 31), seed=1)
        >>> len(r.days), r == simulate(book, STANDARD, start=date(2026, 3, 2),
        ...                            end=date(2026, 3, 31), seed=1)
        (30, True)
    """
    args = SimulateArgs(
        start=start, end=end, seed=seed, approval_delay_days=approval_delay_days, run_at=run_at
    )
    if args.end < args.start:
        msg = f"end: {args.end} is before start {args.start}"
        raise ValueError(msg)
    entries = portfolio.entries if isinstance(portfolio, SyntheticPortfolio) else portfolio
    book = Book.of(entries)
    run = Run(
        book=book,
        scenarios=_scenarios(book, scenario_or_policy, args.start),
        payers=_payers(book, portfolio, args.start),
        behaviour=behaviour or Behaviour(),
        rng=Random(args.seed),  # noqa: S311  (a reproducible simulation, not cryptography)
        args=args,
    )
    run.on_time_payments()
    for customer_id in book.by_customer:
        run.wake_on(args.start, customer_id)
        for later in book.dates_ahead(customer_id, args.start):
            run.wake_on(later, customer_id)
    gauge = Gauge.of(book)
    days: list[SimulationDay] = []
    day = args.start
    while day <= args.end:
        run.day(day)
        days.append(_snapshot(run, gauge, day))
        day += _ONE_DAY
    label = scenario_or_policy.id if isinstance(scenario_or_policy, Scenario) else "policy"
    return SimulationResult(
        label=label,
        start=args.start,
        end=args.end,
        seed=args.seed,
        messages=tuple(run.messages),
        payments=tuple(run.payments),
        days=tuple(days),
        entries=book.all_entries(),
        penalties=_penalties(run, args.end, rates),
    )


def _snapshot(run: Run, gauge: Gauge, day: date) -> SimulationDay:
    outstanding, overdue, days_outstanding = gauge.read(day)
    return SimulationDay(
        on=day,
        outstanding=outstanding,
        overdue=overdue,
        collected=run.collected,
        messages=len(run.messages),
        formal_notices=run.formal_notices,
        dso=days_outstanding,
    )


def _penalties(run: Run, end: date, rates: PenaltyRates | None) -> dict[str, PenaltyBreakdown]:
    out: dict[str, PenaltyBreakdown] = {}
    for customer_id in sorted(run.book.by_customer):
        customer = run.book.customers[customer_id]
        at = datetime.combine(end, run.args.run_at, tzinfo=customer.tz)
        for invoice_id in run.book.by_customer[customer_id]:
            invoice = run.book.invoices[invoice_id]
            if invoice.first_due_on >= end or not run.book.late_before(invoice_id, end):
                continue  # paid on time (or not due yet): no penalties
            owed = penalties_at(
                invoice,
                run.book.events[invoice_id],
                run.scenarios[customer_id],
                at=at,
                rates=rates,
                cache=run.cache,
            )
            if owed is not None and owed.total > 0:
                out[invoice_id] = owed
    return out
