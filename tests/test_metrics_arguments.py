"""One convention for the KPIs' dates and instants, periods for diluted KPIs, clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from dunning.core.builtin import STANDARD
from dunning.core.metrics import (
    ageing,
    collection_cost,
    collection_effectiveness_index,
    collection_rate,
    litigation_rate,
    reminders_per_paid_invoice,
)
from dunning.core.model import ActionTaken
from tests.helpers import PARIS
from tests.test_metrics import inv, pay, sent


class _Timestamp(datetime):
    """Stands for pandas.Timestamp (a datetime with to_pydatetime), without needing pandas."""

    def to_pydatetime(self) -> datetime:
        return datetime(self.year, self.month, self.day, self.hour, tzinfo=self.tzinfo)


APRIL_BOOK = [
    inv(1, date(2026, 3, 1), "400", pay(date(2026, 4, 10), "100")),
]  # opening 400 on 31 March, 100 collected in April: 25.0 %


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 4, 1), date(2026, 4, 30)),
        ("2026-04-01", "30/04/2026"),
        (datetime(2026, 4, 1, 9, tzinfo=PARIS), datetime(2026, 4, 30, 23, 59, tzinfo=PARIS)),
        (_Timestamp(2026, 4, 1, tzinfo=UTC), _Timestamp(2026, 4, 30)),
        ("2026-04-01T08:00+02:00", datetime(2026, 4, 30)),  # naive midnight: the day
    ],
)
def test_periods_take_dates_datetimes_timestamps_and_text(start: object, end: object) -> None:
    """Every form of 1 April and 30 April gives the same April: 100 / 400 = 25.0 %."""
    assert collection_rate(APRIL_BOOK, start=start, end=end) == Decimal("25.0")  # type: ignore[arg-type]
    # CEI: B 400 + S 0 - E 300 = 100 over B + S - C = 400 (nothing current): 25.0 %.
    cei = collection_effectiveness_index(APRIL_BOOK, start=start, end=end)  # type: ignore[arg-type]
    assert cei == Decimal("25.0")


def test_bad_period_arguments_are_named() -> None:
    """Unreadable text, a naive time of day and a wrong type each name the argument."""
    with pytest.raises(ValueError, match=r"^start: 'April' is not a date"):
        collection_rate(APRIL_BOOK, start="April", end="2026-04-30")
    with pytest.raises(ValueError, match=r"^end: 2026-04-30T18:00:00 has a time of day but no"):
        collection_rate(APRIL_BOOK, start="2026-04-01", end=datetime(2026, 4, 30, 18))
    with pytest.raises(TypeError, match=r"^start: expected a date .* got float"):
        collection_rate(APRIL_BOOK, start=20260401.0, end="2026-04-30")  # type: ignore[arg-type]


def test_at_may_be_a_day_read_at_its_end_in_the_customer_time_zone() -> None:
    """An action at 23:30 Paris on 30 April counts by the end of 30 April, not by 21:00 UTC."""
    late = sent(date(2026, 4, 30), "informative", "a1")
    late = late.model_copy(update={"at": datetime(2026, 4, 30, 23, 30, tzinfo=PARIS)})
    book = [inv(1, date(2026, 4, 1), "10", late, pay(date(2026, 4, 30), "10"))]
    assert reminders_per_paid_invoice(book, at=date(2026, 4, 30)) == Decimal("1.00")
    assert reminders_per_paid_invoice(book, at="30/04/2026") == Decimal("1.00")
    # 21:00 UTC is 23:00 in Paris: paid that day, the action half an hour later not yet sent.
    at = "2026-04-30T21:00Z"
    assert reminders_per_paid_invoice(book, at=at) == Decimal("0.00")
    assert reminders_per_paid_invoice(book, at=_Timestamp(2026, 4, 30, 21, tzinfo=UTC)) == 0
    assert ageing([inv(2, date(2026, 4, 1), "10")], at="2026-04-30").amounts["1-30"] == 10
    with pytest.raises(ValueError, match="at: an instant must be timezone-aware"):
        reminders_per_paid_invoice(book, at=datetime(2026, 4, 30, 21))


def test_reminders_per_paid_invoice_over_a_period() -> None:
    """Q1: two invoices paid without a reminder (0.00); Q2: one paid after 3 (3.00); all: 1.00."""
    book = [
        inv(1, date(2026, 1, 10), "10", pay(date(2026, 1, 15), "10")),
        inv(2, date(2026, 1, 10), "10", pay(date(2026, 3, 31), "10")),
        inv(3, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            sent(date(2026, 3, 9), "reminder", "a2"), sent(date(2026, 4, 2), "firm", "a3"),
            pay(date(2026, 4, 1), "10")),
    ]  # fmt: skip
    at = date(2026, 6, 30)
    assert reminders_per_paid_invoice(book, at=at) == Decimal("1.00")  # 3 / 3
    q1 = reminders_per_paid_invoice(book, at=at, start="2026-01-01", end="2026-03-31")
    assert q1 == Decimal("0.00")  # 0 / 2
    q2 = reminders_per_paid_invoice(book, at=at, start="01/04/2026")
    assert q2 == Decimal("3.00")  # 3 / 1 (the firm reminder after the payment counts too)
    assert reminders_per_paid_invoice(book, at=at, end="2026-01-14") is None
    with pytest.raises(ValueError, match="end: 2026-01-01 is before start 2026-03-31"):
        reminders_per_paid_invoice(book, at=at, start="2026-03-31", end="2026-01-01")


def test_litigation_rate_over_a_period_of_due_dates() -> None:
    """Due in Q1: 1 notice of 3 overdue (33.3 %); due in April: 1 of 2 (50.0); all: 2 of 5."""

    def notice(day: date, action: str) -> ActionTaken:
        return sent(day, "formal_notice", action, "registered_letter")

    book = [
        inv(1, date(2026, 2, 1), "10", notice(date(2026, 3, 5), "a")),
        inv(2, date(2026, 2, 1), "10"),
        inv(3, date(2026, 3, 31), "10"),
        inv(4, date(2026, 4, 1), "10", notice(date(2026, 4, 20), "b")),
        inv(5, date(2026, 4, 2), "10"),
    ]
    at = "2026-04-30T12:00+02:00"
    assert litigation_rate(book, STANDARD, at=at) == Decimal("40.0")
    q1 = litigation_rate(book, STANDARD, at=at, start="2026-01-01", end="2026-03-31")
    assert q1 == Decimal("33.3")
    assert litigation_rate(book, STANDARD, at=at, start=date(2026, 4, 1)) == Decimal("50.0")


def test_float_unit_costs_name_the_argument_not_pydantic_internals() -> None:
    """The error is float_amount, titled unit_costs, with the channel as its location."""
    with pytest.raises(ValidationError) as error:
        collection_cost([], {"sms": 0.08}, at=date(2026, 4, 30))  # type: ignore[dict-item]
    assert error.value.title == "unit_costs"
    [detail] = error.value.errors(include_url=False)
    assert (detail["type"], detail["loc"]) == ("float_amount", ("sms",))
    assert str(error.value).startswith("1 validation error for unit_costs\nsms\n")
