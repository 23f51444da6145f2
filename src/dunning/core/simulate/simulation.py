"""The simulation loop and its results: the runner's decision path, day by day, over a book.

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

**Event-driven planning.** Planning a customer on a day when nothing can be due is a no-op,
so a customer is planned only on the days when something can change for it: the first day;
a day an event is added to one of its invoices (a payment, a promise, a dispute or its end,
an approval) or an event of the host's history is dated; the day after a message or an
action proposed for approval; the first day one of its invoices' decisions can change
(`Decision.next_review_at`, where a step falls due or a stated deadline ends), but not before
the conversation's spacing, cap and stated deadlines let a message out (`quiet_until`) when
that change can only bring a message to the customer; and, when the conversation holds back
an action that is due, the first day its spacing, cap and stated deadline let a message out,
or, when another of its rules held it (a minimum amount, a notice given, a courtesy step in
dunning, the spacing of notices), the first day what those rules read moves (`held_until`).
The results are the same as planning every customer every day (a test runs the old
day-by-day loop against this one), only faster.

All randomness comes from one `random.Random` seeded with ``seed`` and drawn in a fixed order
(the on-time payments first, customers by id, invoices in the order given; then one series
of draws per message sent, in the order sent), so the same arguments give the same result;
no draw is made on a day when nothing is sent, so the days skipped change no draw.
Invoices that were not yet due at ``start`` may be paid on time, before any reminder, with the
probability `Behaviour.on_time` of their customer's payer type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from heapq import heappop, heappush
from random import Random
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from dunning.core.conversation import (
    STAFF_CHANNELS,
    Conversation,
    held_until,
    quiet_until,
    read_conversation,
)
from dunning.core.display import html_table
from dunning.core.engine import Decision, DecisionStatus, decide, penalties_at
from dunning.core.ledger import Ledger
from dunning.core.metrics import (
    Segment,
    payment_delays,
    suggest_segment,
)
from dunning.core.metrics.book import count_back
from dunning.core.model import (
    ActionApproved,
    ActionTaken,
    Channel,
    CreditNote,
    Customer,
    DisputeOpened,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
    event_day,
)
from dunning.core.penalties.compute import PenaltyBreakdown
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.policy import Policy
from dunning.core.portfolio import (
    CustomerAction,
    CustomerReview,
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
    review_customer,
)
from dunning.core.runcache import RunCache
from dunning.core.scenario import CatchUp, Scenario, StepKind
from dunning.core.simulate.synthetic import Behaviour, SyntheticPortfolio

__all__ = [
    "SimulatedMessage",
    "SimulatedPayment",
    "SimulationDay",
    "SimulationResult",
    "simulate",
]

_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)
_NOON_UTC = time(12, tzinfo=UTC)
_EUR = "EUR"
_JUMP = CatchUp.JUMP_TO_DUE_LEVEL
_MONEY = (Payment, CreditNote)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """One message the simulation sent (what the runner would have sent that day).

    Attributes:
        on: the day.
        customer_id: the customer.
        channel: the message's channel.
        kind: the lead step's kind.
        level: the lead step's level.
        invoice_ids: the invoices whose actions it carries out.
        amount_due: the amount the message asks for.
    """

    on: date
    customer_id: str
    channel: Channel
    kind: StepKind
    level: int
    invoice_ids: tuple[str, ...]
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class SimulatedPayment:
    """A payment the behaviour model made.

    Attributes:
        on: the day.
        customer_id: the customer.
        invoice_id: the invoice paid.
        amount: the amount.
        partial: half the balance rather than all of it.
    """

    on: date
    customer_id: str
    invoice_id: str
    amount: Decimal
    partial: bool


@dataclass(frozen=True, slots=True)
class SimulationDay:
    """The book at the end of one simulated day.

    Attributes:
        on: the day.
        outstanding: receivables still owed.
        overdue: the part of them past due.
        collected: cash collected since the start (cumulative).
        messages: messages sent since the start (cumulative).
        formal_notices: formal notices sent since the start (cumulative).
        dso: count-back DSO that day (`DsoMethod.COUNT_BACK`: the simulated book issues no
            new invoices, so the standard method's sales window would empty).
    """

    on: date
    outstanding: Decimal
    overdue: Decimal
    collected: Decimal
    messages: int
    formal_notices: int
    dso: Decimal | None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Everything one simulation did, and the book at its end.

    Attributes:
        label: the scenario's id, or ``policy`` for a policy.
        start: the first day simulated.
        end: the last day simulated.
        seed: the seed used.
        messages: the messages sent, in order.
        payments: the payments made, in order.
        days: one snapshot per day.
        entries: the book at the end (every event the simulation added included), for the
            functions of `dunning.core.metrics`.
        penalties: late-payment penalties owed at the end (or when paid), by invoice id, for
            each invoice that was late and whose rates are in the tables.
    """

    label: str
    start: date
    end: date
    seed: int
    messages: tuple[SimulatedMessage, ...]
    payments: tuple[SimulatedPayment, ...]
    days: tuple[SimulationDay, ...]
    entries: tuple[InvoiceHistory, ...] = field(repr=False)
    penalties: Mapping[str, PenaltyBreakdown] = field(repr=False)

    @property
    def collected(self) -> Decimal:
        """Cash collected over the whole simulation."""
        return sum((p.amount for p in self.payments), _ZERO)

    @property
    def penalties_owed(self) -> Decimal:
        """Interest and indemnities owed at the end, on every late invoice."""
        return sum((b.total for b in self.penalties.values()), _ZERO)

    @property
    def formal_notices(self) -> int:
        """Messages whose lead step is a formal notice."""
        return sum(1 for m in self.messages if m.kind is StepKind.FORMAL_NOTICE)

    def collected_by(self, day_number: int) -> Decimal | None:
        """Cash collected in the first *day_number* days (None if the run is shorter).

        Examples:
            >>> from datetime import date
            >>> r = SimulationResult("x", date(2026, 3, 1), date(2026, 3, 10), 1, (),
            ...     (SimulatedPayment(date(2026, 3, 5), "C", "F", Decimal("10"), False),),
            ...     (), (), {})
            >>> r.collected_by(5), r.collected_by(4), r.collected_by(11)
            (Decimal('10'), Decimal('0'), None)
        """
        if (self.end - self.start).days + 1 < day_number:
            return None
        last = self.start + timedelta(days=day_number - 1)
        return sum((p.amount for p in self.payments if p.on <= last), _ZERO)

    def messages_by_channel(self) -> dict[str, int]:
        """Messages sent per channel, by channel name."""
        out: dict[str, int] = {}
        for m in self.messages:
            out[m.channel.value] = out.get(m.channel.value, 0) + 1
        return dict(sorted(out.items()))

    def records(self) -> list[dict[str, Any]]:
        """One row per day (the `SimulationDay` fields), for a DataFrame."""
        return [
            {
                "on": d.on,
                "outstanding": d.outstanding,
                "overdue": d.overdue,
                "collected": d.collected,
                "messages": d.messages,
                "formal_notices": d.formal_notices,
                "dso": d.dso,
            }
            for d in self.days
        ]

    def _repr_html_(self) -> str:
        last = self.days[-1] if self.days else None
        rows = [
            ("days simulated", len(self.days)),
            ("messages sent", len(self.messages)),
            *((f"  by {ch}", n) for ch, n in self.messages_by_channel().items()),
            ("formal notices", self.formal_notices),
            ("payments", len(self.payments)),
            ("cash collected", self.collected),
            ("outstanding at the end", last.outstanding if last else ""),
            ("DSO at the end", last.dso if last else ""),
            ("penalties owed", self.penalties_owed),
        ]
        caption = f"Simulation '{self.label}' {self.start} to {self.end} (seed {self.seed})"
        return html_table(["", "value"], rows, caption=caption)


# --------------------------------------------------------------------------- simulation


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
    """The mutable state of one simulation (the histories grow as a host's would).

    Every event the simulation adds goes through `add`, which drops the invoice's cached
    history (rebuilt when next asked for) and, for money, its ledger, noting it as changed
    for the gauge: the other events it adds leave the money as it was (a ledger reads only
    payments and credit notes, and the reversals the host gave, which name their facts).
    """

    invoices: dict[str, Invoice]
    events: dict[str, list[Event]]
    by_customer: dict[str, list[str]]
    credits: dict[str, list[PaymentOnAccount | UnappliedCreditNote]]
    customers: dict[str, Customer]
    changed: set[str] = field(default_factory=set)
    _histories: dict[str, InvoiceHistory] = field(default_factory=dict)
    _ledgers: dict[str, Ledger] = field(default_factory=dict)
    _settled: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, entries: Iterable[PortfolioEntry]) -> _Book:
        book = cls({}, {}, {}, {}, {})
        for entry in entries:
            if isinstance(entry, InvoiceHistory):
                invoice = entry.invoice
                book.invoices[invoice.id] = invoice
                book.events[invoice.id] = list(entry.events)
                plain = entry.penalties is None and entry.document is None
                if type(entry) is InvoiceHistory and plain:
                    # What `history` would build again: kept until an event is added.
                    book._histories[invoice.id] = entry
                book.by_customer.setdefault(invoice.customer.id, []).append(invoice.id)
                book.customers.setdefault(invoice.customer.id, invoice.customer)
            else:
                book.credits.setdefault(entry.customer_id, []).append(entry)
        return book

    def add(self, invoice_id: str, event: Event) -> None:
        self.events[invoice_id].append(event)
        self._histories.pop(invoice_id, None)
        self._settled.discard(invoice_id)
        if isinstance(event, _MONEY):
            self._ledgers.pop(invoice_id, None)
            self.changed.add(invoice_id)

    def history(self, invoice_id: str) -> InvoiceHistory:
        found = self._histories.get(invoice_id)
        if found is None:
            found = self._histories[invoice_id] = InvoiceHistory(
                invoice=self.invoices[invoice_id], events=tuple(self.events[invoice_id])
            )
        return found

    def ledger(self, invoice_id: str, *, keep: bool = True) -> Ledger:
        """The invoice's ledger, kept until money is added to it (unless *keep* is False).

        A ledger read once (each invoice's by the first day's figures, the late ones by the
        final penalties) is not kept: a run holds only the ledgers of the invoices it plans,
        not one per invoice of the book (fewer objects for the garbage collector to walk).
        """
        found = self._ledgers.get(invoice_id)
        if found is None:
            found = Ledger(self.invoices[invoice_id], self.events[invoice_id])
            if keep:
                self._ledgers[invoice_id] = found
        return found

    def entries(self, customer_id: str) -> list[PortfolioEntry]:
        mine: list[PortfolioEntry] = [self.history(i) for i in self.by_customer[customer_id]]
        mine.extend(self.credits.get(customer_id, ()))
        return mine

    def to_plan(self, customer_id: str, day: date) -> list[PortfolioEntry] | None:
        """The customer's entries a plan on *day* reads: `entries` less the settled ones.

        An invoice settled by *day* whose history holds only payments and credit notes
        takes no part in a plan (its decision is closed, and it tells the conversation
        nothing); it stays so until an event is added to it. A customer with money on
        account keeps every invoice (the imputation reads them all).

        Returns:
            The entries, or None if the customer owes nothing on any invoice at *day* (a plan
            would find nothing to do; only a new event can change that).
        """
        on_account = customer_id in self.credits
        owes = False
        mine: list[PortfolioEntry] = []
        for invoice_id in self.by_customer[customer_id]:
            if invoice_id in self._settled:
                continue
            owed = self.outstanding(invoice_id, day) > 0
            owes = owes or owed
            if on_account:
                continue
            if owed or not all(isinstance(e, _MONEY) for e in self.events[invoice_id]):
                mine.append(self.history(invoice_id))
            else:
                self._settled.add(invoice_id)
                self._ledgers.pop(invoice_id, None)  # read again only if money is added
        if not owes:
            return None
        return self.entries(customer_id) if on_account else mine

    def outstanding(self, invoice_id: str, day: date) -> Decimal:
        """`amount_outstanding` at the end of *day*, from the invoice's cached ledger."""
        return self.ledger(invoice_id).balance(on=day)

    def due_dates(self, customer_id: str) -> list[date]:
        """The due dates of the customer's invoices that may still owe something."""
        return [
            due
            for invoice_id in self.by_customer[customer_id]
            if invoice_id not in self._settled
            for due, _ in self.invoices[invoice_id].schedule
        ]

    def late_before(self, invoice_id: str, end: date) -> bool:
        """Whether a part of the invoice due before *end* was still owed at the end of its due day.

        Only such an invoice can carry penalties at *end*: interest and the indemnity run
        from the day after a due date on a part still owed then.
        """
        ledger = self.ledger(invoice_id, keep=False)
        owed = _ZERO
        for due, amount in self.invoices[invoice_id].schedule:
            owed += amount
            if due < end and ledger.settled(on=due) < owed:
                return True
        return False

    def all_entries(self) -> tuple[InvoiceHistory, ...]:
        return tuple(self.history(i) for ids in self.by_customer.values() for i in ids)

    def dates_ahead(self, customer_id: str, start: date) -> set[date]:
        """The days after *start* of the events and credits the host gave (dated ahead)."""
        tz = self.customers[customer_id].tz
        days = {c.on for c in self.credits.get(customer_id, ())}
        for invoice_id in self.by_customer[customer_id]:
            days.update(event_day(event, tz) for event in self.events[invoice_id])
        return {day for day in days if day > start}


