"""The book at an instant: ageing, DSO, collection rate and CEI."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dunning.core.display import DEFAULT_LOCALE, Money, html_table
from dunning.core.ledger import Ledger, amount_outstanding
from dunning.core.metrics._common import (
    AGEING_BUCKETS,
    AGEING_LABELS,
    ZERO,
    Moment,
    book_invoices,
    local_day,
    one_decimal,
    percent,
    tranches,
)
from dunning.core.model import (
    Event,
    Invoice,
)
from dunning.core.parsing import When, to_day, to_moment
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry

# ------------------------------------------------------------------------ book summary


def book_summary_html(
    entries: Sequence[InvoiceHistory],
    *,
    on: date,
    caption: str,
    kinds: Mapping[str, object] | None = None,
    first_rows: int = 10,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """A summary of a book of invoices: counts and totals, then its first rows, not every one.

    Args:
        entries: the invoices and their events.
        on: the day outstanding amounts are read at (end of day).
        caption: the first table's caption.
        kinds: an extra column of the rows, by customer id (a synthetic book's payer types).
        first_rows: how many invoices are listed.
        locale: how numbers and money are written.

    Returns:
        Two HTML tables: the figures (per currency), then the first *first_rows* invoices.

    Examples:
        >>> from dunning.core.model import Customer, Invoice
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> c = Customer(id="C<1>", name="ACME")
        >>> book = [InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...     issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="1500")) for n in (1, 2)]
        >>> html = book_summary_html(book, on=date(2026, 3, 1), caption="Book", locale="en_GB")
        >>> "<td>outstanding</td><td>€3,000.00</td>" in html, "<td>C&lt;1&gt;</td>" in html
        (True, True)
    """
    customers = {e.invoice.customer.id for e in entries}
    invoiced: dict[str, Decimal] = {}
    owed: dict[str, Decimal] = {}
    open_count = 0
    rows: list[tuple[object, ...]] = []
    for n, e in enumerate(entries):
        inv = e.invoice
        outstanding = amount_outstanding(inv, e.events, on=on)
        invoiced[inv.currency] = invoiced.get(inv.currency, Decimal(0)) + inv.total
        owed[inv.currency] = owed.get(inv.currency, Decimal(0)) + outstanding
        open_count += outstanding > 0
        if n < first_rows:
            extra = () if kinds is None else (kinds.get(inv.customer.id, ""),)
            rows.append((inv.number, inv.customer.id, inv.customer.name, inv.last_due_on,
                         Money(inv.total, inv.currency), Money(outstanding, inv.currency),
                         *extra))  # fmt: skip
    figures: list[tuple[object, ...]] = [
        ("customers", len(customers)),
        ("invoices", len(entries)),
        ("invoices still owed", open_count),
    ]
    for currency in sorted(invoiced):
        suffix = "" if len(invoiced) == 1 else f" ({currency})"
        figures.append((f"invoiced{suffix}", Money(invoiced[currency], currency)))
        figures.append((f"outstanding{suffix}", Money(owed[currency], currency)))
    headers = ["invoice", "customer", "name", "due on", "total", "outstanding"]
    headers += [] if kinds is None else ["payer type"]
    shown = f"first {len(rows)} of {len(entries)} invoices" if rows else "no invoices"
    return html_table(["", ""], figures, caption=caption, locale=locale) + html_table(
        headers, rows, caption=f"{shown}, outstanding at the end of {on.isoformat()}",
        locale=locale,
    )  # fmt: skip


# --------------------------------------------------------------------------------- ageing


def _bucket(days_late: int) -> str:
    if days_late <= 0:
        return "not_due"
    if days_late <= 30:  # noqa: PLR2004  (the bucket bounds are the definition)
        return "1-30"
    if days_late <= 60:  # noqa: PLR2004
        return "31-60"
    if days_late <= 90:  # noqa: PLR2004
        return "61-90"
    return "90+"


@dataclass(frozen=True, slots=True)
class Ageing:
    """Outstanding receivables by how late they are (the ageing balance).

    Attributes:
        at: the instant measured (each invoice read at the end of its local day), or the day
            measured (its end, in each customer's time zone).
        currency: the currency of every amount.
        amounts: outstanding amount per bucket of `AGEING_BUCKETS`, in that order.
        counts: invoices with an amount in each bucket (an invoice in installments whose parts
            are of different ages counts in each of their buckets).
    """

    at: datetime | date
    currency: str
    amounts: Mapping[str, Decimal]
    counts: Mapping[str, int]

    @property
    def total(self) -> Decimal:
        """All outstanding receivables: the sum of the buckets."""
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        """The outstanding amount that is past due (every bucket but ``not_due``)."""
        return self.total - self.amounts["not_due"]

    def records(self) -> list[dict[str, Any]]:
        """One row per bucket: ``bucket``, ``amount``, ``count`` (for a DataFrame)."""
        return [
            {"bucket": b, "amount": self.amounts[b], "count": self.counts[b]}
            for b in AGEING_BUCKETS
        ]

    def _repr_html_(self) -> str:
        """The buckets, their amounts and invoice counts, and the total, for notebooks."""
        cur = self.currency
        rows: list[tuple[object, ...]] = [
            (AGEING_LABELS[r["bucket"]], Money(r["amount"], cur), r["count"])
            for r in self.records()
        ]
        rows.append(("total", Money(self.total, cur), ""))
        caption = f"Ageing at {self.at.isoformat()} ({cur})"
        return html_table(["days late", "amount", "invoices"], rows, caption=caption)


def ageing(entries: Iterable[PortfolioEntry], *, at: When, currency: str = "EUR") -> Ageing:
    """The ageing balance: outstanding amounts by days late at the end of *at*'s local day.

    Each part of an invoice still owed goes to the bucket of its own days late (end of day
    minus due date; 0 or less is ``not_due``). Paid invoices and invoices issued later are left
    out; disputed or paused invoices are still receivables and count.

    Args:
        entries: the portfolio (`InvoiceHistory` items; other entries are ignored).
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        currency: only invoices in this currency count.

    Returns:
        An `Ageing` whose buckets add up to the outstanding total.

    Raises:
        ValueError: if *at* is naive or unreadable or unreadable.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import Customer, Invoice
        >>> c = Customer(id="C", name="C")
        >>> def inv(n, due, total):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=due, total=total))
        >>> book = [inv(1, date(2026, 3, 1), "100"), inv(2, date(2026, 1, 31), "250")]
        >>> a = ageing(book, at=datetime(2026, 3, 10, 12, tzinfo=timezone.utc))
        >>> a.amounts["1-30"], a.amounts["31-60"], a.total
        (Decimal('100'), Decimal('250'), Decimal('350'))
    """
    at = to_moment(at, "at")
    amounts = dict.fromkeys(AGEING_BUCKETS, ZERO)
    counts = dict.fromkeys(AGEING_BUCKETS, 0)
    for invoice, events in book_invoices(entries, currency):
        day = local_day(invoice, at)
        if invoice.issued_on > day:
            continue
        seen: set[str] = set()
        for due, remaining in tranches(invoice, events, day):
            bucket = _bucket((day - due).days)
            amounts[bucket] += remaining
            if bucket not in seen:
                seen.add(bucket)
                counts[bucket] += 1
    return Ageing(at=at, currency=currency, amounts=amounts, counts=counts)


# ------------------------------------------------------------------------------------ DSO


class DsoMethod(StrEnum):
    """How `dso` turns receivables into days."""

    STANDARD = "standard"
    """Receivables / sales of the period x days of the period."""
    COUNT_BACK = "count_back"
    """Exhaust receivables against each month's sales, newest month first (see `dso`)."""


