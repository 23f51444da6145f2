"""The penalty computation as it stood before the speed work of issue 12, kept as a test oracle.

A verbatim copy of ``compute_penalties``, ``penalties_for_amount`` and the ``RatePlan`` they
use, taken from ``dunning.core.penalties.compute`` and ``regimes`` at that commit, except that
the result classes (`PenaltyBreakdown`, `PenaltyLine`, `PenaltyFinding`) and the input types
are the library's, so breakdowns compare equal. Do not edit:
`test_penalties_reference_properties` checks the fast computation against it.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from itertools import accumulate
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning.core._types import PositiveAmount
from dunning.core.model import CreditNote, Event, Invoice, Payment, check_history
from dunning.core.penalties.compute import (
    CivilDate,
    DayCount,
    PenaltyBreakdown,
    PenaltyLine,
    Rounding,
)
from dunning.core.penalties.rates import (
    HalfYear,
    LegalRateColumn,
    PenaltyRates,
    RateTable,
    default_rates,
)
from dunning.core.penalties.regimes import (
    B2B_DEFAULT_MARGIN,
    COMPOUNDING_PERIOD,
    CONTRACTUAL_FLOOR_MULTIPLE,
    JUDGMENT_MARGIN,
    PUBLIC_BUYER_MARGIN,
    BelowLegalFloor,
    LatePaymentTerms,
    LegalRateMultiple,
    PenaltyFinding,
    PenaltyRegime,
    Percent,
)
from dunning.exceptions import InvoiceHistoryError

__all__ = ["compute_penalties", "penalties_for_amount"]

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_ONE_DAY = timedelta(days=1)
_EXACT = Context(prec=60)
_TIMES = "\N{MULTIPLICATION SIGN}"


class RateQuote(NamedTuple):
    """An annual rate for a period and the words that justify it."""

    rate: Decimal
    source: str
    provisional: bool
    half_year: HalfYear | None


def format_percent(value: Decimal) -> str:
    """Write a percentage with at least two decimals: ``4.25``, ``10.00``, ``12.125``.

    Examples:
        >>> format_percent(Decimal("10")), format_percent(Decimal("12.125"))
        ('10.00', '12.125')
    """
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"{value:.2f}"
    return str(value.normalize())


@dataclass(slots=True)
class RatePlan:
    """Answers "which annual rate on this day?" for one computation, caching look-ups.

    Build one per computation (it memoises table look-ups, so each provisional value warns
    once). It is not shared between calls: there is no module-level state.
    """

    terms: LatePaymentTerms
    rates: PenaltyRates
    _cache: dict[tuple[str, date], tuple[Decimal, bool]] = field(default_factory=dict)

    def _lookup(self, table: RateTable, day: date, *, warn: bool = True) -> tuple[Decimal, bool]:
        key = (table.name, day)
        if key not in self._cache:
            entry = table.rate_on(day, warn_if_provisional=warn)
            self._cache[key] = (entry.rate, entry.provisional)
        return self._cache[key]

    def quote(self, day: date, *, delay_started_on: date) -> RateQuote:
        """The annual rate in force on *day* for a delay whose first day is *delay_started_on*.

        Raises:
            RateNotAvailableError: if a table does not cover the half-year needed.
        """
        terms = self.terms
        rate, source, provisional, half = self._base_quote(HalfYear.of(day), delay_started_on)
        increase_from = terms.judgment_increase_from
        if increase_from is not None and day >= increase_from:
            rate += JUDGMENT_MARGIN
            source += f" + 5 (judgment served {terms.judgment_served_on}, L313-3)"
        return RateQuote(rate, source, provisional, half)

    def _base_quote(
        self, half: HalfYear, delay_started_on: date
    ) -> tuple[Decimal, str, bool, HalfYear | None]:
        terms = self.terms
        if terms.regime is PenaltyRegime.B2B_DEFAULT:
            # L441-10 II: the ECB rate in force on 1 January / 1 July, whatever changes later.
            ecb, provisional = self._lookup(self.rates.ecb, half.start)
            text = f"ECB {format_percent(ecb)} % in force on {half.start} + 10"
            return ecb + B2B_DEFAULT_MARGIN, text, provisional, half
        if terms.regime is PenaltyRegime.PUBLIC_BUYER:
            # R2192-31: the half-year in which interest started to run fixes the rate for good.
            first = HalfYear.of(delay_started_on)
            ecb, provisional = self._lookup(self.rates.ecb, first.start)
            text = f"ECB {format_percent(ecb)} % in force on {first.start} + 8"
            return ecb + PUBLIC_BUYER_MARGIN, text, provisional, first
        if terms.contractual_rate is not None:
            kind = "stipulated" if terms.regime is PenaltyRegime.CONSUMER else "contractual"
            text = f"{kind} rate {format_percent(terms.contractual_rate)} %"
            return self._floored(
                terms.contractual_rate, text, provisional=False, quoted=None, half=half
            )
        legal, provisional = self._lookup(self.rates.legal(terms.legal_rate_column), half.start)
        column = _column_label(terms.legal_rate_column)
        text = f"legal rate {half} ({column}) {format_percent(legal)} %"
        if terms.legal_rate_multiple is None:
            return legal, text, provisional, half
        multiple = terms.legal_rate_multiple
        text = f"{_format_multiple(multiple)} {_TIMES} {text}"
        return self._floored(
            multiple * legal, text, provisional=provisional, quoted=half, half=half
        )

    def _floored(
        self,
        rate: Decimal,
        text: str,
        *,
        provisional: bool,
        quoted: HalfYear | None,
        half: HalfYear,
    ) -> tuple[Decimal, str, bool, HalfYear | None]:
        """The contractual rate, or the legal floor where it is below and the terms say so."""
        terms = self.terms
        if (
            terms.regime is not PenaltyRegime.B2B_CONTRACTUAL
            or terms.below_legal_floor is not BelowLegalFloor.APPLY_FLOOR
        ):
            return rate, text, provisional, quoted
        legal, floor_provisional = self._lookup(self.rates.legal_other, half.start)
        floor = CONTRACTUAL_FLOOR_MULTIPLE * legal
        if rate >= floor:
            return rate, text, provisional, quoted
        floor_text = (
            f"legal floor 3 {_TIMES} legal rate {half} (autres cas) {format_percent(legal)} %"
            f", above the {text} (L441-10 II)"
        )
        return floor, floor_text, provisional or floor_provisional, half

    def floor_findings(self, first_day: date, last_day: date) -> list[PenaltyFinding]:
        """Report each half-year of the delay where the contractual rate is below the floor.

        The floor is 3 x the legal rate "autres cas" (L441-10 II); a half-year whose legal rate
        the table lacks gets a ``legal_floor_unknown`` finding instead.
        """
        terms = self.terms
        findings: list[PenaltyFinding] = []
        if terms.regime is not PenaltyRegime.B2B_CONTRACTUAL:
            return findings
        half = HalfYear.of(first_day)
        while half.start <= last_day:
            findings.extend(self._floor_finding(half))
            half = half.next()
        return findings

    def _floor_finding(self, half: HalfYear) -> list[PenaltyFinding]:
        terms = self.terms
        try:
            # Only checked, not used in the amount: read without a warning, but say so below.
            legal = self.rates.legal_other.rate_on(half.start, warn_if_provisional=False)
        except LookupError:
            return [
                PenaltyFinding(
                    code="legal_floor_unknown",
                    message=f"the legal rate for {half} is not in the table: the floor of "
                    "3 x the legal rate (L441-10 II) could not be checked",
                    half_year=str(half),
                )
            ]
        floor = CONTRACTUAL_FLOOR_MULTIPLE * legal.rate
        if terms.contractual_rate is not None:
            rate = terms.contractual_rate
        else:
            rate = self._base_quote(half, half.start)[0]
        if rate >= floor:
            return []
        note = " (provisional legal rate)" if legal.provisional else ""
        return [
            PenaltyFinding(
                code="rate_below_legal_floor",
                message=f"contractual rate {format_percent(rate)} % is below the legal floor of "
                f"3 x {format_percent(legal.rate)} % = {format_percent(floor)} % for {half}"
                f"{note} (Code de commerce L441-10 II)",
                half_year=str(half),
            )
        ]


def _column_label(column: LegalRateColumn) -> str:
    return "particuliers" if column is LegalRateColumn.PRIVATE else "autres cas"


def _format_multiple(value: Decimal) -> str:
    # 3 rather than 3.0 or 3E+0: integral multiples are the usual case ("3 fois le taux légal").
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


@dataclass(frozen=True, slots=True)
class _Tranche:
    number: int | None
    due_on: date
    amount: Decimal
    settled_before: Decimal
    """Amount of the earlier tranches: money goes to them first."""


@dataclass(slots=True)
class _Period:
    installment: int | None
    first_day: date
    last_day: date
    principal: Decimal
    quote: RateQuote
    exact: Decimal


def _invalid(
    title: str, field: str | tuple[str | int, ...], error: PydanticCustomError, value: object
) -> ValidationError:
    loc = (field,) if isinstance(field, str) else field
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=error, loc=loc, input=value)]
    )


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
        events: its history; payments and credit notes reduce the principal, others are ignored.
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
            to more than the invoice total; ``event_before_issue``, ``currency_mismatch``.
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
    dates = _Dates(until=until, formal_notice_on=formal_notice_on)
    end = dates.until
    if end < invoice.first_due_on:
        raise _until_before_due("compute_penalties", end, invoice.first_due_on)
    contractual_ignored = False
    if terms is None:
        terms = LatePaymentTerms.for_invoice(invoice)
        contractual_ignored = (
            invoice.contractual_rate is not None and terms.regime is PenaltyRegime.PUBLIC_BUYER
        )
    check_history(invoice, events)
    money: list[tuple[date, Decimal]] = []
    settled = Decimal(0)
    ordered = sorted(
        ((n, e) for n, e in enumerate(events) if isinstance(e, Payment | CreditNote)),
        key=lambda pair: pair[1].on,
    )
    for n, event in ordered:
        settled += event.amount
        if settled > invoice.total:
            msg = f"payments and credit notes add up to {settled}, more than {invoice.total}"
            raise InvoiceHistoryError(
                msg,
                invoice_id=invoice.id,
                location=f"events[{n}].amount",
                code="payments_exceed_amount",
            )
        corrects = isinstance(event, CreditNote) and event.corrects_invoice
        # A correcting credit note: the corrected part was never owed, so it counts from the
        # first due date (no interest ever ran on it); otherwise, like a payment, on its date.
        money.append((min(event.on, invoice.first_due_on) if corrects else event.on, event.amount))
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
        formal_notice_on=dates.formal_notice_on,
        rates=rates or default_rates(),
        day_count=day_count,
        rounding=rounding,
        findings=findings,
    )


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
    money.sort(key=lambda pair: pair[0])
    pay_days = [day for day, _ in money]
    cumulative = [Decimal(0), *accumulate(amount for _, amount in money)]
    plan = RatePlan(terms=terms, rates=rates)
    periods: list[_Period] = []
    before = Decimal(0)
    no_interest = False
    with localcontext(_EXACT):
        for n, (due_on, amount) in enumerate(schedule):
            tranche = _Tranche(n + 1 if numbered else None, due_on, amount, before)
            before += amount
            start = terms.interest_starts_after(due_on, formal_notice_on)
            if start is None:
                no_interest = True
                continue
            periods.extend(
                _tranche_periods(
                    tranche,
                    start=start,
                    end=end,
                    pay_days=pay_days,
                    cumulative=cumulative,
                    plan=plan,
                    day_count=day_count,
                )
            )
        interests = _round_lines([p.exact for p in periods], rounding)
    lines = tuple(
        PenaltyLine(
            installment=p.installment,
            first_day=p.first_day,
            last_day=p.last_day,
            days=(p.last_day - p.first_day).days + 1,
            principal=p.principal,
            annual_rate=p.quote.rate,
            rate_source=p.quote.source,
            provisional=p.quote.provisional,
            interest=interest,
        )
        for p, interest in zip(periods, interests, strict=True)
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
        findings.extend(plan.floor_findings(periods[0].first_day, max(p.last_day for p in periods)))
    seen: set[str] = set()
    for p in periods:
        half = p.quote.half_year
        if p.quote.provisional and half is not None and str(half) not in seen:
            seen.add(str(half))
            findings.append(
                PenaltyFinding(
                    code="provisional_rate",
                    message=f"the rate for {half} uses a provisional value ({p.quote.source})",
                    half_year=str(half),
                )
            )
    interest = sum(interests, _ZERO)
    # D441-5 / D2192-35: owed once as soon as any part is late, even if later paid in part.
    indemnity = terms.indemnity_amount if periods else _ZERO
    total_due = sum((amount for _, amount in schedule), Decimal(0))
    paid = next(
        (day for day, c in zip(pay_days, cumulative[1:], strict=True) if c >= total_due), None
    )
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


def _tranche_periods(
    tranche: _Tranche,
    *,
    start: date,
    end: date,
    pay_days: list[date],
    cumulative: list[Decimal],
    plan: RatePlan,
    day_count: DayCount,
) -> list[_Period]:
    """Cut the delay of one tranche into periods of constant principal and rate."""
    first = start + _ONE_DAY
    if first > end:
        return []
    starts, anniversaries = _period_starts(start, end, pay_days, plan.terms, day_count)
    leap_aware = day_count is DayCount.ACTUAL_366_IN_LEAP_YEARS
    periods: list[_Period] = []
    capitalised = Decimal(0)
    year_interest = Decimal(0)
    for i, first_day in enumerate(starts):
        last_day = starts[i + 1] - _ONE_DAY if i + 1 < len(starts) else end
        if first_day in anniversaries:
            # Code civil 1343-2: a whole year's interest, in cents, now bears interest itself.
            capitalised += year_interest.quantize(_CENT, ROUND_HALF_UP)
            year_interest = Decimal(0)
        settled = cumulative[bisect_left(pay_days, first_day)]
        owed = tranche.amount + tranche.settled_before - settled
        remaining = min(tranche.amount, max(Decimal(0), owed))
        if remaining == 0:
            continue  # paid: interest on this tranche has stopped
        principal = remaining + capitalised
        quote = plan.quote(first_day, delay_started_on=first)
        days = (last_day - first_day).days + 1
        year = 366 if leap_aware and calendar.isleap(first_day.year) else 365
        exact = principal * quote.rate * days / (100 * year)
        year_interest += exact
        previous = periods[-1] if periods else None
        if (
            previous is not None
            and previous.last_day + _ONE_DAY == first_day
            and previous.principal == principal
            and previous.quote == quote
            and not (leap_aware and first_day.year != previous.first_day.year)
        ):
            # A cut that changed nothing for this tranche (money applied to another one).
            previous.last_day = last_day
            previous.exact += exact
            continue
        periods.append(_Period(tranche.number, first_day, last_day, principal, quote, exact))
    return periods


def _period_starts(
    start: date,
    end: date,
    pay_days: list[date],
    terms: LatePaymentTerms,
    day_count: DayCount,
) -> tuple[list[date], set[date]]:
    """Return the first day of each period from *start* + 1 to *end*, and the anniversaries.

    The anniversaries are the first days at which a year of interest is capitalised.
    """
    first = start + _ONE_DAY
    cuts = {first}
    # A payment on day P still bears interest on day P: the principal changes from P + 1.
    cuts.update(day + _ONE_DAY for day in pay_days if first <= day < end)
    leap_aware = day_count is DayCount.ACTUAL_366_IN_LEAP_YEARS
    if terms.splits_at_half_years or leap_aware:
        half = HalfYear.of(first).next()
        while half.start <= end:
            if terms.splits_at_half_years or half.half == 1:
                cuts.add(half.start)
            half = half.next()
    increase_from = terms.judgment_increase_from
    if increase_from is not None and first < increase_from <= end:
        cuts.add(increase_from)
    anniversaries: set[date] = set()
    if terms.compounding:
        years = 1
        while (day := start + COMPOUNDING_PERIOD * years + _ONE_DAY) <= end:
            anniversaries.add(day)
            years += 1
        cuts |= anniversaries
    return sorted(cuts), anniversaries


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