@dataclass(slots=True)
class _Sum:
    """A running sum of Decimals that reads as the sum of its current terms, exponent included.

    Adding the terms one by one from ``Decimal(0)`` gives the smallest exponent among them
    (and 0); a running sum would keep the exponent of a term taken out since, so the
    exponents of the terms in it are counted and the sum read at the smallest of them.
    """

    total: Decimal = _ZERO
    exponents: dict[int, int] = field(default_factory=dict)

    def add(self, amount: Decimal, exponent: int) -> None:
        """Add *amount*, whose exponent is *exponent*."""
        self.total += amount
        self.exponents[exponent] = self.exponents.get(exponent, 0) + 1

    def remove(self, amount: Decimal, exponent: int) -> None:
        """Take out *amount*, added before with its *exponent*."""
        self.total -= amount
        left = self.exponents[exponent] - 1
        if left:
            self.exponents[exponent] = left
        else:
            del self.exponents[exponent]

    def read(self) -> Decimal:
        if not self.exponents:
            return _ZERO
        exponent = min(0, *self.exponents)
        if self.total.as_tuple().exponent == exponent:
            return self.total
        return self.total.quantize(Decimal(1).scaleb(exponent))


_Parts = tuple[tuple[date, Decimal], ...]


@dataclass(slots=True)
class _Zone:
    """What the invoices kept by the gauge in one time zone add to the day's figures.

    An invoice whose money is all dated by the day read owes the same parts every later day
    until money is added: its parts and balance are added here once, and only the parts
    still not due move, as the zone's local day goes by. (The receivables only feed
    `count_back`, which reads their value: a plain sum.)
    """

    today: date = date.min
    total: _Sum = field(default_factory=_Sum)
    not_due: _Sum = field(default_factory=_Sum)
    receivables: Decimal = _ZERO
    ahead: dict[date, dict[str, list[tuple[Decimal, int]]]] = field(default_factory=dict)
    dues: list[date] = field(default_factory=list)  # a heap of the keys of ``ahead``

    def advance(self, today: date) -> None:
        """Move to *today*: the parts due before it are no longer "not due"."""
        self.today = today
        while self.dues and self.dues[0] < today:
            for amounts in self.ahead.pop(heappop(self.dues)).values():
                for amount, exponent in amounts:
                    self.not_due.remove(amount, exponent)

    def add(self, invoice_id: str, parts: _Parts, balance: Decimal) -> None:
        """Add the parts an invoice owes and its balance."""
        for due, remaining in parts:
            exponent = int(remaining.as_tuple().exponent)
            self.total.add(remaining, exponent)
            if due >= self.today:
                self.not_due.add(remaining, exponent)
                if due not in self.ahead:
                    self.ahead[due] = {}
                    heappush(self.dues, due)
                self.ahead[due].setdefault(invoice_id, []).append((remaining, exponent))
        self.receivables += balance

    def remove(self, invoice_id: str, parts: _Parts, balance: Decimal) -> None:
        """Take out what `add` added for the invoice."""
        for _, remaining in parts:
            self.total.remove(remaining, int(remaining.as_tuple().exponent))
        for due in {due for due, _ in parts if due >= self.today}:
            for amount, exponent in self.ahead[due].pop(invoice_id):
                self.not_due.remove(amount, exponent)
        self.receivables -= balance


