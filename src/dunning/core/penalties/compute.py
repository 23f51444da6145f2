"""Late-payment interest and the recovery indemnity of one invoice, itemised period by period.

How this works:

1. Each part of the invoice (the single due date, or each installment) is a *tranche* that
   runs from its own due date. Payments and credit notes are applied to tranches in due-date
   order (the rule of `dunning.core.ledger`, asked through `part_owed`), so the principal
   outstanding of a tranche on a day is a simple function of what was settled before that day.
2. Interest on a tranche runs from the day after its due date (or after the formal notice for a
   consumer) to `until` included, or to the payment date included: days = payment date - due
   date, the convention of service-public F783. A payment made on day P still bears interest on
   day P and reduces the principal from day P + 1.
3. The delay is cut into periods at every change of principal (payment, credit note), at every
   half-year boundary where the regime's rate may change, at the judgment increase, at each
   compounding anniversary, and at 1 January with the actual/366 day count. A period's
   interest is ``principal x annual rate / 100 x days / 365`` (366 in leap years with
   `DayCount.ACTUAL_366_IN_LEAP_YEARS`). The cost grows with the number of periods, never with
   the number of days.
4. Rounding (half-up to the cent) happens once, when the lines' interest is worked out from
   their exact values (`_round_lines`, inlined in `_compute` for the default): by default each
   line is rounded and the interest total is the sum of the rounded lines
   (`Rounding.PER_LINE`); with `Rounding.ON_TOTAL` the exact total is rounded once, as in the
   published examples, and its cents are shared among the lines by largest remainder, so the
   lines still add up to the total exactly.
5. The recovery indemnity (40 EUR, D441-5) is added once if any part of the invoice was late,
   for business and public debtors, never for consumers.

Examples:
    >>> from datetime import date
    >>> b = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))
    >>> [(str(x.first_day), x.days, str(x.annual_rate), str(x.interest)) for x in b.lines]
    [('2025-06-16', 15, '13.15', '64.85'), ('2025-07-01', 15, '12.15', '59.92')]
    >>> b.interest, b.recovery_indemnity, b.total
    (Decimal('124.77'), Decimal('40.00'), Decimal('164.77'))
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError, ValidationError

from dunning.core._types import PositiveAmount
from dunning.core.ledger import part_owed
from dunning.core.model import (
    _INSTANT_EVENTS,
    CreditNote,
    CustomerKind,
    Event,
    Invoice,
    Payment,
    check_history,
    corrected,
)
from dunning.core.penalties.breakdown import (
    DayCount,
    PenaltyBreakdown,
    PenaltyLine,
    Rounding,
    _invalid,
)
from dunning.core.penalties.rates import PenaltyRates, default_rates
from dunning.core.penalties.regimes import (
    COMPOUNDING_PERIOD,
    LatePaymentTerms,
    LegalRateMultiple,
    PenaltyFinding,
    PenaltyRegime,
    Percent,
    RatePlan,
    RateQuote,
)
from dunning.exceptions import InvoiceHistoryError

__all__ = [
    "DayCount",
    "PenaltyBreakdown",
    "PenaltyLine",
    "Rounding",
    "compute_penalties",
    "penalties_for_amount",
]

PARIS = ZoneInfo("Europe/Paris")
"""French civil dates: an instant given as `until` is read in Paris time (DOMAIN section 5)."""

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_NOTHING = Decimal(0)
_ONE_DAY = timedelta(days=1)
# Wide enough that no intermediate product is ever rounded, whatever the host's own context.
_EXACT = Context(prec=60)
_MONEY = (Payment, CreditNote)
_YEAR_365 = Decimal(36500)
_YEAR_366 = Decimal(36600)
"""100 x the days of a year: the divisor of principal x rate (in percent) x days."""


def _civil_date(value: Any) -> Any:
    """Turn an aware datetime into its Paris civil date; refuse a naive one."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError(
                "naive_datetime",
                "an instant must be timezone-aware, got {value} with no time zone",
                {"value": value.isoformat()},
            )
        return value.astimezone(PARIS).date()
    return value