class _DsoArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="dso")

    period_days: Annotated[int, Field(ge=1, le=3660)]
    method: DsoMethod


def _receivables(invoices: Sequence[tuple[Invoice, tuple[Event, ...]]], at: Moment) -> Decimal:
    total = ZERO
    for invoice, events in invoices:
        day = local_day(invoice, at)
        if invoice.issued_on <= day:
            total += amount_outstanding(invoice, events, on=day)
    return total


def dso(
    entries: Iterable[PortfolioEntry],
    *,
    at: When,
    period_days: int = 90,
    method: DsoMethod | str = DsoMethod.STANDARD,
    currency: str = "EUR",
) -> Decimal | None:
    """Days sales outstanding at the end of *at*'s local day, to one decimal.

    Standard method: receivables outstanding at the end of the day ÷ total of the invoices
    issued in the *period_days* days ending that day (that day included) x *period_days*.

    Count-back method: the receivables are set against each calendar month's sales, newest
    first. The current month counts its days from the 1st to *at*'s day included, each earlier
    month its actual number of days (28 to 31). A month whose sales the remaining receivables
    cover adds all its days; the month where they run out adds its days x remaining ÷ its
    sales. *period_days* is not used.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        period_days: the length of the standard method's period.
        method: ``standard`` (default) or ``count_back``.
        currency: only invoices in this currency count.

    Returns:
        The DSO in days, or None when there were no sales to measure against (standard: none
        issued in the period; count-back: no receivables and no sales at all).

    Raises:
        ValueError: if *at* is naive or unreadable or unreadable.
        pydantic.ValidationError: ``greater_than_equal`` for a *period_days* below 1, ``enum``
            for an unknown *method*.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import Customer, Invoice
        >>> c = Customer(id="C", name="C")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 3, 1), due_on=date(2026, 3, 31), total="900"))]
        >>> dso(book, at=datetime(2026, 3, 10, 12, tzinfo=timezone.utc))
        Decimal('90.0')
        >>> dso(book, at=datetime(2026, 3, 10, 12, tzinfo=timezone.utc), method="count_back")
        Decimal('10.0')
    """
    at = to_moment(at, "at")
    args = _DsoArgs.model_validate({"period_days": period_days, "method": method})
    invoices = book_invoices(entries, currency)
    receivables = _receivables(invoices, at)
    if args.method is DsoMethod.COUNT_BACK:
        return _count_back(invoices, at, receivables)
    sales = ZERO
    for invoice, _ in invoices:
        day = local_day(invoice, at)
        if day - timedelta(days=args.period_days) < invoice.issued_on <= day:
            sales += invoice.total
    if sales == 0:
        return None
    return one_decimal(receivables / sales * args.period_days)