@dataclass(slots=True)
class _Gauge:
    """The book's outstanding, overdue and count-back DSO each day, as `ageing` and `dso` read it.

    Read at noon UTC, each invoice at its customer's local day, in euros only, as the metrics
    read the book. Only the invoices that may still owe something are read each day: one
    whose money is all dated by the day read owes the same parts until money is added to it
    (`_Book.changed`), so it is *kept*: read once into its zone's running sums (`_Zone`),
    and read again only when money is added. The sales by month of `count_back` grow as
    invoices are issued.
    """

    book: _Book
    zones: dict[str, _Zone]
    live: set[str] = field(default_factory=set)
    unissued: set[str] = field(default_factory=set)
    sales: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    kept: dict[str, tuple[_Parts, Decimal]] = field(default_factory=dict)

    @classmethod
    def of(cls, book: _Book) -> _Gauge:
        euros = {i for i, inv in book.invoices.items() if inv.currency == _EUR}
        zones = {c.time_zone: _Zone() for c in book.customers.values()}
        return cls(book, zones, live=set(euros), unissued=set(euros))

    def read(self, day: date) -> tuple[Decimal, Decimal, Decimal | None]:
        """Outstanding, overdue and count-back DSO at the end of *day* (noon UTC)."""
        book, invoices = self.book, self.book.invoices
        at = datetime.combine(day, _NOON_UTC)
        # The local day of noon UTC, by time zone.
        local = {zone: at.astimezone(ZoneInfo(zone)).date() for zone in self.zones}
        self.issue(local)
        for zone, today in local.items():
            self.zones[zone].advance(today)
        self.take_changes()
        total = not_due = receivables = _ZERO
        kept: list[str] = []
        for invoice_id in self.live:
            invoice = invoices[invoice_id]
            today = local[invoice.customer.time_zone]
            if invoice.issued_on > today:
                continue
            ledger = book.ledger(invoice_id, keep=False)
            parts, balance = ledger.tranches(on=today), ledger.balance(on=today)
            if ledger.settled(on=today) == ledger.settled(on=date.max):
                # No money dated later: the same parts every day until money is added.
                if parts:
                    self.kept[invoice_id] = parts, balance
                    self.zones[invoice.customer.time_zone].add(invoice_id, parts, balance)
                kept.append(invoice_id)
                continue
            for due, remaining in parts:
                total += remaining
                if due >= today:  # 0 days late or less: the ageing's "not_due"
                    not_due += remaining
            if parts:
                receivables += balance
        self.live.difference_update(kept)
        for sums in self.zones.values():
            total += sums.total.read()
            not_due += sums.not_due.read()
            receivables += sums.receivables
        return total, total - not_due, count_back(receivables, self.sales, today=day)

    def take_changes(self) -> None:
        """Read again the invoices money was added to: out of their zone's sums, back to live."""
        invoices = self.book.invoices
        for invoice_id in self.book.changed:
            invoice = invoices[invoice_id]
            if invoice.currency != _EUR:
                continue
            self.live.add(invoice_id)
            found = self.kept.pop(invoice_id, None)
            if found is not None:
                self.zones[invoice.customer.time_zone].remove(invoice_id, *found)
        self.book.changed.clear()

    def issue(self, local: Mapping[str, date]) -> None:
        """Add the invoices issued by their local day to the sales by month."""
        invoices = self.book.invoices
        issued = {
            i
            for i in self.unissued
            if invoices[i].issued_on <= local[invoices[i].customer.time_zone]
        }
        for invoice_id in issued:
            invoice = invoices[invoice_id]
            key = (invoice.issued_on.year, invoice.issued_on.month)
            self.sales[key] = self.sales.get(key, _ZERO) + invoice.total
        self.unissued -= issued


