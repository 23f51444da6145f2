"""Hand-written floors: the least code that computes the same core figure, for the benchmarks.

Each floor does only the arithmetic at the heart of a library function, on the same inputs,
with none of its rules, checks or result objects. A benchmark prints its figure next to the
floor measured in the same process, and the ratio between them: the ratio is what the library
costs for everything it does beyond the arithmetic, and it does not move with the machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from dunning import Event, Invoice, Payment, RenderContext, Scenario
from dunning.core.model import ActionTaken, CreditNote

CENT = Decimal("0.01")


def decide_floor(
    items: Iterable[tuple[Invoice, Sequence[Event]]], scenario: Scenario, *, at: datetime
) -> Iterator[tuple[str, int, str | None]]:
    """Days late and the first step not yet taken whose offset has passed, per invoice.

    One pass over the events (payments summed, steps taken collected), the balance, the days
    late since the due date, and a scan of the ladder: what ``decide`` computes at its core,
    without pauses, gaps, deadlines, calendars, windows, retries or result objects.
    """
    steps = [(step.id, step.offset_days) for step in scenario.steps]
    for invoice, events in items:
        today = at.astimezone(invoice.customer.tz).date()
        paid = Decimal(0)
        taken = set()
        for event in events:
            if isinstance(event, Payment | CreditNote):
                paid += event.amount
            elif isinstance(event, ActionTaken):
                taken.add(event.step_id)
        if paid >= invoice.total:
            yield invoice.id, 0, None
            continue
        late = (today - invoice.first_due_on).days
        chosen = None
        for step_id, offset in steps:
            if step_id not in taken:
                if offset <= late:
                    chosen = step_id
                break
        yield invoice.id, late, chosen


def interest_floor(
    principal: Decimal,
    first: date,
    until: date,
    payments: Sequence[tuple[date, Decimal]],
    rate: Decimal,
) -> Decimal:
    """Simple interest on a balance reduced by payments, at one annual rate, actual/365.

    What ``compute_penalties`` computes at its core, without rate tables, half-years, regimes,
    findings or result objects.
    """
    total = Decimal(0)
    balance = principal
    start = first
    for day, amount in sorted(payments):
        if day > start:
            total += balance * rate * (day - start).days / 36500
            start = day
        balance -= amount
    if until > start:
        total += balance * rate * (until - start).days / 36500
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def babel_floor(context: RenderContext) -> list[str]:
    """The amounts and dates of a one-invoice message with penalties, formatted by Babel.

    What a render cannot avoid: the same Babel calls on the same values, in the customer's
    locale, without templates, the sandbox, the budget or the checks of what is printed.
    """
    locale = context.customer.locale
    out = [format_date(context.message_date, format="long", locale=locale)]
    for line in context.invoices:
        out += [
            format_currency(line.total, line.currency, locale=locale),
            format_currency(line.amount_due, line.currency, locale=locale),
            format_date(line.issued_on, format="long", locale=locale),
            format_date(line.due_on, format="long", locale=locale),
        ]
        if line.penalties is not None:
            out += [
                format_currency(line.penalties.interest, line.currency, locale=locale),
                format_currency(line.penalties.indemnity, line.currency, locale=locale),
                format_currency(line.penalties.total, line.currency, locale=locale),
            ]
    return out
