"""A stated payment deadline falls on a business day, and the next step waits for it (CPC 642)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning import Channel, Customer, DecisionStatus, Invoice, Scenario, decide
from dunning.model import ActionTaken
from dunning.scenarios import calendar_for, scenario_from_mapping
from tests.helpers import PARIS, examples


def _scenario(deadline_days: int, *, business_days_only: bool = True) -> Scenario:
    return scenario_from_mapping(
        {
            "id": "d",
            "minimum_gap_days": 1,
            "business_days_only": business_days_only,
            "steps": [
                {"id": "a", "kind": "reminder", "level": 1, "offset_days": 1, "channel": "email",
                 "deadline_days": deadline_days},
                {"id": "b", "kind": "firm", "level": 2, "offset_days": 2, "channel": "email"},
            ],
        }
    )  # fmt: skip


def _invoice(due_on: date, subdivision: str | None = None) -> Invoice:
    customer = Customer(id="C", name="ACME SARL", subdivision=subdivision)
    return Invoice(
        id="F-1",
        number="1",
        customer=customer,
        issued_on=due_on - timedelta(days=30),
        due_on=due_on,
        total=Decimal(100),
    )


# (day the message is decided, deadline_days, stated deadline, first day of the next step):
# dates worked out by hand on the 2026 French calendar (docs/timing.md has the same table).
CASES = [
    (date(2026, 6, 1), 5, date(2026, 6, 8), date(2026, 6, 9)),  # Sat 6 June -> Mon 8
    (date(2026, 4, 28), 3, date(2026, 5, 4), date(2026, 5, 5)),  # Fri 1 May, Fête du Travail
    (date(2026, 4, 29), 10, date(2026, 5, 11), date(2026, 5, 12)),  # Sat 9 May
    (date(2026, 5, 11), 5, date(2026, 5, 18), date(2026, 5, 19)),  # Sat 16 May
    (date(2026, 5, 7), 7, date(2026, 5, 15), date(2026, 5, 18)),  # Thu 14 May, Ascension
    (date(2026, 3, 17), 8, date(2026, 3, 25), date(2026, 3, 26)),  # a Wednesday: unchanged
]


@pytest.mark.parametrize(("sent_on", "days", "stated", "next_from"), CASES)
def test_stated_deadline_rolls_to_a_business_day_and_the_next_step_waits(
    sent_on: date, days: int, stated: date, next_from: date
) -> None:
    """The action states the rolled date; the next step is due only the day after it."""
    invoice = _invoice(sent_on - timedelta(days=1))
    scenario = _scenario(days)
    at = datetime.combine(sent_on, datetime.min.time(), PARIS).replace(hour=10)
    d = decide(invoice, [], scenario, at=at)
    assert d.action is not None
    assert d.action.deadline_on == stated
    taken = ActionTaken(at=at, action_id=d.action.id, channel=Channel.EMAIL, step_id="a")
    eve = datetime.combine(next_from - timedelta(days=1), datetime.min.time(), PARIS)
    assert decide(invoice, [taken], scenario, at=eve.replace(hour=23)).action is None
    d = decide(invoice, [taken], scenario, at=datetime.combine(next_from, datetime.min.time(),
                                                               PARIS).replace(hour=10))  # fmt: skip
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.action is not None
    assert d.action.step_id == "b"


def test_deadline_rolls_even_without_business_days_only() -> None:
    """The roll is about what the message promises, not when it is sent: it always applies."""
    invoice = _invoice(date(2026, 5, 31))
    d = decide(invoice, [], _scenario(5, business_days_only=False),
               at=datetime(2026, 6, 1, 10, tzinfo=PARIS))  # fmt: skip
    assert d.action is not None
    assert d.action.deadline_on == date(2026, 6, 8)


def test_deadline_follows_the_customers_subdivision() -> None:
    """Good Friday (3 April 2026) is a holiday in Moselle only: the same deadline differs."""
    at = datetime(2026, 3, 27, 10, tzinfo=PARIS)  # Fri 27 March + 7 = Fri 3 April
    stated = {}
    for subdivision in (None, "57"):
        d = decide(_invoice(date(2026, 3, 26), subdivision), [], _scenario(7), at=at)
        assert d.action is not None
        stated[subdivision] = d.action.deadline_on
    # Moselle: Good Friday, the weekend, Easter Monday 6 April: Tuesday 7 April.
    assert stated == {None: date(2026, 4, 3), "57": date(2026, 4, 7)}


@settings(max_examples=examples(60), deadline=None)
@given(
    sent_on=st.dates(min_value=date(2026, 1, 5), max_value=date(2027, 12, 20)),
    days=st.integers(min_value=1, max_value=30),
    subdivision=st.sampled_from([None, "57", "974"]),
)
def test_every_stated_deadline_is_a_business_day(
    sent_on: date, days: int, subdivision: str | None
) -> None:
    """Property: any stated deadline is the first business day on or after day + delay."""
    invoice = _invoice(sent_on - timedelta(days=1), subdivision=subdivision)
    at = datetime.combine(sent_on, datetime.min.time(), PARIS).replace(hour=12)
    d = decide(invoice, [], _scenario(days, business_days_only=False), at=at)
    assert d.action is not None
    stated = d.action.deadline_on
    assert stated is not None
    calendar = calendar_for("FR", subdivision)
    assert calendar.is_business_day(stated)
    plain = sent_on + timedelta(days=days)
    assert plain <= stated <= plain + timedelta(days=5)
    # Every day skipped was not a business day.
    skipped = (plain + timedelta(days=n) for n in range((stated - plain).days))
    assert not any(calendar.is_business_day(day) for day in skipped)
