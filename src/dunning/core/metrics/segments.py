"""Payment behaviour and segments: payment delays, `suggest_segment`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from dunning.core._types import MODEL_CONFIG, Amount, check_aware
from dunning.core.metrics._common import (
    local_day,
    paid_by,
    tranches,
)
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry, payment_history

# ------------------------------------------------------------------------- segmentation


class Segment(StrEnum):
    """A customer's payment behaviour; the values are the segments `DEFAULT_POLICY` knows."""

    GOOD = "good"
    """Pays on time or nearly."""
    DEFAULT = "default"
    """Ordinary: sometimes late, not by much."""
    LATE = "late"
    """Repeatedly and seriously late."""


class SegmentThresholds(BaseModel):
    """The rules of `suggest_segment`; the defaults match `DEFAULT_POLICY`'s history rules.

    Attributes:
        history_size: how many of the most recent paid invoices count.
        min_paid_invoices: below this many paid invoices, the customer is ``default``
            (not enough history to judge), unless an open invoice makes it ``late``.
        good_max_average_days_late: ``good`` when the average days late is at most this...
        good_max_days_late: ...and no counted invoice was paid more than this many days late.
        late_min_average_days_late: ``late`` when the average days late is at least this.
        late_min_open_days_late: ``late`` too when an invoice still open is at least this many
            days late.

    Examples:
        >>> SegmentThresholds().good_max_average_days_late
        Decimal('5')
    """

    model_config = MODEL_CONFIG

    history_size: Annotated[int, Field(ge=1, le=100)] = 6
    min_paid_invoices: Annotated[int, Field(ge=0, le=100)] = 2
    good_max_average_days_late: Amount = Decimal(5)
    good_max_days_late: Annotated[int, Field(ge=0)] = 15
    late_min_average_days_late: Amount = Decimal(30)
    late_min_open_days_late: Annotated[int, Field(ge=1)] = 60


def payment_delays(entries: Iterable[PortfolioEntry], *, at: datetime) -> tuple[int, ...]:
    """Days late of each invoice paid by the end of *at*'s local day, oldest payment first.

    The history a `Policy` reads: `dunning.core.portfolio.payment_history`, which runs give the
    scenario choice, under the name the metrics use.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import datetime, timezone
        >>> payment_delays([], at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        ()
    """
    return payment_history(entries, at=at)


def suggest_segment(
    history: Iterable[PortfolioEntry],
    *,
    at: datetime,
    thresholds: SegmentThresholds | None = None,
) -> Segment:
    """Classify one customer as a good, ordinary (``default``) or late payer from its history.

    In this order: ``late`` if an invoice still open is at least ``late_min_open_days_late``
    days late; ``default`` with fewer than ``min_paid_invoices`` paid invoices; then over the
    last ``history_size`` paid invoices (`payment_delays`): ``late`` if their average days
    late is at least ``late_min_average_days_late``; ``good`` if it is at most
    ``good_max_average_days_late`` and none was more than ``good_max_days_late`` days late;
    ``default`` otherwise. Set the result as the customer's ``segment`` so a `Policy` with
    segment rules (such as `DEFAULT_POLICY`) picks the scenario.

    Args:
        history: the customer's portfolio entries (one customer).
        at: the instant (timezone-aware).
        thresholds: the rules; `SegmentThresholds()` by default.

    Returns:
        The suggested `Segment`.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
        >>> from datetime import timedelta
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> def inv(n, late):
        ...     due = date(2025, n, 1)
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2025, 1, 1), due_on=due, total="10"),
        ...         events=(Payment(on=due + timedelta(days=late), amount="10"),))
        >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
        >>> suggest_segment([inv(1, 0), inv(2, 3), inv(3, 6)], at=at).value
        'good'
        >>> suggest_segment([inv(1, 20), inv(2, 40), inv(3, 45)], at=at).value
        'late'
    """
    check_aware(at)
    rules = thresholds or SegmentThresholds()
    entries = [e for e in history if isinstance(e, InvoiceHistory)]
    for entry in entries:
        invoice = entry.invoice
        day = local_day(invoice, at)
        if invoice.issued_on > day or paid_by(invoice, entry.events, day) is not None:
            continue
        parts = tranches(invoice, entry.events, day)
        if parts and (day - parts[0][0]).days >= rules.late_min_open_days_late:
            return Segment.LATE
    delays = payment_delays(entries, at=at)[-rules.history_size :]
    if len(delays) < max(rules.min_paid_invoices, 1):
        return Segment.DEFAULT
    average = Decimal(sum(delays)) / len(delays)
    if average >= rules.late_min_average_days_late:
        return Segment.LATE
    if average <= rules.good_max_average_days_late and max(delays) <= rules.good_max_days_late:
        return Segment.GOOD
    return Segment.DEFAULT
