"""What the collection metrics share: rounding, invoices of a book, deliveries, payments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from dunning.core.ledger import Ledger
from dunning.core.model import (
    ActionTaken,
    DeliveryFailed,
    Event,
    Invoice,
)
from dunning.core.parsing import to_day
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import StepKind

AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
"""The ageing buckets, by days late at the end of the day: 0 or less, 1-30, 31-60, 61-90, 91+."""

AGEING_LABELS = {
    "not_due": "Not yet due",
    "1-30": "1-30 days",
    "31-60": "31-60 days",
    "61-90": "61-90 days",
    "90+": "Over 90 days",
}
"""What a reader sees for each of `AGEING_BUCKETS` (tables, plots): days late, in words."""

TENTH = Decimal("0.1")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
LITIGATION = frozenset({StepKind.FORMAL_NOTICE, StepKind.HANDOVER})


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(TENTH, ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else one_decimal(part * HUNDRED / whole)


def book_invoices(
    entries: Iterable[PortfolioEntry], currency: str
) -> list[tuple[Invoice, tuple[Event, ...]]]:
    return [
        (e.invoice, e.events)
        for e in entries
        if isinstance(e, InvoiceHistory) and e.invoice.currency == currency
    ]


Moment = datetime | date
"""When a metric reads the book: an aware instant, or a day (the end of it, in each customer's
time zone). Arguments are turned into one by `dunning.core.parsing.to_moment`."""


def local_day(invoice: Invoice, at: Moment) -> date:
    if isinstance(at, datetime):
        return at.astimezone(invoice.customer.tz).date()
    return at


def happened_by(instant: datetime, at: Moment, tz: tzinfo) -> bool:
    """Whether *instant* is at or before *at* (for a day: on or before it, in *tz*)."""
    if isinstance(at, datetime):
        return instant <= at
    return instant.astimezone(tz).date() <= at


def in_period(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def period(start: object, end: object) -> tuple[date | None, date | None]:
    """The optional ``start`` and ``end`` of a KPI, as days (checked in order)."""
    first = None if start is None else to_day(start, "start")
    last = None if end is None else to_day(end, "end")
    if first is not None and last is not None and last < first:
        msg = f"end: {last} is before start {first}"
        raise ValueError(msg)
    return first, last


def delivered_actions(events: Sequence[Event], at: Moment, tz: tzinfo) -> list[ActionTaken]:
    failed = {
        e.action_id for e in events if isinstance(e, DeliveryFailed) and happened_by(e.at, at, tz)
    }
    return sorted(
        (
            e
            for e in events
            if isinstance(e, ActionTaken)
            and happened_by(e.at, at, tz)
            and e.action_id not in failed
        ),
        key=lambda e: e.at,
    )


def paid_by(invoice: Invoice, events: Sequence[Event], day: date) -> date | None:
    paid = Ledger(invoice, events).paid_on()
    return paid if paid is not None and paid <= day else None


def tranches(
    invoice: Invoice, events: Sequence[Event], day: date
) -> tuple[tuple[date, Decimal], ...]:
    """``(due date, outstanding)`` of each part still owed at the end of *day* (the ledger's)."""
    return Ledger(invoice, events).tranches(on=day)