def _count_back(
    invoices: Sequence[tuple[Invoice, tuple[Event, ...]]], at: Moment, receivables: Decimal
) -> Decimal | None:
    by_month: dict[tuple[int, int], Decimal] = {}
    for invoice, _ in invoices:
        if invoice.issued_on <= local_day(invoice, at):
            key = (invoice.issued_on.year, invoice.issued_on.month)
            by_month[key] = by_month.get(key, ZERO) + invoice.total
    # The month convention is calendar months in the time zone of the instant given.
    today = at.date() if isinstance(at, datetime) else at
    return count_back(receivables, by_month, today=today)


def count_back(
    receivables: Decimal, sales_by_month: Mapping[tuple[int, int], Decimal], *, today: date
) -> Decimal | None:
    """The count-back DSO of *receivables* against each month's sales, newest month first.

    The arithmetic of `dso`'s count-back method once the book is read, shared with the
    simulation (which keeps its sales by month as the days go by instead of re-reading the
    book every day).

    Args:
        receivables: what is outstanding at the end of *today*.
        sales_by_month: the total of the invoices issued by then, by (year, month) of issue.
        today: the day measured: its month counts its days from the 1st to *today* included.

    Returns:
        The DSO in days, to one decimal; None without any sales.

    Examples:
        >>> count_back(Decimal(450), {(2026, 2): Decimal(900), (2026, 3): Decimal(300)},
        ...            today=date(2026, 3, 10))
        Decimal('14.7')
        >>> count_back(Decimal(0), {}, today=date(2026, 3, 10)) is None
        True
    """
    if not sales_by_month:
        return None
    oldest = min(sales_by_month)
    month_end = today
    days = ZERO
    remaining = receivables
    while remaining > 0:
        month_start = month_end.replace(day=1)
        length = Decimal((month_end - month_start).days + 1)
        sales = sales_by_month.get((month_start.year, month_start.month), ZERO)
        if remaining >= sales:
            days += length
            remaining -= sales
            if (month_start.year, month_start.month) <= oldest:
                break  # cannot happen with consistent data: receivables never exceed sales
        else:
            days += length * remaining / sales
            remaining = ZERO
        month_end = month_start - timedelta(days=1)
    return one_decimal(days)


