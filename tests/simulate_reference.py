"""The simulation loop before issue 23 (every customer planned every day), kept as a test oracle.

A verbatim copy of the loop of ``dunning.core.simulate.simulation`` at that commit (`_Book`,
`_Run`, the day loop, the snapshot and the penalties), except that the result classes are the
library's, so results compare equal, and that `simulate` is named `simulate_day_by_day`.
Do not edit: `tests/test_simulate_events.py` checks the event-driven loop against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dunning.core.engine import decide
from dunning.core.ledger import amount_outstanding
from dunning.core.metrics import (
    DsoMethod,
    Segment,
    ageing,
    dso,
    payment_delays,
    suggest_segment,
)
from dunning.core.model import (
    ActionApproved,
    ActionTaken,
    Customer,
    DisputeOpened,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
)
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Policy
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
    plan_for_customer,
)
from dunning.core.scenario import Scenario, StepKind
from dunning.core.simulate.results import (
    SimulatedMessage,
    SimulatedPayment,
    SimulationDay,
    SimulationResult,
)
from dunning.core.simulate.synthetic import Behaviour, SyntheticPortfolio

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)
_NOON_UTC = time(12, tzinfo=UTC)


class _SimulateArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="simulate")

    start: date
    end: date
    seed: int
    approval_delay_days: Annotated[int, Field(ge=0, le=365)]
    run_at: time


def _half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(_CENT, ROUND_HALF_UP)


@dataclass(slots=True)
class _Book:
    """The mutable state of one simulation (the histories grow as a host's would)."""

    invoices: dict[str, Invoice]
    events: dict[str, list[Event]]
    by_customer: dict[str, list[str]]
    credits: dict[str, list[PaymentOnAccount | UnappliedCreditNote]]
    customers: dict[str, Customer]

    @classmethod
    def of(cls, entries: Iterable[PortfolioEntry]) -> _Book:
        book = cls({}, {}, {}, {}, {})
        for entry in entries:
            if isinstance(entry, InvoiceHistory):
                invoice = entry.invoice
                book.invoices[invoice.id] = invoice
                book.events[invoice.id] = list(entry.events)
                book.by_customer.setdefault(invoice.customer.id, []).append(invoice.id)
                book.customers.setdefault(invoice.customer.id, invoice.customer)
            else:
                book.credits.setdefault(entry.customer_id, []).append(entry)
        return book

    def history(self, invoice_id: str) -> InvoiceHistory:
        return InvoiceHistory(
            invoice=self.invoices[invoice_id], events=tuple(self.events[invoice_id])
        )

    def entries(self, customer_id: str) -> list[PortfolioEntry]:
        mine: list[PortfolioEntry] = [self.history(i) for i in self.by_customer[customer_id]]
        mine.extend(self.credits.get(customer_id, ()))
        return mine

    def outstanding(self, invoice_id: str, day: date) -> Decimal:
        return amount_outstanding(self.invoices[invoice_id], self.events[invoice_id], on=day)

    def all_entries(self) -> tuple[InvoiceHistory, ...]:
        return tuple(self.history(i) for ids in self.by_customer.values() for i in ids)


@dataclass(slots=True)
class _Run:
    """One simulation in progress."""

    book: _Book
    scenarios: dict[str, Scenario]
    payers: dict[str, Segment]
    behaviour: Behaviour
    rng: Random
    args: _SimulateArgs
    scheduled: dict[date, list[tuple[str, str]]] = field(default_factory=dict)
    awaiting_payment: set[str] = field(default_factory=set)
    pending: dict[str, tuple[str, date]] = field(default_factory=dict)
    messages: list[SimulatedMessage] = field(default_factory=list)
    payments: list[SimulatedPayment] = field(default_factory=list)

    def schedule(self, day: date, what: str, invoice_id: str) -> None:
        if what in {"pay", "pay_partial"}:
            if invoice_id in self.awaiting_payment:
                return
            self.awaiting_payment.add(invoice_id)
        self.scheduled.setdefault(day, []).append((what, invoice_id))

    def on_time_payments(self) -> None:
        start = self.args.start
        for customer_id in sorted(self.book.by_customer):
            payer = self.payers[customer_id]
            for invoice_id in self.book.by_customer[customer_id]:
                invoice = self.book.invoices[invoice_id]
                if invoice.last_due_on < start or self.book.outstanding(invoice_id, start) <= 0:
                    continue
                if self.rng.random() < self.behaviour.on_time.get(payer, 0.0):
                    early = timedelta(days=self.rng.randint(0, 5))
                    day = max(start, invoice.issued_on, invoice.last_due_on - early)
                    self.schedule(day, "pay", invoice_id)

    def apply_scheduled(self, day: date) -> None:
        for what, invoice_id in self.scheduled.pop(day, []):
            events = self.book.events[invoice_id]
            customer_id = self.book.invoices[invoice_id].customer.id
            if what in {"pay", "pay_partial"}:
                self.awaiting_payment.discard(invoice_id)
                owed = self.book.outstanding(invoice_id, day)
                if owed <= 0:
                    continue
                partial = what == "pay_partial" and _half(owed) > 0
                amount = _half(owed) if partial else owed
                events.append(Payment(on=day, amount=amount))
                self.payments.append(
                    SimulatedPayment(day, customer_id, invoice_id, amount, partial=partial)
                )
            elif what == "dispute":
                events.append(DisputeOpened(on=day, reason="simulated dispute"))
                resolved = day + timedelta(days=self.behaviour.dispute_days)
                self.schedule(resolved, "resolve", invoice_id)
            elif what == "resolve":
                events.append(DisputeResolved(on=day, outcome="simulated: still owed"))
            else:  # promise
                promised = day + timedelta(days=self.behaviour.promise_days)
                owed = self.book.outstanding(invoice_id, day)
                if owed > 0:
                    events.append(PromiseToPay(on=day, promised_on=promised, amount=owed))

    def approve(self, day: date, at_of: dict[str, datetime]) -> None:
        for action_id in sorted(self.pending):
            invoice_id, first = self.pending[action_id]
            if (day - first).days >= self.args.approval_delay_days:
                customer_id = self.book.invoices[invoice_id].customer.id
                self.book.events[invoice_id].append(
                    ActionApproved(at=at_of[customer_id], action_id=action_id, by="simulation")
                )
                del self.pending[action_id]

    def send(self, action: CustomerAction, day: date, at: datetime) -> None:
        for cover in action.covers:
            self.book.events[cover.invoice_id].append(
                ActionTaken(
                    at=at,
                    action_id=cover.id,
                    channel=action.channel,
                    step_id=cover.step_id,
                    deadline_days=cover.deadline_days,
                )
            )
        self.messages.append(
            SimulatedMessage(
                on=day,
                customer_id=action.customer_id,
                channel=action.channel,
                kind=action.kind,
                level=action.level,
                invoice_ids=tuple(c.invoice_id for c in action.covers),
                amount_due=action.amount_due,
            )
        )
        self.react(action, day)

    def react(self, action: CustomerAction, day: date) -> None:
        b, rng = self.behaviour, self.rng
        payer = self.payers[action.customer_id]
        lead = action.covers[0].invoice_id
        draw = rng.random()
        if draw < b.dispute:
            self.schedule(day + _ONE_DAY, "dispute", lead)
        elif draw < b.dispute + b.promise:
            self.schedule(day + _ONE_DAY, "promise", lead)
            if rng.random() < b.promise_kept.get(payer, 0.0):
                self.schedule(day + timedelta(days=1 + b.promise_days), "pay", lead)
        elif rng.random() < b.pay_probability(payer, action.kind):
            low, high = b.delay_days.get(payer, (1, 10))
            when = day + timedelta(days=max(1, rng.randint(min(low, high), max(low, high))))
            what = "pay_partial" if rng.random() < b.partial_payment else "pay"
            for cover in action.covers:
                self.schedule(when, what, cover.invoice_id)

    def day(self, day: date) -> None:
        self.apply_scheduled(day)
        at_of = {
            cid: datetime.combine(day, self.args.run_at, tzinfo=c.tz)
            for cid, c in self.book.customers.items()
        }
        self.approve(day, at_of)
        for customer_id in sorted(self.book.by_customer):
            ids = self.book.by_customer[customer_id]
            if all(self.book.outstanding(i, day) <= 0 for i in ids):
                continue
            if self.plan(customer_id, day, at_of) and self.args.approval_delay_days == 0:
                # Approved the day it was proposed: the approver was quick, send it today.
                self.approve(day, at_of)
                self.plan(customer_id, day, at_of)

    def plan(self, customer_id: str, day: date, at_of: dict[str, datetime]) -> bool:
        """Send what is due to one customer; True if something now awaits approval."""
        at = at_of[customer_id]
        waiting = False
        for action in plan_for_customer(
            self.book.entries(customer_id), self.scenarios[customer_id], at=at
        ):
            if action.requires_approval and not action.approved:
                for cover in action.covers:
                    if cover.requires_approval and not cover.approved:
                        self.pending.setdefault(cover.id, (cover.invoice_id, day))
                        waiting = True
                continue
            self.send(action, day, at)
        return waiting


def _scenarios(book: _Book, choice: Scenario | Policy, start: date) -> dict[str, Scenario]:
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
    book: _Book, portfolio: SyntheticPortfolio | Iterable[PortfolioEntry], start: date
) -> dict[str, Segment]:
    known = dict(portfolio.payer_types) if isinstance(portfolio, SyntheticPortfolio) else {}
    at = datetime.combine(start, _NOON_UTC)
    return {
        cid: known.get(cid) or suggest_segment(book.entries(cid), at=at) for cid in book.by_customer
    }


