"""Properties of the penalty computation, over dates the packaged tables cover for sure.

Dates stay within 2015-01-01..2026-06-30: both tables cover them and no value used there is
provisional (the first provisional values are the ECB rate in force on 2026-07-01 and the
2026 H2 legal rate), so no warning can be raised.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dunning.core.penalties import PenaltyRegime, Rounding, penalties_for_amount

FIRST = date(2015, 1, 1)
LAST = date(2026, 6, 30)
CENT = Decimal("0.01")

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1_000_000), places=2)
regimes = st.sampled_from(
    [PenaltyRegime.B2B_DEFAULT, PenaltyRegime.PUBLIC_BUYER, PenaltyRegime.CONSUMER]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Decimal, date, date, date, list[tuple[date, Decimal]]]:
    """An amount, a due date, two end dates D1 <= D2 after it, and payments that fit."""
    amount = draw(amounts)
    due = draw(st.dates(min_value=FIRST, max_value=LAST))
    d1 = draw(st.dates(min_value=due, max_value=LAST))
    d2 = draw(st.dates(min_value=d1, max_value=LAST))
    payments: list[tuple[date, Decimal]] = []
    left = amount
    for _ in range(draw(st.integers(0, 4))):
        if left < CENT:
            break
        paid = draw(st.decimals(min_value=CENT, max_value=left, places=2))
        payments.append((draw(st.dates(min_value=FIRST, max_value=LAST)), paid))
        left -= paid
    return amount, due, d1, d2, payments


@given(cases(), regimes)
def test_interest_is_never_negative(
    case: tuple[Decimal, date, date, date, list[tuple[date, Decimal]]], regime: PenaltyRegime
) -> None:
    """Interest, indemnity and total are never negative, whatever the regime and payments."""
    amount, due, _, until, payments = case
    b = penalties_for_amount(
        amount, due, until, payments=payments, regime=regime, formal_notice_on=due
    )
    assert b.interest >= 0
    assert b.recovery_indemnity >= 0
    assert b.total >= b.interest
    assert all(line.interest >= 0 and line.days >= 1 for line in b.lines)


@given(cases(), regimes)
def test_interest_never_decreases_with_the_end_date(
    case: tuple[Decimal, date, date, date, list[tuple[date, Decimal]]], regime: PenaltyRegime
) -> None:
    """Counting to a later day never gives less interest.

    Exact, even with per-line rounding: a longer last line rounds to at least as much, and
    extra lines are non-negative.
    """
    amount, due, d1, d2, payments = case
    early = penalties_for_amount(amount, due, d1, payments=payments, regime=regime)
    late = penalties_for_amount(amount, due, d2, payments=payments, regime=regime)
    assert early.interest <= late.interest


@given(cases())
def test_interest_is_additive_over_time(
    case: tuple[Decimal, date, date, date, list[tuple[date, Decimal]]],
) -> None:
    """Interest to D1 plus interest from D1 to D2 equals interest to D2, within one cent.

    The B2B default rate depends only on the day, so "from D1 to D2" is the balance left at
    D1, due on D1, counted to D2. The two computations differ only in the period that spans
    D1, cut into two lines each rounded half-up: each rounding moves a line by at most half a
    cent, so the sums differ by less than 1.5 cents, i.e. by at most one cent.
    """
    amount, due, d1, d2, payments = case
    whole = penalties_for_amount(amount, due, d2, payments=payments)
    first = penalties_for_amount(amount, due, d1, payments=payments)
    balance = amount - sum((paid for day, paid in payments if day <= d1), Decimal(0))
    later = [(day, paid) for day, paid in payments if day > d1]
    second = (
        penalties_for_amount(balance, d1, d2, payments=later).interest
        if balance > 0
        else Decimal(0)
    )
    assert abs(whole.interest - (first.interest + second)) <= CENT


@given(cases(), regimes, st.dates(min_value=FIRST, max_value=LAST), amounts)
def test_a_payment_never_increases_interest(
    case: tuple[Decimal, date, date, date, list[tuple[date, Decimal]]],
    regime: PenaltyRegime,
    paid_on: date,
    paid: Decimal,
) -> None:
    """One more payment never raises interest.

    Exactly when rounding once on the total (the exact interest can only fall). With per-line
    rounding the payment cuts one line in two, each rounded half-up, so the rounded sum may
    exceed the unsplit line by at most one cent, never more.
    """
    amount, due, _, until, payments = case
    left = amount - sum((p for _, p in payments), Decimal(0))
    if left < CENT:
        return
    more = [*payments, (paid_on, min(paid, left))]
    for rounding, tolerance in ((Rounding.ON_TOTAL, Decimal(0)), (Rounding.PER_LINE, CENT)):
        without = penalties_for_amount(
            amount, due, until, payments=payments, regime=regime, formal_notice_on=due,
            rounding=rounding,
        )  # fmt: skip
        with_it = penalties_for_amount(
            amount, due, until, payments=more, regime=regime, formal_notice_on=due,
            rounding=rounding,
        )  # fmt: skip
        assert with_it.interest <= without.interest + tolerance


@given(amounts, st.dates(min_value=FIRST, max_value=LAST - timedelta(days=1)))
def test_lines_tile_the_delay_without_gaps(amount: Decimal, due: date) -> None:
    """Without payments the lines cover every day from due + 1 to the end, once."""
    b = penalties_for_amount(amount, due, LAST)
    assert b.lines[0].first_day == due + timedelta(days=1)
    assert b.lines[-1].last_day == LAST
    for before, after in zip(b.lines, b.lines[1:], strict=False):
        assert after.first_day == before.last_day + timedelta(days=1)
    assert sum(line.days for line in b.lines) == (LAST - due).days