CivilDate = Annotated[date, BeforeValidator(_civil_date)]
"""A date, or an aware datetime read as its Europe/Paris civil date."""


# ------------------------------------------------------------------------------ the engine


_Period = tuple[int | None, date, date, Decimal, RateQuote, Decimal, Decimal]
"""One line in the making: a period of constant principal and rate of one tranche.

Installment, first day, last day, principal, quote, numerator, year (100 x the days in the
year), a plain tuple: one is built per cut in the hot loop, and a NamedTuple's ``__new__`` is
Python code. The exact interest of the period is ``numerator / year``: the numerator
(principal x rate x days, summed over merged cuts) is exact, and divided once per line.
"""


class _Dates(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="compute_penalties")

    until: CivilDate
    formal_notice_on: CivilDate | None = None


def compute_penalties(
    invoice: Invoice,
    events: Sequence[Event],
    *,
    until: date | datetime,
    terms: LatePaymentTerms | None = None,
    formal_notice_on: date | datetime | None = None,
    rates: PenaltyRates | None = None,
    day_count: DayCount = DayCount.ACTUAL_365,
    rounding: Rounding = Rounding.PER_LINE,
) -> PenaltyBreakdown:
    """Compute the late-payment interest and recovery indemnity of *invoice* up to *until*.

    Args:
        invoice: the invoice (its due date or installments, total incl. VAT, customer kind).
        events: its history; payments and credit notes reduce the principal, others are
            ignored, and so is a fact a `Reversal` cancels (`corrected`).
        until: last day to count (included): a date, or an aware datetime read in Paris time.
            The computation stops earlier at the day the invoice was fully paid.
        terms: the regime; by default derived from the customer's kind and the invoice's
            contractual rate (`LatePaymentTerms.for_invoice`).
        formal_notice_on: day of the formal notice (mise en demeure), from which a consumer
            owes interest. Ignored for business and public debtors, whose interest runs anyway.
        rates: rate tables; by default the packaged ones (`default_rates`).
        day_count: 365 days a year (default) or 366 in leap years.
        rounding: per line (default) or once on the total.

    Returns:
        The itemised `PenaltyBreakdown`.

    Raises:
        pydantic.ValidationError: ``naive_datetime`` for a naive *until* or
            *formal_notice_on*; ``until_before_due_date`` if *until* is before the first due
            date (location ``until``).
        InvoiceHistoryError: ``payments_exceed_amount`` if payments and credit notes add up
            to more than the invoice total; ``event_before_issue``, ``currency_mismatch``, and
            for a history with reversals the codes of `check_history`.
        RateNotAvailableError: if a rate needed is beyond the tables (pass *rates*).

    Examples:
        >>> from datetime import date
        >>> from dunning.core.model import Customer
        >>> inv = Invoice(id="F-7", number="7", customer=Customer(id="C", name="C"),
        ...               issued_on=date(2025, 5, 16), due_on=date(2025, 6, 15), total="12000")
        >>> b = compute_penalties(inv, [Payment(on=date(2025, 7, 1), amount="5000")],
        ...                       until=date(2025, 7, 15))
        >>> [(str(x.principal), x.days, str(x.interest)) for x in b.lines]
        [('12000', 15, '64.85'), ('12000', 1, '3.99'), ('7000', 14, '32.62')]
        >>> b.total
        Decimal('141.46')
    """
    if type(until) is date and (formal_notice_on is None or type(formal_notice_on) is date):
        end, notice = until, formal_notice_on  # plain dates: nothing to convert or refuse
    else:
        dates = _Dates(until=until, formal_notice_on=formal_notice_on)
        end, notice = dates.until, dates.formal_notice_on
    if end < invoice.first_due_on:
        raise _until_before_due("compute_penalties", end, invoice.first_due_on)
    contractual_ignored = False
    if terms is None:
        terms = _default_terms(invoice)
        contractual_ignored = (
            invoice.contractual_rate is not None and terms.regime is PenaltyRegime.PUBLIC_BUYER
        )
    money = _money_of(invoice, corrected(invoice, events))
    findings: list[PenaltyFinding] = []
    if invoice.customer.country != "FR":
        findings.append(
            PenaltyFinding(
                code="governing_law_to_check",
                message=f"the debtor is in {invoice.customer.country}: French late-payment law "
                "applies only if the contract is governed by it (Rome I Regulation, art. 3 "
                "and 4); check the governing law before claiming these amounts",
            )
        )
    if terms.regime is PenaltyRegime.CONSUMER and terms.contractual_rate is not None:
        findings.append(
            PenaltyFinding(
                code="stipulated_rate_may_be_moderated",
                message="the consumer contract's stipulated rate is a penalty clause: a judge "
                "may moderate it (Code civil 1231-5), and it must not be an unfair term (Code "
                "de la consommation L212-1); the legal rate is what the law grants without it",
            )
        )
    if contractual_ignored:
        findings.append(
            PenaltyFinding(
                code="contractual_rate_not_applicable",
                message=f"the invoice's contractual rate is not used: the {terms.regime.value} "
                "regime sets the rate by law",
            )
        )
    return _compute(
        invoice_id=invoice.id,
        currency=invoice.currency,
        schedule=invoice.schedule,
        numbered=bool(invoice.installments),
        money=money,
        end=end,
        terms=terms,
        formal_notice_on=notice,
        rates=rates or default_rates(),
        day_count=day_count,
        rounding=rounding,
        findings=findings,
    )


