"""Hand-written floors: the least code that computes the same core figure, for the benchmarks.

Each floor does only the arithmetic at the heart of a library function, on the same inputs,
with none of its rules, checks or result objects. A benchmark prints its figure next to the
floor measured in the same process, and the ratio between them: the ratio is what the library
costs for everything it does beyond the arithmetic, and it does not move with the machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from dunning import Event, Invoice, Payment, Scenario
from dunning.core.model import ActionTaken, CreditNote
from dunning.render import RenderContext

CENT = Decimal("0.01")
ONE_DAY = timedelta(days=1)


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
    rate: Decimal | Sequence[tuple[date, Decimal]],
) -> Decimal:
    """Simple interest from *first* to *until* included, actual/365, rounded once to the cent.

    *payments* are ``(day, amount)``: the balance is reduced from the day after *day* (a
    payment day still bears interest). *rate* is one annual rate in percent, or steps
    ``(from_day, rate)`` in date order, the first from *first* (the half-year rates of the B2B
    default regime, looked up beforehand). What ``compute_penalties`` computes at its core,
    without rate tables, regimes, findings, per-line rounding or result objects.
    """
    steps = [(first, rate)] if isinstance(rate, Decimal) else list(rate)
    cuts = sorted([(day + ONE_DAY, -amount) for day, amount in payments] + steps[1:])
    end = until + ONE_DAY
    total = Decimal(0)
    balance = principal
    annual = steps[0][1]
    start = first
    for day, change in cuts:
        if day >= end:
            break
        if day > start:
            total += balance * annual * (day - start).days / 36500
            start = day
        if change < 0:
            balance += change
        else:
            annual = change
    total += balance * annual * (end - start).days / 36500
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
