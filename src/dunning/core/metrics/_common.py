"""What the collection metrics share: rounding, invoices of a book, deliveries, payments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from dunning.core.ledger import Ledger
from dunning.core.model import (
    ActionTaken,
    DeliveryFailed,
    Event,
    Invoice,
)
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import StepKind

AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
"""The ageing buckets, by days late at the end of the day: 0 or less, 1-30, 31-60, 61-90, 91+."""

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


def local_day(invoice: Invoice, at: datetime) -> date:
    return at.astimezone(invoice.customer.tz).date()


def delivered_actions(events: Sequence[Event], at: datetime) -> list[ActionTaken]:
    failed = {e.action_id for e in events if isinstance(e, DeliveryFailed) and e.at <= at}
    return sorted(
        (
            e
            for e in events
            if isinstance(e, ActionTaken) and e.at <= at and e.action_id not in failed
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