def _money_of(invoice: Invoice, events: Sequence[Event]) -> list[tuple[date, Decimal]]:
    """The payments and credit notes of *events* as ``(day, amount)``, by day, checked.

    One pass over the history: the money in it, and the checks of `check_history`, which is
    called to report the first problem (by position) only when there is one.

    Raises:
        InvoiceHistoryError: as `compute_penalties`.
    """
    issued, currency, first_due = invoice.issued_on, invoice.currency, invoice.first_due_on
    dated: list[tuple[date, int, Payment | CreditNote]] = []
    for n, event in enumerate(events):
        if isinstance(event, _MONEY):
            if event.on < issued or event.currency != currency:
                check_history(invoice, events)
            dated.append((event.on, n, event))
        elif isinstance(event, _INSTANT_EVENTS):
            if event.at.astimezone(invoice.customer.tz).date() < issued:
                check_history(invoice, events)
        elif event.on < issued:
            check_history(invoice, events)
    money: list[tuple[date, Decimal]] = []
    if dated:
        dated.sort(key=itemgetter(0))  # stable: same-day money keeps the host's order
        settled = _NOTHING
        total = invoice.total
        for on, n, event in dated:
            settled += event.amount
            if settled > total:
                msg = f"payments and credit notes add up to {settled}, more than {total}"
                raise InvoiceHistoryError(
                    msg,
                    invoice_id=invoice.id,
                    location=f"events[{n}].amount",
                    code="payments_exceed_amount",
                )
            # A correcting credit note: the corrected part was never owed, so it counts from
            # the first due date (no interest ever ran on it); otherwise, like a payment, on
            # its date.
            corrects = isinstance(event, CreditNote) and event.corrects_invoice
            money.append((min(on, first_due) if corrects else on, event.amount))
    return money


@lru_cache(maxsize=256)
def _terms_of(kind: CustomerKind, rate: str | None) -> LatePaymentTerms:
    # Keyed by the rate's exact text: Decimal("12") and Decimal("12.000") are equal, but are
    # written differently in the rate source.
    invoice_rate = None if rate is None else Decimal(rate)
    return LatePaymentTerms.for_kind(kind, invoice_rate)


