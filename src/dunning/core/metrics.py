"""Portfolio KPIs: ageing, DSO, collection rate, CEI, step effectiveness, cost, segments.

How this works
--------------
Every metric reads the same input the runner reads: `InvoiceHistory` entries (an invoice and
its events; `PaymentOnAccount` and `UnappliedCreditNote` items are ignored), and an instant
``at``. Each invoice is read **at the end of ``at``'s local day in its customer's time zone**:
payments and credit notes dated that day count, later ones do not, and an invoice issued after
that day does not exist yet. Only invoices in the requested currency count (``EUR`` by default).

Conventions shared by every metric (the "Metrics" page of the docs works each one by hand):

- *Outstanding* is the invoice total less payments and credit notes (`amount_outstanding`).
- A *delivered action* is an `ActionTaken` whose delivery did not fail (no `DeliveryFailed`
  with its id). A *message* is what the runner sends: the actions recorded for one customer at
  one instant on one channel (a grouped message covering three invoices is one message).
- An invoice is *paid* on the day its balance first reaches zero (`paid_on`).
- Percentages and day counts are rounded half-up to one decimal; amounts per invoice to the
  cent. A ratio whose denominator is zero is None ("nothing to measure"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from dunning.core._types import MODEL_CONFIG, Amount, check_aware
from dunning.core.display import html_table
from dunning.core.ledger import Ledger, amount_outstanding
from dunning.core.model import (
    ActionTaken,
    Channel,
    DeliveryFailed,
    DisputeOpened,
    Event,
    Invoice,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
)
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import Policy, Scenario, StepKind

__all__ = [
    "AGEING_BUCKETS",
    "Ageing",
    "CollectionCost",
    "DsoMethod",
    "Segment",
    "SegmentThresholds",
    "StepEffectiveness",
    "ageing",
    "collection_cost",
    "collection_effectiveness_index",
    "collection_rate",
    "dso",
    "litigation_rate",
    "payment_delays",
    "reminders_per_paid_invoice",
    "silent_customers",
    "step_effectiveness",
    "suggest_segment",
]

AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")
"""The ageing buckets, by days late at the end of the day: 0 or less, 1-30, 31-60, 61-90, 91+."""

_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
_LITIGATION = frozenset({StepKind.FORMAL_NOTICE, StepKind.HANDOVER})


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, ROUND_HALF_UP)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else _one_decimal(part * _HUNDRED / whole)


def _invoices(
    entries: Iterable[PortfolioEntry], currency: str
) -> list[tuple[Invoice, tuple[Event, ...]]]:
    return [
        (e.invoice, e.events)
        for e in entries
        if isinstance(e, InvoiceHistory) and e.invoice.currency == currency
    ]


def _local_day(invoice: Invoice, at: datetime) -> date:
    return at.astimezone(invoice.customer.tz).date()


def _delivered(events: Sequence[Event], at: datetime) -> list[ActionTaken]:
    failed = {e.action_id for e in events if isinstance(e, DeliveryFailed) and e.at <= at}
    return sorted(
        (
            e
            for e in events
            if isinstance(e, ActionTaken) and e.at <= at and e.action_id not in failed
        ),
        key=lambda e: e.at,
    )


def _paid_by(invoice: Invoice, events: Sequence[Event], day: date) -> date | None:
    paid = Ledger(invoice, events).paid_on()
    return paid if paid is not None and paid <= day else None


def _tranches(
    invoice: Invoice, events: Sequence[Event], day: date
) -> tuple[tuple[date, Decimal], ...]:
    """``(due date, outstanding)`` of each part still owed at the end of *day* (the ledger's)."""
    return Ledger(invoice, events).tranches(on=day)


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
        at: the instant measured (each invoice read at the end of its local day).
        currency: the currency of every amount.
        amounts: outstanding amount per bucket of `AGEING_BUCKETS`, in that order.
        counts: invoices with an amount in each bucket (an invoice in installments whose parts
            are of different ages counts in each of their buckets).
    """

    at: datetime
    currency: str
    amounts: Mapping[str, Decimal]
    counts: Mapping[str, int]

    @property
    def total(self) -> Decimal:
        """All outstanding receivables: the sum of the buckets."""
        return sum(self.amounts.values(), _ZERO)

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
        rows = [(r["bucket"], r["amount"], r["count"]) for r in self.records()]
        rows.append(("total", self.total, ""))
        caption = f"Ageing at {self.at.isoformat()} ({self.currency})"
        return html_table(["bucket", "amount", "invoices"], rows, caption=caption)


def ageing(entries: Iterable[PortfolioEntry], *, at: datetime, currency: str = "EUR") -> Ageing:
    """The ageing balance: outstanding amounts by days late at the end of *at*'s local day.

    Each part of an invoice still owed goes to the bucket of its own days late (end of day
    minus due date; 0 or less is ``not_due``). Paid invoices and invoices issued later are left
    out; disputed or paused invoices are still receivables and count.

    Args:
        entries: the portfolio (`InvoiceHistory` items; other entries are ignored).
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        An `Ageing` whose buckets add up to the outstanding total.

    Raises:
        ValueError: if *at* is naive.

    Examples:
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
    check_aware(at)
    amounts = dict.fromkeys(AGEING_BUCKETS, _ZERO)
    counts = dict.fromkeys(AGEING_BUCKETS, 0)
    for invoice, events in _invoices(entries, currency):
        day = _local_day(invoice, at)
        if invoice.issued_on > day:
            continue
        seen: set[str] = set()
        for due, remaining in _tranches(invoice, events, day):
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


def _receivables(invoices: Sequence[tuple[Invoice, tuple[Event, ...]]], at: datetime) -> Decimal:
    total = _ZERO
    for invoice, events in invoices:
        day = _local_day(invoice, at)
        if invoice.issued_on <= day:
            total += amount_outstanding(invoice, events, on=day)
    return total


def dso(
    entries: Iterable[PortfolioEntry],
    *,
    at: datetime,
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
        at: the instant (timezone-aware).
        period_days: the length of the standard method's period.
        method: ``standard`` (default) or ``count_back``.
        currency: only invoices in this currency count.

    Returns:
        The DSO in days, or None when there were no sales to measure against (standard: none
        issued in the period; count-back: no receivables and no sales at all).

    Raises:
        ValueError: if *at* is naive.
        pydantic.ValidationError: ``greater_than_equal`` for a *period_days* below 1, ``enum``
            for an unknown *method*.

    Examples:
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
    check_aware(at)
    args = _DsoArgs.model_validate({"period_days": period_days, "method": method})
    invoices = _invoices(entries, currency)
    receivables = _receivables(invoices, at)
    if args.method is DsoMethod.COUNT_BACK:
        return _count_back(invoices, at, receivables)
    sales = _ZERO
    for invoice, _ in invoices:
        day = _local_day(invoice, at)
        if day - timedelta(days=args.period_days) < invoice.issued_on <= day:
            sales += invoice.total
    if sales == 0:
        return None
    return _one_decimal(receivables / sales * args.period_days)


def _count_back(
    invoices: Sequence[tuple[Invoice, tuple[Event, ...]]], at: datetime, receivables: Decimal
) -> Decimal | None:
    by_month: dict[tuple[int, int], Decimal] = {}
    oldest: tuple[int, int] | None = None
    for invoice, _ in invoices:
        if invoice.issued_on <= _local_day(invoice, at):
            key = (invoice.issued_on.year, invoice.issued_on.month)
            by_month[key] = by_month.get(key, _ZERO) + invoice.total
            oldest = key if oldest is None else min(oldest, key)
    if oldest is None:
        return None
    # The month convention is calendar months in the time zone of the instant given.
    today = at.date()
    month_end = today
    days = _ZERO
    remaining = receivables
    while remaining > 0:
        month_start = month_end.replace(day=1)
        length = Decimal((month_end - month_start).days + 1)
        sales = by_month.get((month_start.year, month_start.month), _ZERO)
        if remaining >= sales:
            days += length
            remaining -= sales
            if (month_start.year, month_start.month) <= oldest:
                break  # cannot happen with consistent data: receivables never exceed sales
        else:
            days += length * remaining / sales
            remaining = _ZERO
        month_end = month_start - timedelta(days=1)
    return _one_decimal(days)


# ------------------------------------------------------------------- collection and CEI


def _received_between(
    ledger: Ledger, first: date, last: date, kind: Literal["payment", "credit_note"]
) -> Decimal:
    """What the ledger's movements of *kind* dated from *first* to *last* settle."""
    return sum(
        (m.amount for m in ledger.movements(on=last) if m.kind == kind and m.on >= first), _ZERO
    )


def _check_period(start: date, end: date) -> None:
    if end < start:
        msg = f"end: {end} is before start {start}"
        raise ValueError(msg)


def collection_rate(
    entries: Iterable[PortfolioEntry], *, start: date, end: date, currency: str = "EUR"
) -> Decimal | None:
    """The share of what was collectible in a period that was collected, in percent.

    collected = payments dated from *start* to *end* (both included);
    collectible = receivables at the end of the day before *start* + invoices issued from
    *start* to *end* - credit notes dated in the period. Dates are the invoices' own (civil)
    dates, so no time zone is involved.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        start: first day of the period.
        end: last day of the period.
        currency: only invoices in this currency count.

    Returns:
        collected ÷ collectible x 100, to one decimal; None if nothing was collectible.

    Raises:
        ValueError: if *end* is before *start*.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 3, 1), due_on=date(2026, 3, 31), total="400"),
        ...     events=(Payment(on=date(2026, 3, 20), amount="100"),))]
        >>> collection_rate(book, start=date(2026, 3, 1), end=date(2026, 3, 31))
        Decimal('25.0')
    """
    _check_period(start, end)
    before = start - timedelta(days=1)
    collected = collectible = _ZERO
    for invoice, events in _invoices(entries, currency):
        if invoice.issued_on > end:
            continue
        ledger = Ledger(invoice, events)
        if invoice.issued_on <= before:
            collectible += ledger.balance(on=before)
        else:
            collectible += invoice.total
        collectible -= _received_between(ledger, start, end, "credit_note")
        collected += _received_between(ledger, start, end, "payment")
    return _percent(collected, collectible)


def collection_effectiveness_index(
    entries: Iterable[PortfolioEntry], *, start: date, end: date, currency: str = "EUR"
) -> Decimal | None:
    """The collection effectiveness index (CEI) over a period, in percent.

    CEI = (B + S - E) ÷ (B + S - C) x 100, where B is the receivables at the end of the day
    before *start*, S the invoices issued from *start* to *end*, E the receivables at the end
    of *end* and C the *current* part of E (not yet due at the end of *end*). 100 means every
    invoice that fell due in the period was collected.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        start: first day of the period.
        end: last day of the period.
        currency: only invoices in this currency count.

    Returns:
        The CEI to one decimal, or None when nothing fell due (B + S - C is zero).

    Raises:
        ValueError: if *end* is before *start*.

    Examples:
        >>> from datetime import date
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 2, 1), due_on=date(2026, 3, 3), total="400"),
        ...     events=(Payment(on=date(2026, 3, 20), amount="300"),))]
        >>> collection_effectiveness_index(book, start=date(2026, 3, 1), end=date(2026, 3, 31))
        Decimal('75.0')
    """
    _check_period(start, end)
    before = start - timedelta(days=1)
    opening = sales = closing = current = _ZERO
    for invoice, events in _invoices(entries, currency):
        if invoice.issued_on > end:
            continue
        if invoice.issued_on <= before:
            opening += amount_outstanding(invoice, events, on=before)
        else:
            sales += invoice.total
        for due, remaining in _tranches(invoice, events, end):
            closing += remaining
            if due >= end:
                current += remaining
    return _percent(opening + sales - closing, opening + sales - current)


# ------------------------------------------------------------- actions and what follows


@dataclass(frozen=True, slots=True)
class StepEffectiveness:
    """What followed one scenario step across the portfolio.

    Attributes:
        step_id: the step.
        delivered: delivered actions of this step.
        paid_after: invoices paid while this step was the last delivered action.
        average_days_to_pay: mean days from that action's day to the payment day, to one
            decimal; None if no invoice was paid after it.
    """

    step_id: str
    delivered: int
    paid_after: int
    average_days_to_pay: Decimal | None

    @property
    def paid_share(self) -> Decimal | None:
        """``paid_after`` ÷ ``delivered`` in percent, to one decimal."""
        return _percent(Decimal(self.paid_after), Decimal(self.delivered))


def step_effectiveness(
    entries: Iterable[PortfolioEntry], *, at: datetime, currency: str = "EUR"
) -> tuple[StepEffectiveness, ...]:
    """Per scenario step: how often it was delivered, and how soon invoices were paid after it.

    An invoice paid (in full) by the end of *at*'s local day counts for the last scenario step
    delivered to it on or before its payment day; its days to pay are the payment day less
    that action's local day. Manual actions (no ``step_id``) are not steps and are skipped.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        One `StepEffectiveness` per step id seen, by step id.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import ActionTaken, Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> sent = ActionTaken(at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc),
        ...                    action_id="a1", channel="email", step_id="reminder")
        >>> book = [InvoiceHistory(invoice=Invoice(id="F-1", number="1", customer=c,
        ...     issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="400"),
        ...     events=(sent, Payment(on=date(2026, 3, 6), amount="400")))]
        >>> step_effectiveness(book, at=datetime(2026, 4, 1, tzinfo=timezone.utc))
        (StepEffectiveness(step_id='reminder', delivered=1, paid_after=1, average_days_to_pay=Decimal('4.0')),)
    """  # noqa: E501  (a doctest line)
    check_aware(at)
    delivered: dict[str, int] = {}
    waits: dict[str, list[int]] = {}
    for invoice, events in _invoices(entries, currency):
        tz = invoice.customer.tz
        day = _local_day(invoice, at)
        actions = [a for a in _delivered(events, at) if a.step_id is not None]
        for a in actions:
            delivered[a.step_id or ""] = delivered.get(a.step_id or "", 0) + 1
        paid = _paid_by(invoice, events, day)
        if paid is None:
            continue
        before = [a for a in actions if a.at.astimezone(tz).date() <= paid]
        if before:
            last = before[-1]
            waits.setdefault(last.step_id or "", []).append(
                (paid - last.at.astimezone(tz).date()).days
            )
    return tuple(
        StepEffectiveness(
            step_id=step,
            delivered=count,
            paid_after=len(waits.get(step, [])),
            average_days_to_pay=(
                _one_decimal(Decimal(sum(waits[step])) / len(waits[step]))
                if waits.get(step)
                else None
            ),
        )
        for step, count in sorted(delivered.items())
    )


def reminders_per_paid_invoice(
    entries: Iterable[PortfolioEntry], *, at: datetime, currency: str = "EUR"
) -> Decimal | None:
    """Delivered actions per invoice paid, over the invoices paid by the end of *at*'s day.

    Every delivered `ActionTaken` on a paid invoice counts (scenario steps and manual
    reminders), including one recorded after the payment; a grouped message counts once on
    each invoice it covers. Paid invoices that needed no reminder count in the denominator.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        The ratio to two decimals, or None if no invoice is paid.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import ActionTaken, Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> def inv(n, *events):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="10"),
        ...         events=events)
        >>> def sent(n):
        ...     return ActionTaken(at=datetime(2026, 2, n, tzinfo=timezone.utc),
        ...                        action_id=f"a{n}", channel="email")
        >>> book = [inv(1, sent(2), sent(9), Payment(on=date(2026, 2, 10), amount="10")),
        ...         inv(2, Payment(on=date(2026, 2, 1), amount="10")), inv(3, sent(2))]
        >>> reminders_per_paid_invoice(book, at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        Decimal('1.00')
    """
    check_aware(at)
    paid = actions = 0
    for invoice, events in _invoices(entries, currency):
        if _paid_by(invoice, events, _local_day(invoice, at)) is not None:
            paid += 1
            actions += len(_delivered(events, at))
    if paid == 0:
        return None
    return (Decimal(actions) / paid).quantize(_CENT, ROUND_HALF_UP)


def _step_kinds(scenarios: Scenario | Policy | Iterable[Scenario]) -> dict[str, set[StepKind]]:
    if isinstance(scenarios, Scenario):
        chosen: Iterable[Scenario] = (scenarios,)
    elif isinstance(scenarios, Policy):
        chosen = scenarios.scenarios.values()
    else:
        chosen = scenarios
    kinds: dict[str, set[StepKind]] = {}
    for scenario in chosen:
        extra = scenario.broken_promise_step
        for step in (*scenario.steps, *(() if extra is None else (extra,))):
            kinds.setdefault(step.id, set()).add(step.kind)
    return kinds


def litigation_rate(
    entries: Iterable[PortfolioEntry],
    scenarios: Scenario | Policy | Iterable[Scenario],
    *,
    at: datetime,
    currency: str = "EUR",
) -> Decimal | None:
    """The share of overdue invoices that reached a formal notice or a handover, in percent.

    *Overdue* invoices are those whose first due date had passed while they were unpaid: still
    unpaid after it at the end of *at*'s day, or paid after it. The numerator counts those with
    a delivered action whose step is a ``formal_notice`` or ``handover`` in *scenarios* (the
    step ids are looked up there; a step id that is such a step in any of them counts).

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        scenarios: the scenario, the policy, or the scenarios the actions came from.
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        The rate to one decimal, or None if no invoice was overdue.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.builtin import STANDARD
        >>> from dunning.core.model import ActionTaken, Customer, Invoice
        >>> c = Customer(id="C", name="C")
        >>> notice = ActionTaken(at=datetime(2026, 3, 5, tzinfo=timezone.utc),
        ...                      action_id="a1", channel="registered_letter",
        ...                      step_id="formal_notice")
        >>> def inv(n, *events):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="10"),
        ...         events=events)
        >>> book = [inv(1, notice), inv(2), inv(3), inv(4)]
        >>> litigation_rate(book, STANDARD, at=datetime(2026, 3, 9, tzinfo=timezone.utc))
        Decimal('25.0')
    """
    check_aware(at)
    kinds = _step_kinds(scenarios)
    overdue = reached = 0
    for invoice, events in _invoices(entries, currency):
        day = _local_day(invoice, at)
        due = invoice.first_due_on
        if due >= day:
            continue
        paid = _paid_by(invoice, events, day)
        if paid is not None and paid <= due:
            continue
        overdue += 1
        if any(kinds.get(a.step_id or "", set()) & _LITIGATION for a in _delivered(events, at)):
            reached += 1
    return _percent(Decimal(reached), Decimal(overdue))


_UNIT_COSTS: TypeAdapter[dict[Channel, Amount]] = TypeAdapter(dict[Channel, Amount])


@dataclass(frozen=True, slots=True)
class CollectionCost:
    """What chasing the portfolio cost, from per-channel unit costs.

    Attributes:
        currency: the currency of the costs.
        messages: messages per channel (a grouped message counts once).
        total: the sum of messages x unit cost of their channel.
        invoices_chased: invoices with at least one action recorded.
        per_invoice: ``total`` ÷ ``invoices_chased``, to the cent (None if none was chased).
    """

    currency: str
    messages: Mapping[str, int]
    total: Decimal
    invoices_chased: int
    per_invoice: Decimal | None


def collection_cost(
    entries: Iterable[PortfolioEntry],
    unit_costs: Mapping[Channel | str, Decimal | int | str],
    *,
    at: datetime,
    currency: str = "EUR",
) -> CollectionCost:
    """The cost of collection: messages sent by channel x what one message costs you.

    A message is the actions recorded for one customer at one instant on one channel (how the
    runner records a grouped message), up to *at*. A message whose delivery failed counts: the
    stamp was paid. Only invoices in *currency* count; costs are in that currency too.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        unit_costs: cost of one message per channel, e.g. ``{"email": "0", "sms": "0.08",
            "registered_letter": "6.50"}`` (Decimal, int or str; never a float). Every channel
            used must be priced.
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        A `CollectionCost`.

    Raises:
        ValueError: if *at* is naive, or a channel used has no unit cost.
        pydantic.ValidationError: for an unknown channel or a bad cost (``float_amount``...).

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import ActionTaken, Customer, Invoice
        >>> c = Customer(id="C", name="C")
        >>> at = datetime(2026, 3, 5, tzinfo=timezone.utc)
        >>> def inv(n):
        ...     sent = ActionTaken(at=at, action_id=f"a{n}", channel="registered_letter")
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="10"),
        ...         events=(sent,))
        >>> cost = collection_cost([inv(1), inv(2)], {"registered_letter": "6.50"}, at=at)
        >>> cost.messages, cost.total, cost.per_invoice
        ({'registered_letter': 1}, Decimal('6.50'), Decimal('3.25'))
    """
    check_aware(at)
    prices = _UNIT_COSTS.validate_python(dict(unit_costs))
    sent: set[tuple[str, datetime, Channel]] = set()
    chased = 0
    for invoice, events in _invoices(entries, currency):
        mine = [e for e in events if isinstance(e, ActionTaken) and e.at <= at]
        if mine:
            chased += 1
        sent.update((invoice.customer.id, e.at, e.channel) for e in mine)
    messages: dict[str, int] = {}
    total = _ZERO
    for _, _, channel in sorted(sent, key=lambda m: (m[0], m[1], m[2].value)):
        if channel not in prices:
            msg = f"unit_costs: no cost for channel '{channel.value}', which was used"
            raise ValueError(msg)
        messages[channel.value] = messages.get(channel.value, 0) + 1
        total += prices[channel]
    per_invoice = (total / chased).quantize(_CENT, ROUND_HALF_UP) if chased else None
    return CollectionCost(
        currency=currency,
        messages=dict(sorted(messages.items())),
        total=total,
        invoices_chased=chased,
        per_invoice=per_invoice,
    )


def silent_customers(
    entries: Iterable[PortfolioEntry], *, at: datetime, min_actions: int = 2
) -> tuple[str, ...]:
    """Customers who never responded: at least *min_actions* delivered, and not a word back.

    A *response* is a payment, a promise to pay, a payment plan or a dispute dated on or after
    the day of the customer's first delivered action (in its time zone), up to the end of
    *at*'s local day. Actions are counted on every invoice of the customer, all currencies.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware).
        min_actions: how many delivered actions make a silence meaningful (at least 1).

    Returns:
        The silent customers' ids, sorted.

    Raises:
        ValueError: if *at* is naive or *min_actions* is below 1.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import ActionTaken, Customer, Invoice, PromiseToPay
        >>> def inv(cid, *events):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{cid}", number="1",
        ...         customer=Customer(id=cid, name=cid), issued_on=date(2026, 1, 1),
        ...         due_on=date(2026, 2, 1), total="10"), events=events)
        >>> def sent(n):
        ...     return ActionTaken(at=datetime(2026, 2, n, 9, tzinfo=timezone.utc),
        ...                        action_id=f"a{n}", channel="email")
        >>> promise = PromiseToPay(on=date(2026, 2, 10), promised_on=date(2026, 2, 20))
        >>> book = [inv("A", sent(2), sent(9)), inv("B", sent(2), sent(9), promise)]
        >>> silent_customers(book, at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        ('A',)
    """
    check_aware(at)
    if min_actions < 1:
        msg = f"min_actions: must be at least 1, got {min_actions}"
        raise ValueError(msg)
    actions: dict[str, list[date]] = {}
    answers: dict[str, list[date]] = {}
    for entry in entries:
        if not isinstance(entry, InvoiceHistory):
            continue
        invoice, events = entry.invoice, entry.events
        tz, day = invoice.customer.tz, _local_day(invoice, at)
        mine = actions.setdefault(invoice.customer.id, [])
        mine.extend(a.at.astimezone(tz).date() for a in _delivered(events, at))
        answers.setdefault(invoice.customer.id, []).extend(
            e.on
            for e in events
            if isinstance(e, Payment | PromiseToPay | PaymentPlanAgreed | DisputeOpened)
            and e.on <= day
        )
    silent = []
    for customer_id, days in actions.items():
        if len(days) < min_actions:
            continue
        first = min(days)
        if not any(d >= first for d in answers[customer_id]):
            silent.append(customer_id)
    return tuple(sorted(silent))


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

    Days late of a paid invoice = payment day - last due date, 0 when paid on time. This is
    what `Policy.scenario_for` takes as ``recent_days_late``.

    Raises:
        ValueError: if *at* is naive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from dunning.core.model import Customer, Invoice, Payment
        >>> c = Customer(id="C", name="C")
        >>> def inv(n, paid):
        ...     return InvoiceHistory(invoice=Invoice(id=f"F-{n}", number=str(n), customer=c,
        ...         issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1), total="10"),
        ...         events=(Payment(on=paid, amount="10"),))
        >>> payment_delays([inv(1, date(2026, 2, 11)), inv(2, date(2026, 1, 20))],
        ...                at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        (0, 10)
    """
    check_aware(at)
    paid: list[tuple[date, str, int]] = []
    for entry in entries:
        if not isinstance(entry, InvoiceHistory):
            continue
        invoice = entry.invoice
        on = _paid_by(invoice, entry.events, _local_day(invoice, at))
        if on is not None:
            paid.append((on, invoice.id, max(0, (on - invoice.last_due_on).days)))
    return tuple(late for _, _, late in sorted(paid))


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
        day = _local_day(invoice, at)
        if invoice.issued_on > day or _paid_by(invoice, entry.events, day) is not None:
            continue
        parts = _tranches(invoice, entry.events, day)
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