def simulate_day_by_day(
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
    """The library's `simulate` before issue 23: every customer planned every day."""
    args = _SimulateArgs(
        start=start, end=end, seed=seed, approval_delay_days=approval_delay_days, run_at=run_at
    )
    if args.end < args.start:
        msg = f"end: {args.end} is before start {args.start}"
        raise ValueError(msg)
    entries = portfolio.entries if isinstance(portfolio, SyntheticPortfolio) else portfolio
    book = _Book.of(entries)
    run = _Run(
        book=book,
        scenarios=_scenarios(book, scenario_or_policy, args.start),
        payers=_payers(book, portfolio, args.start),
        behaviour=behaviour or Behaviour(),
        rng=Random(args.seed),  # noqa: S311  (a reproducible simulation, not cryptography)
        args=args,
    )
    run.on_time_payments()
    days: list[SimulationDay] = []
    day = args.start
    while day <= args.end:
        run.day(day)
        days.append(_snapshot(run, day))
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


def _snapshot(run: _Run, day: date) -> SimulationDay:
    at = datetime.combine(day, _NOON_UTC)
    entries = run.book.all_entries()
    balance = ageing(entries, at=at)
    return SimulationDay(
        on=day,
        outstanding=balance.total,
        overdue=balance.overdue,
        collected=sum((p.amount for p in run.payments), _ZERO),
        messages=len(run.messages),
        formal_notices=sum(1 for m in run.messages if m.kind is StepKind.FORMAL_NOTICE),
        # Count-back: a simulated book issues no new invoices, so the standard method would
        # soon have no sales in its window; the count-back method still reads it.
        dso=dso(entries, at=at, method=DsoMethod.COUNT_BACK),
    )


def _penalties(run: _Run, end: date, rates: PenaltyRates | None) -> dict[str, PenaltyBreakdown]:
    out: dict[str, PenaltyBreakdown] = {}
    for customer_id in sorted(run.book.by_customer):
        customer = run.book.customers[customer_id]
        at = datetime.combine(end, run.args.run_at, tzinfo=customer.tz)
        for invoice_id in run.book.by_customer[customer_id]:
            invoice = run.book.invoices[invoice_id]
            if invoice.first_due_on >= end:
                continue
            decision = decide(
                invoice,
                run.book.events[invoice_id],
                run.scenarios[customer_id],
                at=at,
                with_penalties=True,
                rates=rates,
            )
            if decision.penalties is not None and decision.penalties.total > 0:
                out[invoice_id] = decision.penalties
    return out