def _default_terms(invoice: Invoice) -> LatePaymentTerms:
    """`LatePaymentTerms.for_invoice`, built once per customer kind and rate (they are frozen)."""
    rate = invoice.contractual_rate
    return _terms_of(invoice.customer.kind, None if rate is None else str(rate))


def _until_before_due(title: str, end: date, due: date) -> ValidationError:
    return _invalid(
        title,
        "until",
        PydanticCustomError(
            "until_before_due_date",
            "until {until} is before the due date {due}: nothing can be late yet",
            {"until": end.isoformat(), "due": due.isoformat()},
        ),
        end,
    )


def _compute(
    *,
    invoice_id: str,
    currency: str,
    schedule: Sequence[tuple[date, Decimal]],
    numbered: bool,
    money: list[tuple[date, Decimal]],
    end: date,
    terms: LatePaymentTerms,
    formal_notice_on: date | None,
    rates: PenaltyRates,
    day_count: DayCount,
    rounding: Rounding,
    findings: list[PenaltyFinding],
) -> PenaltyBreakdown:
    money.sort(key=itemgetter(0))
    pay_days = [day for day, _ in money]
    cumulative = [Decimal(0), *accumulate(amount for _, amount in money)]
    plan = RatePlan(terms=terms, rates=rates)
    periods: list[_Period] = []
    before = Decimal(0)
    no_interest = False
    with localcontext(_EXACT):
        for n, (due_on, amount) in enumerate(schedule):
            older = before  # what the older tranches amount to: money settles them first
            before += amount
            start = terms.interest_starts_after(due_on, formal_notice_on)
            if start is None:
                no_interest = True
                continue
            _tranche_periods(
                periods,
                n + 1 if numbered else None,
                amount,
                older,
                start=start,
                end=end,
                pay_days=pay_days,
                cumulative=cumulative,
                plan=plan,
                day_count=day_count,
            )
        # A line's exact interest: its numerator (principal x rate x days, summed over the
        # cuts merged into it, all exact) over 100 x the year's days, divided once.
        if rounding is Rounding.PER_LINE:  # what `_round_lines` does, in one pass
            interests = [(p[5] / p[6]).quantize(_CENT, ROUND_HALF_UP) for p in periods]
        else:
            interests = _round_lines([p[5] / p[6] for p in periods], rounding)
    # Built from values computed and checked here: nothing to validate (see `PenaltyLine`).
    lines = tuple(
        [
            PenaltyLine(
                installment=number,
                first_day=first_day,
                last_day=last_day,
                days=(last_day - first_day).days + 1,
                principal=principal,
                annual_rate=quote.rate,
                rate_source=quote.source,
                provisional=quote.provisional,
                interest=interest,
            )
            for (number, first_day, last_day, principal, quote, _, _), interest in zip(
                periods, interests, strict=True
            )
        ]
    )
    if no_interest:
        findings.append(
            PenaltyFinding(
                code="no_formal_notice",
                message="a consumer owes interest at the legal rate only from a formal notice "
                "(Code civil 1231-6, 1344): pass formal_notice_on; no interest computed",
            )
        )
    if periods:
        if terms.regime is PenaltyRegime.B2B_CONTRACTUAL:
            findings.extend(plan.floor_findings(periods[0][1], max(p[2] for p in periods)))
        seen: set[str] = set()
        for p in periods:
            quote = p[4]
            half = quote.half_year
            if quote.provisional and half is not None and str(half) not in seen:
                seen.add(str(half))
                findings.append(
                    PenaltyFinding(
                        code="provisional_rate",
                        message=f"the rate for {half} uses a provisional value ({quote.source})",
                        half_year=str(half),
                    )
                )
    interest = sum(interests, _ZERO)
    # D441-5 / D2192-35: owed once as soon as any part is late, even if later paid in part.
    indemnity = terms.indemnity_amount if periods else _ZERO
    paid = None
    if money and cumulative[-1] >= before:  # before: now the total of the schedule
        paid = next(day for day, c in zip(pay_days, cumulative[1:], strict=True) if c >= before)
    return PenaltyBreakdown(
        invoice_id=invoice_id,
        currency=currency,
        regime=terms.regime,
        until=end,
        paid_on=paid if paid is not None and paid <= end else None,
        lines=lines,
        interest=interest,
        recovery_indemnity=indemnity,
        total=interest + indemnity,
        day_count=day_count,
        rounding=rounding,
        findings=tuple(findings),
    )


