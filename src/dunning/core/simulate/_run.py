"""One simulation in progress: the day's events, approvals, plans and the customers' reactions.

Internal to `dunning.core.simulate` (`simulate` drives it; its "how this works" says what
happens each day).

When a customer is planned
--------------------------
Planning a customer on a day when nothing can be due is a no-op, so a customer is planned
only on the days when something can change for it: the first day; a day an event is added
to one of its invoices (a payment, a promise, a dispute or its end, an approval) or an event
of the host's history is dated; the day after a message or an action proposed for approval;
the first day one of its invoices' decisions can change (`Decision.next_review_at`, where a
step falls due or a stated deadline ends), but not before the conversation's spacing, cap
and stated deadlines let a message out (`quiet_until`) when that change can only bring a
message to the customer; and, when the conversation holds back an action that is due, the
first day its spacing, cap and stated deadline let a message out, or, when another of its
rules held it (a minimum amount, a notice given, a courtesy step in dunning, the spacing of
notices), the first day what those rules read moves (`held_until`). An event that leaves
the customer nothing to do (`Run.unmoved`) plans no one: it only moves the day to look
again to the first day one of its invoices' decisions can change. The results are the same
as planning every customer every day (a test runs the old day-by-day loop against this one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from heapq import heappop, heappush
from random import Random
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dunning.core.conversation import (
    STAFF_CHANNELS,
    Conversation,
    held_until,
    quiet_until,
)
from dunning.core.engine import Decision, DecisionStatus, decide
from dunning.core.metrics import Segment
from dunning.core.model import (
    ActionApproved,
    ActionTaken,
    DisputeOpened,
    DisputeResolved,
    Event,
    Payment,
    PromiseToPay,
)
from dunning.core.portfolio import (
    CustomerAction,
    CustomerReview,
    PortfolioEntry,
    _review,
)
from dunning.core.runcache import RunCache
from dunning.core.scenario import CatchUp, Scenario, StepKind
from dunning.core.simulate._book import Book
from dunning.core.simulate.results import SimulatedMessage, SimulatedPayment
from dunning.core.simulate.synthetic import Behaviour

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)
_JUMP = CatchUp.JUMP_TO_DUE_LEVEL


class SimulateArgs(BaseModel):
    """The arguments of `simulate` that are checked (a negative approval delay is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="simulate")

    start: date
    end: date
    seed: int
    approval_delay_days: Annotated[int, Field(ge=0, le=365)]
    run_at: time


def _half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(_CENT, ROUND_HALF_UP)