# ------------------------------------------------------------------- collection and CEI


def _received_between(
    ledger: Ledger, first: date, last: date, kind: Literal["payment", "credit_note"]
) -> Decimal:
    """What the ledger's movements of *kind* dated from *first* to *last* settle."""
    return sum(
        (m.amount for m in ledger.movements(on=last) if m.kind == kind and m.on >= first), ZERO
    )


def _period(start: When, end: When) -> tuple[date, date]:
    first, last = to_day(start, "start"), to_day(end, "end")
    if last < first:
        msg = f"end: {last} is before start {first}"
        raise ValueError(msg)
    return first, last


def collection_rate(
    entries: Iterable[PortfolioEntry], *, start: When, end: When, currency: str = "EUR"
) -> Decimal | None:
    """The share of what was collectible in a period that was collected, in percent.

    collected = payments dated from *start* to *end* (both included);
    collectible = receivables at the end of the day before *start* + invoices issued from
    *start* to *end* - credit notes dated in the period. Dates are the invoices' own (civil)
    dates, so no time zone is involved.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        start: first day of the period (a `date`, an aware `datetime` or ``Timestamp`` for
            its own civil date, ISO or ``dd/mm/yyyy`` text: `dunning.core.parsing.to_day`).
        end: last day of the period (likewise).
        currency: only invoices in this currency count.

    Returns:
        collected ÷ collectible x 100, to one decimal; None if nothing was collectible.

    Raises:
        ValueError: if *end* is before *start*, or either is unreadable (naming it).
        TypeError: if either is not a date, datetime or text.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> from datetime import date
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 3, 1), due_on=date(2026, 3, 31), total="400"),
        ...     events=(Payment(on=date(2026, 3, 20), amount="100"),))]
        >>> collection_rate(book, start=date(2026, 3, 1), end=date(2026, 3, 31))
        Decimal('25.0')
    """
    start, end = _period(start, end)
    before = start - timedelta(days=1)
    collected = collectible = ZERO
    for invoice, events in book_invoices(entries, currency):
        if invoice.issued_on > end:
            continue
        ledger = Ledger(invoice, events)
        if invoice.issued_on <= before:
            collectible += ledger.balance(on=before)
        else:
            collectible += invoice.total
        collectible -= _received_between(ledger, start, end, "credit_note")
        collected += _received_between(ledger, start, end, "payment")
    return percent(collected, collectible)


def collection_effectiveness_index(
    entries: Iterable[PortfolioEntry], *, start: When, end: When, currency: str = "EUR"
) -> Decimal | None:
    """The collection effectiveness index (CEI) over a period, in percent.

    CEI = (B + S - E) ÷ (B + S - C) x 100, where B is the receivables at the end of the day
    before *start*, S the invoices issued from *start* to *end*, E the receivables at the end
    of *end* and C the *current* part of E (not yet due at the end of *end*). 100 means every
    invoice that fell due in the period was collected.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        start: first day of the period (a `date`, an aware `datetime` or ``Timestamp`` for
            its own civil date, ISO or ``dd/mm/yyyy`` text: `dunning.core.parsing.to_day`).
        end: last day of the period (likewise).
        currency: only invoices in this currency count.

    Returns:
        The CEI to one decimal, or None when nothing fell due (B + S - C is zero).

    Raises:
        ValueError: if *end* is before *start*, or either is unreadable (naming it).
        TypeError: if either is not a date, datetime or text.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> from datetime import date
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 2, 1), due_on=date(2026, 3, 3), total="400"),
        ...     events=(Payment(on=date(2026, 3, 20), amount="300"),))]
        >>> collection_effectiveness_index(book, start=date(2026, 3, 1), end=date(2026, 3, 31))
        Decimal('75.0')
    """
    start, end = _period(start, end)
    before = start - timedelta(days=1)
    opening = sales = closing = current = ZERO
    for invoice, events in book_invoices(entries, currency):
        if invoice.issued_on > end:
            continue
        if invoice.issued_on <= before:
            opening += amount_outstanding(invoice, events, on=before)
        else:
            sales += invoice.total
        for due, remaining in tranches(invoice, events, end):
            closing += remaining
            if due >= end:
                current += remaining
    return percent(opening + sales - closing, opening + sales - current)