def _tranche_periods(  # noqa: C901, PLR0912  (the hot loop, kept in one frame)
    periods: list[_Period],
    number: int | None,
    amount: Decimal,
    older: Decimal,
    *,
    start: date,
    end: date,
    pay_days: list[date],
    cumulative: list[Decimal],
    plan: RatePlan,
    day_count: DayCount,
) -> None:
    """Cut the delay of one tranche into periods of constant principal and rate.

    Appends to *periods* one tuple a period (see `_Period`); *older* is what the earlier
    tranches amount to: money settles them first (the ledger's `part_owed`).
    """
    first = start + _ONE_DAY
    if first > end:
        return
    starts, rate_days, anniversaries = _period_starts(start, end, pay_days, plan.terms, day_count)
    leap_aware = day_count is DayCount.ACTUAL_366_IN_LEAP_YEARS
    # What the tranche still owes after the first i payments (None: it is paid).
    owing = [
        owed if (owed := part_owed(amount, older, settled)) > 0 else None for settled in cumulative
    ]
    capitalised = _NOTHING
    year_interest = _NOTHING
    compounding = bool(anniversaries)
    # The open line: merged into (rebuilt, a rare case) while a cut changes neither principal
    # nor rate for this tranche (money applied to another one), closed when one does.
    line: _Period | None = None
    quote: RateQuote | None = None  # looked up on the first day with something owed
    year = _YEAR_365
    paid = 0  # how many payments are before the current day
    count = len(pay_days)
    last = len(starts) - 1
    for n, first_day in enumerate(starts):
        last_day = starts[n + 1] - _ONE_DAY if n < last else end
        if compounding and first_day in anniversaries:
            # Code civil 1343-2: a whole year's interest, in cents, now bears interest itself.
            capitalised += year_interest.quantize(_CENT, ROUND_HALF_UP)
            year_interest = _NOTHING
        while paid < count and pay_days[paid] < first_day:
            paid += 1
        principal = owing[paid]
        if principal is None:
            break  # paid: interest on this tranche has stopped (money only accumulates)
        if compounding:
            principal += capitalised
        fresh = False  # whether the cut starts a new line whatever the principal
        if line is None or first_day in rate_days:
            # The first day, a half-year, the judgment increase or (actual/366) a 1 January:
            # the only days the rate or the year's length may change.
            found = plan.quote_at(first_day, delay_started_on=first)
            if leap_aware:
                fresh = line is not None and first_day.year != line[1].year
                year = _YEAR_366 if calendar.isleap(first_day.year) else _YEAR_365
            if found != quote:
                quote = found
                fresh = True
        assert quote is not None  # noqa: S101 (looked up on the first day)
        numerator = principal * quote.rate * ((last_day - first_day).days + 1)
        if compounding:
            year_interest += numerator / year
        if line is not None and not fresh and line[3] == principal:
            # A cut that changed nothing for this tranche (money applied to another one).
            line = (number, line[1], last_day, principal, quote, line[5] + numerator, year)
            continue
        if line is not None:
            periods.append(line)
        line = (number, first_day, last_day, principal, quote, numerator, year)
    if line is not None:
        periods.append(line)


_FIRST_HALF_YEAR = 1900
_LAST_HALF_YEAR = 2199
_HALF_YEAR_STARTS = tuple(
    date(year, month, 1)
    for year in range(_FIRST_HALF_YEAR, _LAST_HALF_YEAR + 1)
    for month in (1, 7)
)
"""Every 1 January and 1 July of the years rate tables may cover: sliced, never rebuilt."""