@dataclass(slots=True)
class _Run:
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
        for cover in action.covers:
            self.book.add(
                cover.invoice_id,
                ActionTaken(
                    at=at,
                    action_id=cover.id,
                    channel=action.channel,
                    step_id=cover.step_id,
                    deadline_days=cover.deadline_days,
                ),
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
        self.today, self.ats = day, {}
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
        """Send what is due to one customer, from its entries (`_Book.to_plan`).

        Returns:
            The review, whether something awaits approval, and the invoices messages covered.
        """
        at = self.at(customer_id)
        review = review_customer(
            entries,
            self.scenarios[customer_id],
            at=at,
            cache=self.cache,
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
        events = {i: self.book.events[i] for i in self.book.by_customer[customer_id]}
        customer = self.book.customers[customer_id]
        return read_conversation(
            events, self.scenarios[customer_id], customer, at=self.at(customer_id)
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
    for customer_id in book.by_customer:
        run.wake_on(args.start, customer_id)
        for later in book.dates_ahead(customer_id, args.start):
            run.wake_on(later, customer_id)
    gauge = _Gauge.of(book)
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


def _snapshot(run: _Run, gauge: _Gauge, day: date) -> SimulationDay:
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


def _penalties(run: _Run, end: date, rates: PenaltyRates | None) -> dict[str, PenaltyBreakdown]:
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
