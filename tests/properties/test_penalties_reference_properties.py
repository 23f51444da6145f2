"""The fast penalty computation gives exactly what it gave before the speed work of issue 12.

`reference_penalties` is a verbatim copy of `compute_penalties`, `penalties_for_amount` and the
`RatePlan` as they stood before (a validated model per line, the rate text formatted per line,
the floor findings checked half-year by half-year). Both compute random invoices (one due date
or installments, business, consumer or public debtors, contractual rates written in several
ways, payments and credit notes, other events, histories that contradict the invoice) under
random terms (floor reported or applied, N x the legal rate, judgment, compounding, formal
notice, both day counts and roundings), and the breakdowns, the warnings and the errors must
be identical, to the cent and to the letter.

The current computation is the specification now: these comparisons are ``oracle`` tests, out
of the default run (``nox -s oracle`` runs them).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples
from tests.properties import reference_penalties

from dunning.core.model import (
    ActionTaken,
    Channel,
    CreditNote,
    Customer,
    CustomerKind,
    DisputeOpened,
    Event,
    Installment,
    Invoice,
    Payment,
)
from dunning.core.penalties import (
    BelowLegalFloor,
    DayCount,
    LatePaymentTerms,
    PenaltyRegime,
    Rounding,
    compute_penalties,
    default_rates,
    penalties_for_amount,
    regimes,
)
from dunning.exceptions import ProvisionalRateWarning

pytestmark = pytest.mark.oracle

FIRST = date(2015, 1, 1)
LAST = date(2026, 6, 30)
BEYOND = date(2027, 9, 30)  # past the packaged tables: both must fail the same way
CENT = Decimal("0.01")
RATES = ["12", "12.000", "1", "0.5", "9.125", "40"]
SETTINGS = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def terms(draw: st.DrawFn) -> LatePaymentTerms | None:
    """None (the invoice's default terms) or explicit terms with every option."""
    if draw(st.booleans()):
        return None
    regime = draw(st.sampled_from(list(PenaltyRegime)))
    options: dict[str, object] = {"regime": regime}
    if regime is PenaltyRegime.B2B_CONTRACTUAL:
        if draw(st.booleans()):
            options["contractual_rate"] = draw(st.sampled_from(RATES))
        else:
            options["legal_rate_multiple"] = draw(st.sampled_from(["1", "1.5", "3", "4"]))
        options["below_legal_floor"] = draw(st.sampled_from(list(BelowLegalFloor)))
    if regime is PenaltyRegime.CONSUMER:
        options["interest_from_due_date"] = draw(st.booleans())
        if draw(st.booleans()):
            options["contractual_rate"] = draw(st.sampled_from(RATES))
    if draw(st.booleans()):
        options["judgment_served_on"] = draw(st.dates(FIRST, LAST))
    options["compounding"] = draw(st.booleans())
    return LatePaymentTerms.model_validate(options)


@st.composite
def other_events(draw: st.DrawFn, issued: date, total: Decimal) -> Event:
    """A dispute or a reminder near the issue date, money before it, in dollars, or too much."""
    near = st.dates(issued - timedelta(days=2), issued + timedelta(days=40))
    kind = draw(st.sampled_from(["dispute", "sent", "early", "dollars", "all"]))
    if kind == "all":  # the whole total again (a payment recorded twice): overpaid
        return Payment(on=draw(st.dates(issued, issued + timedelta(days=40))), amount=total)
    if kind == "dispute":
        return DisputeOpened(on=draw(near), reason="quality")
    if kind == "sent":
        # Late in the UTC evening, around the issue date: the Paris day is the next one (23:30
        # UTC is 00:30 or 01:30), so a reminder sent on the issue day is not before it.
        day = draw(st.dates(issued - timedelta(days=1), issued + timedelta(days=1)))
        at = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC) - timedelta(days=1)
        return ActionTaken(at=at, action_id="a1", channel=Channel.EMAIL)
    if kind == "early":
        return Payment(on=issued - timedelta(days=1), amount=CENT)
    return Payment(on=draw(near), amount=CENT, currency="USD")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Invoice, list[Event], date, dict[str, object]]:
    """An invoice, its payments and credit notes, an end date and the options of a call."""
    issued = draw(st.dates(FIRST, LAST))
    total = draw(st.decimals(min_value=Decimal(1), max_value=Decimal(500_000), places=2))
    customer = Customer(
        id="C",
        name="C",
        kind=draw(st.sampled_from(list(CustomerKind))),
        country=draw(st.sampled_from(["FR", "FR", "BE"])),
    )
    rate = draw(st.sampled_from([None, None, *RATES]))
    parts = draw(st.integers(1, 3))
    dues = sorted({issued + timedelta(days=draw(st.integers(0, 400))) for _ in range(parts)})
    if len(dues) == 1:
        schedule: dict[str, object] = {"due_on": dues[0]}
    else:
        share = (total / len(dues)).quantize(CENT)
        amounts = [share] * (len(dues) - 1) + [total - share * (len(dues) - 1)]
        parts_of = zip(dues, amounts, strict=True)
        schedule = {"installments": [Installment(due_on=d, amount=a) for d, a in parts_of]}
    invoice = Invoice.model_validate(
        {
            "id": "F",
            "number": "1",
            "customer": customer,
            "issued_on": issued,
            "total": total,
            "contractual_rate": rate,
            **schedule,
        }
    )
    events: list[Event] = []
    left = total
    for _ in range(draw(st.integers(0, 4))):
        if left < CENT:
            break
        amount = draw(st.decimals(min_value=CENT, max_value=left, places=2))
        day = draw(st.dates(issued, BEYOND))
        if draw(st.booleans()):
            events.append(Payment(on=day, amount=amount))
        else:
            events.append(CreditNote(on=day, amount=amount, corrects_invoice=draw(st.booleans())))
        left -= amount
    for _ in range(draw(st.integers(0, 2))):
        # Events that carry no money, and histories that contradict the invoice: the history
        # is checked in the same pass as the money is read, and must fail as it did.
        events.insert(draw(st.integers(0, len(events))), draw(other_events(issued, total)))
    until = draw(
        st.dates(
            invoice.first_due_on, max(invoice.first_due_on, draw(st.sampled_from([LAST, BEYOND])))
        )
    )
    options: dict[str, object] = {
        "terms": draw(terms()),
        "day_count": draw(st.sampled_from(list(DayCount))),
        "rounding": draw(st.sampled_from(list(Rounding))),
    }
    if draw(st.booleans()):
        options["formal_notice_on"] = draw(st.dates(issued, BEYOND))
    return invoice, events, until, options