def _half_year_starts(first: date, end: date, *, every_half: bool) -> Sequence[date]:
    """The 1 January and 1 July after *first*, up to *end* (only 1 January if not every half)."""
    found: Sequence[date]
    if first.year >= _FIRST_HALF_YEAR and end.year <= _LAST_HALF_YEAR:
        found = _HALF_YEAR_STARTS[
            bisect_right(_HALF_YEAR_STARTS, first) : bisect_right(_HALF_YEAR_STARTS, end)
        ]
    else:  # a date no rate table covers: computed (a table will refuse it later)
        computed = []
        year, month = (first.year, 7) if first.month <= 6 else (first.year + 1, 1)  # noqa: PLR2004
        while (cut := date(year, month, 1)) <= end:
            computed.append(cut)
            year, month = (year, 7) if month == 1 else (year + 1, 1)
        found = computed
    return found if every_half else [cut for cut in found if cut.month == 1]


def _period_starts(
    start: date,
    end: date,
    pay_days: list[date],
    terms: LatePaymentTerms,
    day_count: DayCount,
) -> tuple[list[date], frozenset[date] | set[date], set[date]]:
    """Return the first day of each period from *start* + 1 to *end*, and two sets of them.

    The rate days are where the rate (or, with actual/366, the year's length) may change: a
    half-year, the judgment increase, a 1 January. The anniversaries are the first days at
    which a year of interest is capitalised.
    """
    first = start + _ONE_DAY
    # A payment on day P still bears interest on day P: the principal changes from P + 1.
    cuts = [day + _ONE_DAY for day in pay_days if first <= day < end]
    cuts.append(first)
    leap_aware = day_count is DayCount.ACTUAL_366_IN_LEAP_YEARS
    every_half = terms.splits_at_half_years
    rate_days: set[date] = set()
    if every_half or leap_aware:
        rate_days.update(_half_year_starts(first, end, every_half=every_half))
    increase_from = terms.judgment_increase_from
    if increase_from is not None and first < increase_from <= end:
        rate_days.add(increase_from)
    cuts += rate_days
    anniversaries: set[date] = set()
    if terms.compounding:
        years = 1
        while (day := start + COMPOUNDING_PERIOD * years + _ONE_DAY) <= end:
            anniversaries.add(day)
            years += 1
        cuts += anniversaries
    return sorted(set(cuts)), rate_days, anniversaries


def _round_lines(exact: list[Decimal], rounding: Rounding) -> list[Decimal]:
    """The only place interest is rounded: half-up to the cent, per line or once on the total."""
    if rounding is Rounding.PER_LINE:
        return [value.quantize(_CENT, ROUND_HALF_UP) for value in exact]
    total = sum(exact, Decimal(0)).quantize(_CENT, ROUND_HALF_UP)
    floors = [value.quantize(_CENT, ROUND_FLOOR) for value in exact]
    spare = int((total - sum(floors, Decimal(0))) / _CENT)
    # Largest remainder: the lines that lost most to the floor get the spare cents; ties go to
    # the earlier line so the result is deterministic.
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:spare]:
        floors[i] += _CENT
    return [value.quantize(_CENT) for value in floors]


# ---------------------------------------------------------------------- plain-value helper


class _PlainInputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="penalties_for_amount")

    amount: PositiveAmount
    due_on: CivilDate
    until: CivilDate
    payments: tuple[tuple[CivilDate, PositiveAmount], ...] = ()
    regime: PenaltyRegime | None = None
    rate: Percent | None = None
    legal_rate_multiple: LegalRateMultiple | None = None
    formal_notice_on: CivilDate | None = None


