"""What dunning actions did: step effectiveness, reminders, litigation, cost, silence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ConfigDict, TypeAdapter

from dunning.core._types import Amount
from dunning.core.display import Money, format_amount, html_table
from dunning.core.metrics._common import (
    CENT,
    LITIGATION,
    ZERO,
    book_invoices,
    delivered_actions,
    happened_by,
    in_period,
    local_day,
    one_decimal,
    paid_by,
    percent,
    period,
)
from dunning.core.model import (
    ActionTaken,
    Channel,
    DisputeOpened,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    corrected,
)
from dunning.core.parsing import When, to_moment
from dunning.core.policy import Policy
from dunning.core.portfolio import InvoiceHistory, PortfolioEntry
from dunning.core.scenario import Scenario, StepKind

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
        return percent(Decimal(self.paid_after), Decimal(self.delivered))


class StepEffectivenessTable(tuple[StepEffectiveness, ...]):
    """The `StepEffectiveness` of every step, by step id: a tuple that shows as a table.

    It is an ordinary tuple (indexing, ``len``, equality with a tuple); in a notebook it
    displays as an HTML table.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        """One row per step: delivered, paid after it, the share paid and the days to pay."""
        rows = [
            (s.step_id, s.delivered, s.paid_after,
             "" if s.paid_share is None else f"{format_amount(s.paid_share)} %",
             s.average_days_to_pay)
            for s in self
        ]  # fmt: skip
        headers = ["step", "delivered", "paid after it", "paid share", "average days to pay"]
        return html_table(headers, rows, caption="Step effectiveness")


