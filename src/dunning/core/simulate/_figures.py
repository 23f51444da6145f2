"""The figures of each simulated day: outstanding, overdue and count-back DSO of the book.

Internal to `dunning.core.simulate`: `Gauge` reads the book each day as `ageing` and `dso`
would, but re-reads only the invoices money was added to; the others are kept in running
sums by time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from heapq import heappop, heappush
from zoneinfo import ZoneInfo

from dunning.core.metrics.book import count_back
from dunning.core.simulate._book import Book

_ZERO = Decimal(0)
_NOON_UTC = time(12, tzinfo=UTC)
_EUR = "EUR"


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
class Gauge:
    """The book's outstanding, overdue and count-back DSO each day, as `ageing` and `dso` read it.

    Read at noon UTC, each invoice at its customer's local day, in euros only, as the metrics
    read the book. Only the invoices that may still owe something are read each day: one
    whose money is all dated by the day read owes the same parts until money is added to it
    (`Book.changed`), so it is *kept*: read once into its zone's running sums (`_Zone`),
    and read again only when money is added. The sales by month of `count_back` grow as
    invoices are issued.
    """

    book: Book
    zones: dict[str, _Zone]
    live: set[str] = field(default_factory=set)
    unissued: set[str] = field(default_factory=set)
    sales: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    kept: dict[str, tuple[_Parts, Decimal]] = field(default_factory=dict)

    @classmethod
    def of(cls, book: Book) -> Gauge:
        euros = {i for i, inv in book.invoices.items() if inv.currency == _EUR}
        zones = {c.time_zone: _Zone() for c in book.customers.values()}
        return cls(book, zones, live=set(euros), unissued=set(euros))

    def read(self, day: date) -> tuple[Decimal, Decimal, Decimal | None]:
        """Outstanding, overdue and count-back DSO at the end of *day* (noon UTC)."""
        invoices = self.book.invoices
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
            today = local[invoices[invoice_id].customer.time_zone]
            owed = self.owed(invoice_id, today)
            if owed is None:
                kept.append(invoice_id)
                continue
            parts, balance = owed
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

    def owed(self, invoice_id: str, today: date) -> tuple[_Parts, Decimal] | None:
        """The parts a live invoice owes and its balance at the end of *today*.

        Returns:
            None once the invoice is *kept* (added to its zone's sums, or owing nothing) until
            money is added to it; ``((), 0)`` before it is issued.
        """
        book = self.book
        if book.settled(invoice_id):
            return None  # owes no part, today or later, until money is added
        invoice = book.invoices[invoice_id]
        if invoice.issued_on > today:
            return (), _ZERO
        ledger = book.ledger(invoice_id, keep=False)
        parts, balance = ledger.tranches(on=today), ledger.balance(on=today)
        if ledger.settled(on=today) != ledger.settled(on=date.max):
            return parts, balance  # money dated later: read again tomorrow
        # No money dated later: the same parts every day until money is added.
        if parts:
            self.kept[invoice_id] = parts, balance
            self.zones[invoice.customer.time_zone].add(invoice_id, parts, balance)
        return None

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