def penalties_for_amount(
    amount: Decimal | int | str,
    due_on: date | str,
    until: date | datetime | str,
    *,
    payments: Iterable[tuple[date | str, Decimal | int | str]] = (),
    regime: PenaltyRegime | str | None = None,
    rate: Decimal | int | str | None = None,
    legal_rate_multiple: Decimal | int | str | None = None,
    formal_notice_on: date | datetime | str | None = None,
    rates: PenaltyRates | None = None,
    day_count: DayCount = DayCount.ACTUAL_365,
    rounding: Rounding = Rounding.PER_LINE,
) -> PenaltyBreakdown:
    """Compute penalties from plain values, without building an `Invoice` (for notebooks).

    Args:
        amount: the amount due, incl. VAT (Decimal, int or decimal string; never a float).
        due_on: the due date.
        until: last day to count (included).
        payments: ``(date, amount)`` pairs of partial payments or credit notes.
        regime: ``b2b_default`` (default), ``b2b_contractual`` (default when *rate* or
            *legal_rate_multiple* is given), ``consumer`` or ``public_buyer``.
        rate: contractual annual rate in percent (``"12"``, ``"12%"``).
        legal_rate_multiple: or the contractual rate as "N x the legal rate".
        formal_notice_on: formal-notice date (consumer regime).
        rates: rate tables; by default the packaged ones.
        day_count: as for `compute_penalties`.
        rounding: as for `compute_penalties`.

    Returns:
        The itemised `PenaltyBreakdown` (its ``invoice_id`` is ``"amount"``).

    Raises:
        pydantic.ValidationError: naming the argument: ``float_amount``, ``float_rate``,
            ``non_positive_amount``, ``naive_datetime``, ``until_before_due_date``,
            ``payments_exceed_amount``, ``rate_not_a_percentage``, ``enum`` (unknown regime),
            ``rate_not_used_by_regime``.
        RateNotAvailableError: if a rate needed is beyond the tables.

    Examples:
        >>> from datetime import date
        >>> b = penalties_for_amount("5000", date(2025, 1, 10), date(2025, 2, 9), rate="10%")
        >>> b.interest, b.lines[0].rate_source
        (Decimal('41.10'), 'contractual rate 10.00 %')
        >>> penalties_for_amount(100.0, date(2025, 1, 10), date(2025, 2, 9))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for penalties_for_amount
        amount
          amounts must be Decimal, int or str, not float ('100.0')...
    """
    inputs = _PlainInputs.model_validate(
        {
            "amount": amount,
            "due_on": due_on,
            "until": until,
            "payments": tuple(payments),
            "regime": regime,
            "rate": rate,
            "legal_rate_multiple": legal_rate_multiple,
            "formal_notice_on": formal_notice_on,
        }
    )
    if inputs.until < inputs.due_on:
        raise _until_before_due("penalties_for_amount", inputs.until, inputs.due_on)
    settled = Decimal(0)
    for n, (_, paid) in sorted(enumerate(inputs.payments), key=lambda pair: pair[1][0]):
        settled += paid
        if settled > inputs.amount:
            raise _invalid(
                "penalties_for_amount",
                ("payments", n, 1),
                PydanticCustomError(
                    "payments_exceed_amount",
                    "payments add up to {settled}, more than the amount {amount}",
                    {"settled": str(settled), "amount": str(inputs.amount)},
                ),
                paid,
            )
    contractual = inputs.rate is not None or inputs.legal_rate_multiple is not None
    chosen = inputs.regime or (
        PenaltyRegime.B2B_CONTRACTUAL if contractual else PenaltyRegime.B2B_DEFAULT
    )
    terms = LatePaymentTerms(
        regime=chosen, contractual_rate=inputs.rate, legal_rate_multiple=inputs.legal_rate_multiple
    )
    return _compute(
        invoice_id="amount",
        currency="EUR",
        schedule=((inputs.due_on, inputs.amount),),
        numbered=False,
        money=list(inputs.payments),
        end=inputs.until,
        terms=terms,
        formal_notice_on=inputs.formal_notice_on,
        rates=rates or default_rates(),
        day_count=day_count,
        rounding=rounding,
        findings=[],
    )