def step_effectiveness(
    entries: Iterable[PortfolioEntry], *, at: When, currency: str = "EUR"
) -> StepEffectivenessTable:
    """Per scenario step: how often it was delivered, and how soon invoices were paid after it.

    An invoice paid (in full) by the end of *at*'s local day counts for the last scenario step
    delivered to it on or before its payment day; its days to pay are the payment day less
    that action's local day. Manual actions (no ``step_id``) are not steps and are skipped.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        currency: only invoices in this currency count.

    Returns:
        One `StepEffectiveness` per step id seen, by step id, in a `StepEffectivenessTable`
        (a tuple that displays as a table in a notebook).

    Raises:
        ValueError: if *at* is naive or unreadable or unreadable.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
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
    at = to_moment(at, "at")
    delivered: dict[str, int] = {}
    waits: dict[str, list[int]] = {}
    for invoice, events in book_invoices(entries, currency):
        tz = invoice.customer.tz
        day = local_day(invoice, at)
        actions = [
            a for a in delivered_actions(events, at, invoice.customer.tz) if a.step_id is not None
        ]
        for a in actions:
            delivered[a.step_id or ""] = delivered.get(a.step_id or "", 0) + 1
        paid = paid_by(invoice, events, day)
        if paid is None:
            continue
        before = [a for a in actions if a.at.astimezone(tz).date() <= paid]
        if before:
            last = before[-1]
            waits.setdefault(last.step_id or "", []).append(
                (paid - last.at.astimezone(tz).date()).days
            )
    return StepEffectivenessTable(
        StepEffectiveness(
            step_id=step,
            delivered=count,
            paid_after=len(waits.get(step, [])),
            average_days_to_pay=(
                one_decimal(Decimal(sum(waits[step])) / len(waits[step]))
                if waits.get(step)
                else None
            ),
        )
        for step, count in sorted(delivered.items())
    )


def reminders_per_paid_invoice(
    entries: Iterable[PortfolioEntry],
    *,
    at: When,
    currency: str = "EUR",
    start: When | None = None,
    end: When | None = None,
) -> Decimal | None:
    """Delivered actions per invoice paid, over the invoices paid by the end of *at*'s day.

    Every delivered `ActionTaken` on a paid invoice counts (scenario steps and manual
    reminders), including one recorded after the payment; a grouped message counts once on
    each invoice it covers. Paid invoices that needed no reminder count in the denominator.
    With *start* and/or *end*, only invoices paid in that period (days included) count, so
    a long history does not dilute a quarter.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        currency: only invoices in this currency count.
        start: first payment day counted (a day, as `dunning.core.parsing.to_day` reads it).
        end: last payment day counted.

    Returns:
        The ratio to two decimals, or None if no invoice is paid.

    Raises:
        ValueError: if *at* is naive or unreadable or unreadable.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
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
        >>> reminders_per_paid_invoice(book, at="2026-03-01", start="2026-02-02")
        Decimal('2.00')
    """
    at = to_moment(at, "at")
    first, last = period(start, end)
    paid = actions = 0
    for invoice, events in book_invoices(entries, currency):
        paid_on = paid_by(invoice, events, local_day(invoice, at))
        if paid_on is not None and in_period(paid_on, first, last):
            paid += 1
            actions += len(delivered_actions(events, at, invoice.customer.tz))
    if paid == 0:
        return None
    return (Decimal(actions) / paid).quantize(CENT, ROUND_HALF_UP)


def step_kinds(scenarios: Scenario | Policy | Iterable[Scenario]) -> dict[str, set[StepKind]]:
    """Step id -> the kinds the scenarios give it (its broken-promise step included).

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> sorted(k.value for k in step_kinds(STANDARD)["formal_notice"])
        ['formal_notice']
    """
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
    at: When,
    currency: str = "EUR",
    start: When | None = None,
    end: When | None = None,
) -> Decimal | None:
    """The share of overdue invoices that reached a formal notice or a handover, in percent.

    *Overdue* invoices are those whose first due date had passed while they were unpaid: still
    unpaid after it at the end of *at*'s day, or paid after it. The numerator counts those with
    a delivered action whose step is a ``formal_notice`` or ``handover`` in *scenarios* (the
    step ids are looked up there; a step id that is such a step in any of them counts).
    With *start* and/or *end*, only invoices whose first due date falls in that period (days
    included) count: the cohort that fell due in a quarter, not the whole history.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        scenarios: the scenario, the policy, or the scenarios the actions came from.
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        currency: only invoices in this currency count.
        start: first due date counted (a day, as `dunning.core.parsing.to_day` reads it).
        end: last due date counted.

    Returns:
        The rate to one decimal, or None if no invoice was overdue.

    Raises:
        ValueError: if *at* is naive or unreadable or unreadable.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
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
        >>> litigation_rate(book, STANDARD, at="09/03/2026", start="2026-03-01") is None
        True
    """
    at = to_moment(at, "at")
    first, last = period(start, end)
    kinds = step_kinds(scenarios)
    overdue = reached = 0
    for invoice, events in book_invoices(entries, currency):
        day = local_day(invoice, at)
        due = invoice.first_due_on
        if due >= day or not in_period(due, first, last):
            continue
        paid = paid_by(invoice, events, day)
        if paid is not None and paid <= due:
            continue
        overdue += 1
        if any(
            kinds.get(a.step_id or "", set()) & LITIGATION
            for a in delivered_actions(events, at, invoice.customer.tz)
        ):
            reached += 1
    return percent(Decimal(reached), Decimal(overdue))


_UNIT_COSTS: TypeAdapter[dict[Channel, Amount]] = TypeAdapter(
    dict[Channel, Amount], config=ConfigDict(title="unit_costs")
)


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

    def _repr_html_(self) -> str:
        """Messages per channel, then the total and the cost per invoice chased, for notebooks."""
        cur = self.currency
        rows: list[tuple[object, ...]] = [(f"{ch} messages", n) for ch, n in self.messages.items()]
        rows.append(("total cost", Money(self.total, cur)))
        rows.append(("invoices chased", self.invoices_chased))
        each = None if self.per_invoice is None else Money(self.per_invoice, cur)
        rows.append(("cost per invoice chased", each))
        return html_table(["", ""], rows, caption=f"Cost of collection ({cur})")


def collection_cost(
    entries: Iterable[PortfolioEntry],
    unit_costs: Mapping[Channel | str, Decimal | int | str],
    *,
    at: When,
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
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        currency: only invoices in this currency count.

    Returns:
        A `CollectionCost`.

    Raises:
        ValueError: if *at* is naive or unreadable, or a channel used has no unit cost.
        pydantic.ValidationError: for an unknown channel or a bad cost (``float_amount``...).

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
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
    at = to_moment(at, "at")
    prices = _UNIT_COSTS.validate_python(dict(unit_costs))
    sent: set[tuple[str, datetime, Channel]] = set()
    chased = 0
    for invoice, events in book_invoices(entries, currency):
        tz = invoice.customer.tz
        mine = [e for e in events if isinstance(e, ActionTaken) and happened_by(e.at, at, tz)]
        if mine:
            chased += 1
        sent.update((invoice.customer.id, e.at, e.channel) for e in mine)
    messages: dict[str, int] = {}
    total = ZERO
    for _, _, channel in sorted(sent, key=lambda m: (m[0], m[1], m[2].value)):
        if channel not in prices:
            msg = f"unit_costs: no cost for channel '{channel.value}', which was used"
            raise ValueError(msg)
        messages[channel.value] = messages.get(channel.value, 0) + 1
        total += prices[channel]
    per_invoice = (total / chased).quantize(CENT, ROUND_HALF_UP) if chased else None
    return CollectionCost(
        currency=currency,
        messages=dict(sorted(messages.items())),
        total=total,
        invoices_chased=chased,
        per_invoice=per_invoice,
    )


def silent_customers(
    entries: Iterable[PortfolioEntry], *, at: When, min_actions: int = 2
) -> tuple[str, ...]:
    """Customers who never responded: at least *min_actions* delivered, and not a word back.

    A *response* is a payment, a promise to pay, a payment plan or a dispute dated on or after
    the day of the customer's first delivered action (in its time zone), up to the end of
    *at*'s local day. Actions are counted on every invoice of the customer, all currencies.

    Args:
        entries: the portfolio (`InvoiceHistory` items).
        at: the instant (timezone-aware), or a day (its end, in each customer's zone).
        min_actions: how many delivered actions make a silence meaningful (at least 1).

    Returns:
        The silent customers' ids, sorted.

    Raises:
        ValueError: if *at* is naive or unreadable or *min_actions* is below 1.

    Examples:
        >>> from dunning.core.portfolio import InvoiceHistory
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
    at = to_moment(at, "at")
    if min_actions < 1:
        msg = f"min_actions: must be at least 1, got {min_actions}"
        raise ValueError(msg)
    actions: dict[str, list[date]] = {}
    answers: dict[str, list[date]] = {}
    for entry in entries:
        if not isinstance(entry, InvoiceHistory):
            continue
        invoice, events = entry.invoice, entry.events
        tz, day = invoice.customer.tz, local_day(invoice, at)
        mine = actions.setdefault(invoice.customer.id, [])
        mine.extend(
            a.at.astimezone(tz).date() for a in delivered_actions(events, at, invoice.customer.tz)
        )
        answers.setdefault(invoice.customer.id, []).extend(
            e.on
            for e in corrected(invoice, events)
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
