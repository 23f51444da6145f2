"""The book of one simulation: its invoices' histories as they grow, with their caches.

Internal to `dunning.core.simulate`: `Book` is the mutable state `simulate` keeps (a host's
histories, which the simulation's events lengthen) and what it knows of each invoice's money.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from dunning.core._conversation_log import Log, read_log, steps_by_id
from dunning.core.conversation import Conversation, conversation_at
from dunning.core.ledger import Ledger
from dunning.core.model import (
    ActionTaken,
    CreditNote,
    Customer,
    DeliveryFailed,
    Event,
    Invoice,
    Payment,
    event_day,
)
from dunning.core.portfolio import (
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
)
from dunning.core.scenario import Scenario, Step

_ZERO = Decimal(0)
_MONEY = (Payment, CreditNote)


@dataclass(slots=True)
class Book:
    """The mutable state of one simulation (the histories grow as a host's would).

    Every event the simulation adds goes through `add`, which drops the invoice's cached
    history (rebuilt when next asked for) and, for money, its ledger, noting it as changed
    for the gauge: the other events it adds leave the money as it was (a ledger reads only
    payments and credit notes, and the reversals the host gave, which name their facts).
    """

    invoices: dict[str, Invoice]
    events: dict[str, tuple[Event, ...]]  # the host's own tuple until an event is added
    by_customer: dict[str, list[str]]
    credits: dict[str, list[PaymentOnAccount | UnappliedCreditNote]]
    customers: dict[str, Customer]
    changed: set[str] = field(default_factory=set)
    _histories: dict[str, InvoiceHistory] = field(default_factory=dict)
    _ledgers: dict[str, Ledger] = field(default_factory=dict)
    _settled: set[str] = field(default_factory=set)
    _logs: dict[str, Log] = field(default_factory=dict)
    _read_with: dict[str, Scenario] = field(default_factory=dict)  # each log's scenario
    _steps: dict[int, tuple[Scenario, dict[str, Step]]] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[PortfolioEntry]) -> Book:
        book = cls({}, {}, {}, {}, {})
        for entry in entries:
            if isinstance(entry, InvoiceHistory):
                invoice = entry.invoice
                book.invoices[invoice.id] = invoice
                book.events[invoice.id] = entry.events
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
        if isinstance(event, ActionTaken):
            self.add_taken([(invoice_id, event)])
            return
        self._append(invoice_id, event)
        if isinstance(event, _MONEY):
            self._ledgers.pop(invoice_id, None)
            self.changed.add(invoice_id)
        elif isinstance(event, DeliveryFailed):  # the conversation reads it: read again
            self._logs.pop(self.invoices[invoice_id].customer.id, None)

    def add_taken(self, taken: Sequence[tuple[str, ActionTaken]]) -> None:
        """Add the `ActionTaken` events of one customer recorded at one instant (one message).

        Its kept log of messages (`conversation`) is brought up to date once for them all.
        """
        for invoice_id, event in taken:
            self._append(invoice_id, event)
        if not taken:
            return
        customer_id = self.invoices[taken[0][0]].customer.id
        log = self._logs.pop(customer_id, None)
        if log is not None:
            scenario = self._read_with[customer_id]
            customer = self.customers[customer_id]
            updated = log.taken(taken, scenario, customer, self.steps(scenario))
            if updated is not None:
                self._logs[customer_id] = updated

    def _append(self, invoice_id: str, event: Event) -> None:
        self.events[invoice_id] = (*self.events[invoice_id], event)
        self._histories.pop(invoice_id, None)
        self._settled.discard(invoice_id)

    def conversation(self, customer_id: str, scenario: Scenario, at: datetime) -> Conversation:
        """`read_conversation` of every invoice of the customer at *at*, its messages kept.

        The messages read (`Log`) are kept for the next read, and `add` records in them each
        message the simulation sends (a failed delivery drops them).
        """
        customer = self.customers[customer_id]
        log = self._logs.get(customer_id)
        if log is None or self._read_with[customer_id] is not scenario or not log.holds_at(at):
            events = {i: self.events[i] for i in self.by_customer[customer_id]}
            log = read_log(events, scenario, customer, at=at, steps=self.steps(scenario))
            self._logs[customer_id], self._read_with[customer_id] = log, scenario
        return conversation_at(log, scenario, customer, at=at)

    def steps(self, scenario: Scenario) -> dict[str, Step]:
        """The scenario's steps by id (`steps_by_id`), worked out once per scenario."""
        found = self._steps.get(id(scenario))
        if found is None:
            found = self._steps[id(scenario)] = scenario, steps_by_id(scenario)
        return found[1]

    def history(self, invoice_id: str) -> InvoiceHistory:
        found = self._histories.get(invoice_id)
        if found is None:
            found = self._histories[invoice_id] = InvoiceHistory(
                invoice=self.invoices[invoice_id], events=self.events[invoice_id]
            )
            self.events[invoice_id] = found.events  # one tuple for both, not two
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

        An invoice that owes nothing at *day* (*settled*) takes no part in a plan: its
        decision is closed (`decide`'s first rule), and what it tells the conversation (its
        messages) the plan reads from `conversation`, which reads every invoice of the
        customer. It stays so until an event is added to it (money only lowers a balance).
        A customer with money on account keeps every invoice (the imputation reads them all).

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
            if owed:
                mine.append(self.history(invoice_id))
            else:
                self._settled.add(invoice_id)
                self._ledgers.pop(invoice_id, None)  # read again only if money is added
        if not owes:
            return None
        return self.entries(customer_id) if on_account else mine

    def settled(self, invoice_id: str) -> bool:
        """Whether the invoice owed nothing at a plan (`to_plan`), until an event is added to it.

        Then it owes nothing on any later day either (money only lowers a balance).
        """
        return invoice_id in self._settled

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