def outcome(run: Callable[[], object]) -> tuple[object, list[tuple[type[Warning], str]]]:
    """What *run* returns or raises (type and text), and the warnings it emits, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: object = run()
        except Exception as exc:  # noqa: BLE001 - both must fail alike, whatever the error
            result = (type(exc), str(exc))
    return result, [(w.category, str(w.message)) for w in caught]


@SETTINGS
@given(cases())
def test_compute_penalties_equals_the_reference(
    case: tuple[Invoice, list[Event], date, dict[str, object]],
) -> None:
    """Same breakdown (every line, finding and total), warnings and errors as before."""
    invoice, events, until, options = case
    fast = outcome(lambda: compute_penalties(invoice, events, until=until, **options))  # type: ignore[arg-type]
    slow = outcome(
        lambda: reference_penalties.compute_penalties(invoice, events, until=until, **options)  # type: ignore[arg-type]
    )
    assert fast == slow


@SETTINGS
@given(cases())
def test_a_second_computation_reuses_the_memo_and_still_warns(
    case: tuple[Invoice, list[Event], date, dict[str, object]],
) -> None:
    """Computed twice on the same tables (the second from the memo), still the reference."""
    invoice, events, until, options = case
    rates = default_rates().with_ecb_rate(date(2027, 1, 1), Decimal("2.10"), provisional=True)
    first = outcome(
        lambda: compute_penalties(invoice, events, until=until, rates=rates, **options)  # type: ignore[arg-type]
    )
    second = outcome(
        lambda: compute_penalties(invoice, events, until=until, rates=rates, **options)  # type: ignore[arg-type]
    )
    slow = outcome(
        lambda: reference_penalties.compute_penalties(
            invoice,
            events,
            until=until,
            rates=rates,
            **options,  # type: ignore[arg-type]
        )
    )
    assert first == second == slow


@SETTINGS
@given(
    st.decimals(min_value=Decimal(1), max_value=Decimal(100_000), places=2),
    st.dates(FIRST, LAST),
    st.integers(0, 4000),
    st.sampled_from([None, *RATES]),
    st.sampled_from(list(Rounding)),
)
def test_penalties_for_amount_equals_the_reference(
    amount: Decimal, due: date, days: int, rate: str | None, rounding: Rounding
) -> None:
    """The plain-value helper gives the same breakdown as before, to the cent."""
    until = due + timedelta(days=days)
    fast = outcome(lambda: penalties_for_amount(amount, due, until, rate=rate, rounding=rounding))
    slow = outcome(
        lambda: reference_penalties.penalties_for_amount(
            amount, due, until, rate=rate, rounding=rounding
        )
    )
    assert fast == slow


def test_a_rate_above_a_provisional_floor_warns_at_every_computation() -> None:
    """A 12 % rate checked against the provisional 2026 H2 floor warns each time, as before."""
    invoice = Invoice(
        id="F",
        number="1",
        customer=Customer(id="C", name="C"),
        issued_on=date(2026, 5, 1),
        due_on=date(2026, 6, 1),
        total=Decimal("1000.00"),
    )
    terms = LatePaymentTerms(
        regime=PenaltyRegime.B2B_CONTRACTUAL,
        contractual_rate=Decimal(12),
        below_legal_floor=BelowLegalFloor.APPLY_FLOOR,
    )
    until = date(2026, 12, 31)
    runs = [outcome(lambda: compute_penalties(invoice, [], until=until, terms=terms)) for _ in "ab"]
    slow = outcome(
        lambda: reference_penalties.compute_penalties(invoice, [], until=until, terms=terms)
    )
    assert runs[0] == runs[1] == slow
    assert [category for category, _ in slow[1]] == [ProvisionalRateWarning]


def test_aware_instants_are_read_as_paris_dates_as_before() -> None:
    """An aware `until` (23:30 UTC on 31 March is 1 April in Paris) gives the reference's result."""
    invoice = Invoice(
        id="F",
        number="1",
        customer=Customer(id="C", name="C"),
        issued_on=date(2025, 1, 1),
        due_on=date(2025, 2, 1),
        total=Decimal("1000.00"),
    )
    until = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    fast = compute_penalties(invoice, [], until=until)
    assert fast.until == date(2025, 4, 1)
    assert fast == reference_penalties.compute_penalties(invoice, [], until=until)


def test_the_shared_quotes_stay_bounded_and_change_nothing() -> None:
    """Quotes are shared through a bounded cache of books; built or reused, results agree."""
    assert regimes._quote_book.cache_info().maxsize == regimes._BOOKS
    regimes._quote_book.cache_clear()
    rates = default_rates().with_ecb_rate(date(2026, 12, 1), Decimal("2.00"))
    invoice = Invoice(
        id="F",
        number="1",
        customer=Customer(id="C", name="C"),
        issued_on=date(2016, 1, 1),
        due_on=date(2016, 1, 10),
        total=Decimal("12000.00"),
    )
    until = date(2026, 1, 10)
    fast = compute_penalties(invoice, [], until=until, rates=rates)
    # One book for these tables and terms (B2B default), read again by the second computation.
    assert regimes._quote_book.cache_info().currsize == 1
    again = compute_penalties(invoice, [], until=until, rates=rates)
    assert regimes._quote_book.cache_info().hits == 1
    assert (
        fast
        == again
        == reference_penalties.compute_penalties(invoice, [], until=until, rates=rates)
    )