@dataclass(slots=True)
class Run:
    """One simulation in progress.

    ``wake`` holds, by day, the customers to plan that day: every customer on the first day,
    then each only on the days when something can change for it (see `simulate`). While a
    day's customers are planned (``planning``), ``queue`` holds the rest of them, in id order,
    and ``done`` the last one planned.

    The day a plan finds that nothing can change before (`wake_after`) is kept apart: in
    ``looks``, one day per customer, the one its latest plan gave (a later plan, after an
    event, reads everything again and replaces it), and in ``timed`` by day, where the days
    a later plan replaced are passed over.
    """

    book: Book
    scenarios: dict[str, Scenario]
    payers: dict[str, Segment]
    behaviour: Behaviour
    rng: Random
    args: SimulateArgs
    scheduled: dict[date, list[tuple[str, str]]] = field(default_factory=dict)
    awaiting_payment: set[str] = field(default_factory=set)
    pending: dict[str, tuple[str, date]] = field(default_factory=dict)
    messages: list[SimulatedMessage] = field(default_factory=list)
    payments: list[SimulatedPayment] = field(default_factory=list)
    collected: Decimal = _ZERO
    formal_notices: int = 0
    wake: dict[date, set[str]] = field(default_factory=dict)
    looks: dict[str, date] = field(default_factory=dict)
    timed: dict[date, set[str]] = field(default_factory=dict)
    holding: dict[str, frozenset[str]] = field(default_factory=dict)
    marks: dict[str, dict[str, date]] = field(default_factory=dict)
    quiets: dict[str, date] = field(default_factory=dict)
    today: date = date.min
    planning: bool = False
    queue: list[str] = field(default_factory=list)
    done: str = ""
    ats: dict[str, datetime] = field(default_factory=dict)
    cache: RunCache = field(default_factory=RunCache)

    def wake_on(self, day: date, customer_id: str) -> None:
        """Plan *customer_id* on *day*; today, if its turn has not come yet, else tomorrow."""
        if day == self.today and self.planning:
            if customer_id > self.done:
                heappush(self.queue, customer_id)
                return
            day += _ONE_DAY
        self.wake.setdefault(day, set()).add(customer_id)

    def look_again(self, day: date | None, customer_id: str) -> None:
        """Plan *customer_id* on *day*, a later day, instead of the day its last plan gave.

        None: absent new events, nothing can change for it.
        """
        if day is None:
            self.looks.pop(customer_id, None)
            return
        self.looks[customer_id] = day
        self.timed.setdefault(day, set()).add(customer_id)

    def add(self, invoice_id: str, event: Event, day: date) -> None:
        """Add *event* to the invoice's history, and plan its customer on *day*.

        Unless the plan would find nothing to do (`unmoved`), between two days' plans.
        """
        self.book.add(invoice_id, event)
        customer_id = self.book.invoices[invoice_id].customer.id
        if self.planning or not self.unmoved(customer_id, invoice_id):
            self.wake_on(day, customer_id)

    def unmoved(self, customer_id: str, invoice_id: str) -> bool:
        """Whether an event just added to the invoice leaves its customer nothing to do today.

        So when, at the customer's last plan, no other invoice of it had an action due (then
        none has one before the day that plan gave to look again, but one held back by the
        conversation's spacing, which no event moves), and the invoice has none now: its
        event cannot make a message of the others' actions. The day to look again becomes
        the first day one of its invoices' decisions can change: the invoice's own, decided
        again, and the others' as the last plan left them (``marks``; the events added here
        are never messages, so the conversation's spacing it read still holds). A customer
        with money on account is always planned (the imputation reads every invoice).
        """
        holding = self.holding.get(customer_id)
        if holding is None or holding - {invoice_id} or customer_id in self.book.credits:
            return False
        scenario = self.scenarios[customer_id]
        if self.book.outstanding(invoice_id, self.today) <= scenario.tolerance:
            # Paid: its decision is closed (`decide`'s first rule), with no next change.
            self.moved(customer_id, invoice_id, None)
            return True
        decision = decide(
            self.book.invoices[invoice_id],
            self.book.events[invoice_id],
            scenario,
            at=self.at(customer_id),
            cache=self.cache,
        )
        if decision.actions:
            return False
        changes: date | None = None
        if decision.next_review_at is not None:
            tz = self.book.customers[customer_id].tz
            changes = decision.next_review_at.astimezone(tz).date()
            quiet = self.quiets.get(customer_id)
            if quiet is not None and _written_next(decision, scenario):
                changes = max(changes, quiet)
            # Decided at today's run instant: no change before tomorrow's plan.
            changes = max(changes, self.today + _ONE_DAY)
        self.moved(customer_id, invoice_id, changes)
        return True

    def moved(self, customer_id: str, invoice_id: str, changes: date | None) -> None:
        """The customer's day to look again, now that the invoice's next change is *changes*.

        None: no change without a new event. The invoice holds no action back any more.
        """
        self.holding[customer_id] = frozenset()
        marks = self.marks.get(customer_id)
        if marks is None:  # the last plan did not read every invoice's next change
            looks = self.looks.get(customer_id)
            if changes is not None and (looks is None or changes < looks):
                self.look_again(changes, customer_id)
            return
        if changes is None:
            marks.pop(invoice_id, None)
        else:
            marks[invoice_id] = changes
        # Another invoice's change due today or before keeps today's plan (its day was today).
        first = min(marks.values(), default=None)
        self.look_again(None if first is None else max(first, self.today), customer_id)

    def at(self, customer_id: str) -> datetime:
        """Today's run instant in the customer's time zone."""
        customer = self.book.customers[customer_id]
        found = self.ats.get(customer.time_zone)
        if found is None:
            found = self.ats[customer.time_zone] = datetime.combine(
                self.today, self.args.run_at, tzinfo=customer.tz
            )
        return found

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
            customer_id = self.book.invoices[invoice_id].customer.id
            if what in {"pay", "pay_partial"}:
                self.awaiting_payment.discard(invoice_id)
                owed = self.book.outstanding(invoice_id, day)
                if owed <= 0:
                    continue
                partial = what == "pay_partial" and _half(owed) > 0
                amount = _half(owed) if partial else owed
                currency = self.book.invoices[invoice_id].currency
                self.add(invoice_id, Payment(on=day, amount=amount, currency=currency), day)
                self.payments.append(
                    SimulatedPayment(day, customer_id, invoice_id, amount, partial=partial)
                )
                self.collected += amount
            elif what == "dispute":
                self.add(invoice_id, DisputeOpened(on=day, reason="simulated dispute"), day)
                resolved = day + timedelta(days=self.behaviour.dispute_days)
                self.schedule(resolved, "resolve", invoice_id)
            elif what == "resolve":
                self.add(invoice_id, DisputeResolved(on=day, outcome="simulated: still owed"), day)
            else:  # promise
                promised = day + timedelta(days=self.behaviour.promise_days)
                owed = self.book.outstanding(invoice_id, day)
                if owed > 0:
                    self.add(
                        invoice_id, PromiseToPay(on=day, promised_on=promised, amount=owed), day
                    )

    def approve(self, day: date) -> None:
        for action_id in sorted(self.pending):
            invoice_id, first = self.pending[action_id]
            if (day - first).days >= self.args.approval_delay_days:
                customer_id = self.book.invoices[invoice_id].customer.id
                approved = ActionApproved(
                    at=self.at(customer_id), action_id=action_id, by="simulation"
                )
                self.add(invoice_id, approved, day)
                del self.pending[action_id]

    def send(self, action: CustomerAction, day: date, at: datetime) -> None:
        self.book.add_taken(
            [
                (
                    cover.invoice_id,
                    ActionTaken(
                        at=at,
                        action_id=cover.id,
                        channel=action.channel,
                        step_id=cover.step_id,
                        deadline_days=cover.deadline_days,
                    ),
                )
                for cover in action.covers
            ]
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
        if action.kind is StepKind.FORMAL_NOTICE:
            self.formal_notices += 1
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
        # A new cache each day: what the engine memoises (`RunCache`) is for one run instant,
        # so yesterday's would only grow the heap the garbage collector walks.
        self.today, self.ats, self.cache = day, {}, RunCache()
        self.apply_scheduled(day)
        self.approve(day)
        looks = self.looks
        self.queue = sorted(
            self.wake.pop(day, set()).union(
                c for c in self.timed.pop(day, ()) if looks.get(c) == day
            )
        )
        self.planning, self.done = True, ""
        while self.queue:
            customer_id = heappop(self.queue)
            if customer_id <= self.done:
                continue  # woken twice
            self.done = customer_id
            self.holding.pop(customer_id, None)  # known again if `wake_after` reads it
            self.marks.pop(customer_id, None)
            entries = self.book.to_plan(customer_id, day)
            if entries is None:
                continue  # nothing owed: only a new event (which wakes it) can change that
            review, busy, sent = self.plan(customer_id, day, entries)
            if busy and self.args.approval_delay_days == 0:
                # Approved the day it was proposed: the approver was quick, send it today.
                self.approve(day)
                entries = self.book.to_plan(customer_id, day) or entries
                review, busy, sent = self.plan(customer_id, day, entries)
            if busy or (sent and customer_id in self.book.credits):
                self.wake_on(day + _ONE_DAY, customer_id)
            else:
                self.wake_after(customer_id, day, review, sent)
        self.planning = False

    def plan(
        self, customer_id: str, day: date, entries: list[PortfolioEntry]
    ) -> tuple[CustomerReview, bool, set[str]]:
        """Send what is due to one customer, from its entries (`Book.to_plan`).

        Returns:
            The review, whether something awaits approval, and the invoices messages covered.
        """
        at = self.at(customer_id)
        scenario = self.scenarios[customer_id]
        review = _review(
            entries,
            scenario,
            at=at,
            cache=self.cache,
            conversation=self.book.conversation(customer_id, scenario, at),
        )
        waiting = False
        sent: set[str] = set()
        for action in review.actions:
            if action.requires_approval and not action.approved:
                for cover in action.covers:
                    if cover.requires_approval and not cover.approved:
                        self.pending.setdefault(cover.id, (cover.invoice_id, day))
                        waiting = True
                continue
            self.send(action, day, at)
            sent.update(c.invoice_id for c in action.covers)
        return review, waiting, sent

    def decisions_now(self, review: CustomerReview, sent: set[str]) -> list[Decision]:
        """The review's decisions, those of the invoices just covered decided again after it."""
        if not sent:
            return list(review.decisions)
        scenario = self.scenarios[review.customer_id]
        at = self.at(review.customer_id)
        book = self.book
        return [
            decide(
                book.invoices[d.invoice_id],
                book.events[d.invoice_id],
                scenario,
                at=at,
                cache=self.cache,
            )
            if d.invoice_id in sent
            else d
            for d in review.decisions
        ]

    def wake_after(
        self, customer_id: str, day: date, review: CustomerReview, sent: set[str]
    ) -> None:
        """When to plan the customer next, absent new events (which wake it themselves).

        From the customer's decisions as they stand after the day's messages: the first day
        one can change (its `next_review_at`), but not before the conversation's spacing,
        cap and stated deadlines let a message out (`quiet_until`) if what it can bring is
        a message to the customer. If one decision has an action due, and the conversation
        holds it back: tomorrow for a staff task; if the spacing, cap or a stated deadline
        held it today (or a message just went out), the first day they let one out; if
        another of its rules held it, the first day what those rules read moves
        (`held_until`).
        """
        decisions = self.decisions_now(review, sent)
        tomorrow = day + _ONE_DAY
        customer = self.book.customers[customer_id]
        scenario = self.scenarios[customer_id]
        held = [d for d in decisions if d.actions]
        self.holding[customer_id] = frozenset(d.invoice_id for d in held)
        self.marks.pop(customer_id, None)
        self.quiets.pop(customer_id, None)
        first: date | None = None
        talk: Conversation | None = None if sent else review.conversation
        if held:
            if any(a.channel in STAFF_CHANNELS for d in held for a in d.actions):
                self.look_again(tomorrow, customer_id)
                return
            talk = talk or self.conversation(customer_id)
            if quiet_until(talk, scenario, customer, today=day) == day:
                # Rule 2 let messages out today: another rule held them back.
                first = held_until(
                    talk, scenario, customer, today=day, due_dates=self.book.due_dates(customer_id)
                )
            else:
                first = quiet_until(talk, scenario, customer, today=tomorrow)
            if first == tomorrow:
                self.look_again(tomorrow, customer_id)
                return
        # One level at a time, a due step stays the step due until an event (a written one,
        # held back above); jumping to the level due, a later step may replace it any day.
        moving = [d for d in decisions if not d.actions or scenario.catch_up is _JUMP]
        quiet: date | None = None  # the first day rule 2 lets a message to the customer out
        marks: dict[str, date] = {}  # when each decision can change, for `unmoved`
        for decision in moving:
            if decision.next_review_at is None:
                continue
            changes = decision.next_review_at.astimezone(customer.tz).date()
            if (first is None or changes < first) and _written_next(decision, scenario):
                if quiet is None:
                    talk = talk or self.conversation(customer_id)
                    quiet = quiet_until(talk, scenario, customer, today=tomorrow)
                changes = max(changes, quiet)  # nothing goes to the customer before
            marks[decision.invoice_id] = changes
            first = changes if first is None else min(first, changes)
        if len(moving) == len(decisions):  # every decision's next change is known
            self.mark(customer_id, marks, quiet)
        self.look_again(None if first is None else max(first, tomorrow), customer_id)

    def mark(self, customer_id: str, marks: dict[str, date], quiet: date | None) -> None:
        """Keep when each decision of the customer can next change, for `unmoved`."""
        self.marks[customer_id] = marks
        if quiet is not None:
            self.quiets[customer_id] = quiet

    def conversation(self, customer_id: str) -> Conversation:
        """The customer's conversation at today's run instant, from every one of its invoices."""
        return self.book.conversation(
            customer_id, self.scenarios[customer_id], self.at(customer_id)
        )


def _written_next(decision: Decision, scenario: Scenario) -> bool:
    """The next step the decision can bring is a message to the customer, never a staff task.

    A paused decision may resume with the broken-promise step, and jumping to the level due
    may bring any later step: neither is known to be written.
    """
    if decision.status is DecisionStatus.PAUSED or scenario.catch_up is _JUMP:
        return False
    step = scenario.step(decision.next_step_id) if decision.next_step_id else None
    return (
        step is not None
        and step.channel not in STAFF_CHANNELS
        and step.fallback_channel not in STAFF_CHANNELS
    )
