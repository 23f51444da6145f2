"""decide(): one test per timing rule, with every date and instant worked out by hand.

Calendar used throughout (2026, Paris, UTC+2 from 29 March): Mon 27 April, Tue 28, Wed 29,
Thu 30; Fri 1 May (Labour Day), Sat 2, Sun 3, Mon 4, Tue 5, Wed 6, Thu 7, Fri 8 May (VE Day),
Sat 9, Sun 10, Mon 11, Tue 12, Wed 13, Thu 14 (Ascension), Fri 15, Sat 16, Sun 17, Mon 18,
Tue 19, Wed 20, Thu 21, Fri 22, Sat 23, Sun 24, Mon 25 (Whit Monday), Tue 26, Wed 27, Thu 28,
Fri 29, Sat 30, Sun 31; Mon 1 June. Tue 14 July. Fri 15 August 2025.

STANDARD (the built-in ladder): J+1 informative email, J+7 reminder email, J+14 firm email
(5-day deadline), J+21 phone task, J+30 formal notice by registered letter (8-day deadline,
approval); minimum gap 5 days; business days only; broken-promise step at +0 days, email,
5-day deadline. Most tests use invoice F-1 of 1,200.00 EUR due Monday 27 April 2026.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dunning import (
    FIRM,
    GENTLE,
    STANDARD,
    Channel,
    Customer,
    Decision,
    DecisionStatus,
    DisputeOpened,
    DisputeResolved,
    Event,
    HoldLifted,
    HoldPlaced,
    Installment,
    Invoice,
    InvoiceHistoryError,
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    Reversal,
    ReversalReason,
    Scenario,
    decide,
    decide_many,
)
from dunning.engine import action_id, timeline
from dunning.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    CustomerKind,
    DeliveryFailed,
    DunningStopped,
)
from dunning.scenarios import CatchUp, StepKind, scenario_from_mapping
from tests.helpers import PARIS

Paris = Callable[..., datetime]
MakeInvoice = Callable[..., Invoice]
REUNION = ZoneInfo("Indian/Reunion")  # UTC+4, no summer time
DUE = date(2026, 4, 27)  # Monday


def _p(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def _midnight(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=PARIS)


def _taken(
    step_id: str,
    at: datetime,
    *,
    scenario: Scenario = STANDARD,
    invoice_id: str = "F-1",
    occurrence: int = 1,
    deadline_days: int | None = None,
) -> ActionTaken:
    """The ActionTaken a host records after carrying out a step's action."""
    step = scenario.step(step_id)
    assert step is not None
    return ActionTaken(
        at=at,
        action_id=action_id(invoice_id, step_id, occurrence),
        channel=step.channel,
        step_id=step_id,
        deadline_days=deadline_days,
    )


def _scenario(*steps: dict[str, Any], **extra: Any) -> Scenario:
    return scenario_from_mapping({"id": "custom", "steps": list(steps), **extra})


def _step(step_id: str, offset: int, level: int = 1, **extra: Any) -> dict[str, Any]:
    extra.setdefault("kind", "reminder")
    extra.setdefault("channel", "email")
    return {"id": step_id, "level": level, "offset_days": offset, **extra}


def _decide(
    invoice: Invoice, events: Sequence[Any], at: datetime, scenario: Scenario = STANDARD
) -> Decision:
    # Sequence[Any]: lists of mixed event literals are inferred as list[BaseModel].
    return decide(invoice, list(events), scenario, at=at)


def _summary(d: Decision) -> tuple[DecisionStatus, str | None, datetime | None]:
    """Status, the step of the action due (if any), next review."""
    return d.status, d.action.step_id if d.action else None, d.next_review_at


@pytest.fixture
def invoice(make_invoice: MakeInvoice) -> Invoice:
    """F-1: 1,200.00 EUR, issued 1 March 2026, due Monday 27 April 2026."""
    return make_invoice(due_on=DUE)


# The first three steps of STANDARD, taken on the days they were planned (see module doc).
INFORMATIVE = _taken("informative", _p(2026, 4, 28))  # Tue 28 April = J+1
REMINDER = _taken("reminder", _p(2026, 5, 4))  # Mon 4 May = J+7
FIRM_STEP = _taken("firm", _p(2026, 5, 11))  # Mon 11 May = J+14, pay by Sat 16 May
PHONE = _taken("phone_call", _p(2026, 5, 18, 10, 30))  # Mon 18 May = J+21


# --------------------------------------------------------------------------------------------
# Planned date, gap, deadline
# --------------------------------------------------------------------------------------------


def test_planned_date_is_due_date_plus_offset(invoice: Invoice) -> None:
    """Due Mon 27 April; J+1 = Tue 28 April: not due on the 27th, due from the 28th 00:00."""
    d = _decide(invoice, [], _p(2026, 4, 27, 23, 59))
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, _midnight(2026, 4, 28))
    assert d.next_step_id == "informative"

    d = _decide(invoice, [], _midnight(2026, 4, 28))
    assert d.status is DecisionStatus.ACTION_DUE
    action = d.action
    assert action is not None
    assert action.id == action_id("F-1", "informative")
    assert (action.step_id, action.kind, action.level, action.level_name) == (
        "informative",
        StepKind.FRIENDLY,
        1,
        "friendly",
    )
    assert (action.channel, action.template) == (Channel.EMAIL, "friendly")
    assert action.due_at == _midnight(2026, 4, 28)
    assert (action.deadline_on, action.deadline_days) == (None, None)
    assert (action.requires_approval, action.approved, action.is_retry) == (False, False, False)
    assert (action.amount_due, action.currency, action.days_late) == (Decimal("1200.00"), "EUR", 1)
    assert (action.invoice_id, action.customer_id) == ("F-1", "C-1")
    # No window on email, one level at a time: only a new event changes this decision.
    assert d.next_review_at is None
    assert d.actions == (action,)


def test_minimum_gap_pushes_the_next_step(invoice: Invoice) -> None:
    """J+1 sent late on Thu 30 April: J+7 (Mon 4 May) waits for 30 April + 5 = Tue 5 May."""
    late_informative = _taken("informative", _p(2026, 4, 30))
    d = _decide(invoice, [late_informative], _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 5))
    assert d.next_step_id == "reminder"
    d = _decide(invoice, [late_informative], _midnight(2026, 5, 5))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)
    assert d.action is not None
    assert d.action.due_at == _midnight(2026, 5, 5)


def test_next_step_comes_the_day_after_a_stated_deadline(invoice: Invoice) -> None:
    """J+1 says "pay within 8 days" on Tue 28 April (by Wed 6 May): J+7 waits until Thu 7 May."""
    scenario = _scenario(_step("a", 1, deadline_days=8), _step("b", 7, 2))
    events = [_taken("a", _p(2026, 4, 28), scenario=scenario)]
    # Planned Mon 4 May; gap 28 April + 5 = Sun 3 May; deadline 6 May -> Thu 7 May.
    d = _decide(invoice, events, _p(2026, 5, 6, 23, 59), scenario)
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 7))
    d = _decide(invoice, events, _midnight(2026, 5, 7), scenario)
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "b", None)


def test_deadline_stated_in_the_action_taken_wins(invoice: Invoice) -> None:
    """An ActionTaken stating 3 days overrides the step's 8 (by 6 May): J+7 on Tue 5 May."""
    scenario = _scenario(_step("a", 1, deadline_days=8), _step("b", 7, 2))
    events = [_taken("a", _p(2026, 4, 28), scenario=scenario, deadline_days=3)]
    # 28 April + 3 = Fri 1 May, a holiday, then the weekend: the deadline is Mon 4 May, so the
    # planned Mon 4 May waits for Tue 5 May (the step's 8 days would have meant Thu 7 May).
    d = _decide(invoice, events, _midnight(2026, 5, 4), scenario)
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 5))
    d = _decide(invoice, events, _midnight(2026, 5, 5), scenario)
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "b", None)


def test_action_states_its_deadline_from_the_decision_day(invoice: Invoice) -> None:
    """The firm email decided on Mon 11 May: 5 days is Sat 16 May, stated as Mon 18 May."""
    d = _decide(invoice, [INFORMATIVE, REMINDER], _p(2026, 5, 11))
    assert d.action is not None
    assert d.action.step_id == "firm"
    assert (d.action.deadline_days, d.action.deadline_on) == (5, date(2026, 5, 18))
    assert d.action.days_late == 14


# --------------------------------------------------------------------------------------------
# Business days
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_on", "planned", "expected"),
    [
        # due Fri 29 May; J+1 = Sat 30 May -> (Sun 31) -> Mon 1 June
        (date(2026, 5, 29), date(2026, 5, 30), date(2026, 6, 1)),
        # due Thu 30 April; J+1 = Fri 1 May (Labour Day) -> (weekend) -> Mon 4 May
        (date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 4)),
        # due Thu 7 May; J+1 = Fri 8 May (VE Day) -> (weekend) -> Mon 11 May
        (date(2026, 5, 7), date(2026, 5, 8), date(2026, 5, 11)),
        # due Wed 13 May; J+1 = Thu 14 May (Ascension) -> Fri 15 May
        (date(2026, 5, 13), date(2026, 5, 14), date(2026, 5, 15)),
        # due Fri 22 May; J+1 = Sat 23 May -> Sun 24 -> Mon 25 (Whit Monday) -> Tue 26 May
        (date(2026, 5, 22), date(2026, 5, 23), date(2026, 5, 26)),
        # due Mon 13 July; J+1 = Tue 14 July (Bastille Day) -> Wed 15 July
        (date(2026, 7, 13), date(2026, 7, 14), date(2026, 7, 15)),
        # due Thu 14 Aug 2025; J+1 = Fri 15 Aug (Assumption) -> (weekend) -> Mon 18 Aug
        (date(2025, 8, 14), date(2025, 8, 15), date(2025, 8, 18)),
    ],
)
def test_business_days_only_rolls_forward(
    make_invoice: MakeInvoice, due_on: date, planned: date, expected: date
) -> None:
    """A step planned on a weekend or public holiday is due on the next business day."""
    invoice = make_invoice(due_on=due_on, issued_on=date(2025, 7, 1))
    d = _decide(invoice, [], datetime.combine(planned, datetime.min.time(), tzinfo=PARIS))
    assert d.status is DecisionStatus.WAITING
    expected_at = datetime.combine(expected, datetime.min.time(), tzinfo=PARIS)
    assert d.next_review_at == expected_at
    d = _decide(invoice, [], expected_at)
    assert d.action is not None
    assert (d.action.step_id, d.action.due_at) == ("informative", expected_at)


def test_without_business_days_a_saturday_step_is_due(make_invoice: MakeInvoice) -> None:
    """With business_days_only false, J+1 of a Friday due date is due on Sat 30 May 00:00."""
    scenario = STANDARD.model_copy(update={"business_days_only": False})
    invoice = make_invoice(due_on=date(2026, 5, 29))
    d = _decide(invoice, [], _midnight(2026, 5, 30), scenario)
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "informative", None)


def test_alsace_moselle_26_december_and_good_friday(make_invoice: MakeInvoice) -> None:
    """In Moselle J+1 on Fri 26 Dec 2025 rolls to Mon 29; Good Friday 3 April 2026 to Tue 7."""
    moselle = Customer(id="C-57", name="Metz SAS", subdivision="57")
    paris_customer = Customer(id="C-75", name="Paris SAS")
    # due Thu 25 Dec 2025 (a holiday itself; that is allowed): J+1 = Fri 26 Dec.
    for customer, expected in ((moselle, _midnight(2025, 12, 29)), (paris_customer, None)):
        invoice = make_invoice(
            due_on=date(2025, 12, 25), issued_on=date(2025, 11, 25), customer=customer
        )
        d = _decide(invoice, [], _p(2025, 12, 26))
        if expected is None:
            assert _summary(d) == (DecisionStatus.ACTION_DUE, "informative", None)
        else:
            assert _summary(d) == (DecisionStatus.WAITING, None, expected)
    # due Thu 2 April 2026: J+1 = Good Friday, then the weekend and Easter Monday -> Tue 7.
    invoice = make_invoice(due_on=date(2026, 4, 2), customer=moselle)
    d = _decide(invoice, [], _p(2026, 4, 3))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 4, 7))


# --------------------------------------------------------------------------------------------
# Send windows
# --------------------------------------------------------------------------------------------


FIRM_REMINDER = _taken("reminder", _p(2026, 4, 28), scenario=FIRM)  # J+1, Tue 28 April


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # FIRM's SMS step: J+7 = Mon 4 May (gap: 28 April + 5 = Sun 3 May).
        (_p(2026, 5, 4, 9, 0), (DecisionStatus.WAITING, None, _p(2026, 5, 4, 10))),
        (_p(2026, 5, 4, 10, 0), (DecisionStatus.ACTION_DUE, "sms", _p(2026, 5, 4, 13))),
        (_p(2026, 5, 4, 12, 59), (DecisionStatus.ACTION_DUE, "sms", _p(2026, 5, 4, 13))),
        (_p(2026, 5, 4, 13, 30), (DecisionStatus.WAITING, None, _p(2026, 5, 4, 14))),
        (_p(2026, 5, 4, 15, 0), (DecisionStatus.ACTION_DUE, "sms", _p(2026, 5, 4, 20))),
        (_p(2026, 5, 4, 20, 30), (DecisionStatus.WAITING, None, _p(2026, 5, 5, 10))),
        # Thu 7 May 20:30: Fri 8 May is VE Day, then the weekend -> Mon 11 May 10:00.
        (_p(2026, 5, 7, 20, 30), (DecisionStatus.WAITING, None, _p(2026, 5, 11, 10))),
    ],
)
def test_sms_send_windows(
    make_invoice: MakeInvoice, at: datetime, expected: tuple[object, ...]
) -> None:
    """SMS is due only 10:00-13:00 and 14:00-20:00 on business days; review at open/close."""
    invoice = make_invoice(due_on=DUE)
    d = _decide(invoice, [FIRM_REMINDER], at, FIRM)
    assert _summary(d) == expected
    if d.action is not None:
        assert d.action.channel is Channel.SMS
        opening = _p(2026, 5, 4, 10) if at.hour < 13 else _p(2026, 5, 4, 14)
        assert d.action.due_at == opening


def test_phone_task_window_and_holiday(make_invoice: MakeInvoice) -> None:
    """A phone task planned on Ascension (Thu 14 May) is due on Fri 15 May at 10:00."""
    # due Thu 23 April: J+1 Fri 24, J+7 Thu 30 April, J+14 Thu 7 May, J+21 Thu 14 May.
    invoice = make_invoice(due_on=date(2026, 4, 23))
    events = [
        _taken("informative", _p(2026, 4, 24)),
        _taken("reminder", _p(2026, 4, 30)),
        _taken("firm", _p(2026, 5, 7)),  # pay by Tue 12 May; gap to Tue 12 May
    ]
    d = _decide(invoice, events, _p(2026, 5, 13, 20, 30))
    assert _summary(d) == (DecisionStatus.WAITING, None, _p(2026, 5, 15, 10))
    assert d.next_step_id == "phone_call"
    d = _decide(invoice, events, _p(2026, 5, 15, 13, 30))
    assert _summary(d) == (DecisionStatus.WAITING, None, _p(2026, 5, 15, 14))
    d = _decide(invoice, events, _p(2026, 5, 15, 14, 0))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "phone_call", _p(2026, 5, 15, 20))
    assert d.action is not None
    assert d.action.channel is Channel.PHONE_TASK


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


def test_overseas_customer_is_decided_in_local_time(make_invoice: MakeInvoice) -> None:
    """21:30 UTC on Mon 27 April is Tue 01:30 in La Réunion (J+1 due) but 23:30 Mon in Paris."""
    reunion = Customer(id="C-974", name="Saint-Denis SARL", time_zone="Indian/Reunion")
    at = datetime(2026, 4, 27, 21, 30, tzinfo=UTC)
    d = _decide(make_invoice(due_on=DUE, customer=reunion), [], at)
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.action is not None
    assert d.action.due_at == datetime(2026, 4, 28, tzinfo=REUNION)  # = 27 April 20:00 UTC
    assert d.action.days_late == 1

    d = _decide(make_invoice(due_on=DUE), [], at)
    # Paris: still Monday 23:30; due from Tue 28 April 00:00 Paris = 27 April 22:00 UTC.
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, datetime(2026, 4, 27, 22, tzinfo=UTC))


def test_overseas_sms_window_and_holiday(make_invoice: MakeInvoice) -> None:
    """In La Réunion the SMS window opens at 10:00 local (06:00 UTC), and 20 Dec is off."""
    reunion = Customer(
        id="C-974", name="Saint-Denis SARL", time_zone="Indian/Reunion", subdivision="974"
    )
    invoice = make_invoice(due_on=DUE, customer=reunion)
    # Mon 4 May 04:30 UTC = 08:30 local: the window opens at 10:00 local = 06:00 UTC.
    d = _decide(invoice, [FIRM_REMINDER], datetime(2026, 5, 4, 4, 30, tzinfo=UTC), FIRM)
    assert _summary(d) == (DecisionStatus.WAITING, None, datetime(2026, 5, 4, 6, tzinfo=UTC))
    # due Sun 19 Dec 2027: J+1 = Mon 20 Dec, abolition of slavery day -> Tue 21 Dec.
    invoice = make_invoice(due_on=date(2027, 12, 19), customer=reunion)
    d = _decide(invoice, [], datetime(2027, 12, 20, 10, tzinfo=REUNION))
    assert _summary(d) == (DecisionStatus.WAITING, None, datetime(2027, 12, 21, tzinfo=REUNION))
    invoice = make_invoice(due_on=date(2027, 12, 19))
    d = _decide(invoice, [], _p(2027, 12, 20))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "informative", None)


# --------------------------------------------------------------------------------------------
# Catch-up
# --------------------------------------------------------------------------------------------


def test_catch_up_one_level_at_a_time(invoice: Invoice) -> None:
    """After a month without runs (Mon 1 June), the first step not taken is proposed."""
    d = _decide(invoice, [], _p(2026, 6, 1))
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.action is not None
    assert d.action.step_id == "informative"
    assert d.action.due_at == _midnight(2026, 4, 28)
    assert len(d.actions) == 1


def test_catch_up_jump_to_due_level(invoice: Invoice) -> None:
    """Jumping on Mon 1 June proposes the formal notice (J+30 = Wed 27 May); the rest is skipped."""
    jump = STANDARD.model_copy(update={"catch_up": CatchUp.JUMP_TO_DUE_LEVEL})
    d = _decide(invoice, [], _p(2026, 6, 1), jump)
    assert d.action is not None
    assert (d.action.step_id, d.action.due_at) == ("formal_notice", _midnight(2026, 5, 27))
    assert d.action.requires_approval
    assert len(d.actions) == 1
    assert d.next_review_at is None
    # Once taken, the lower steps are skipped for good: nothing is left.
    events = [_taken("formal_notice", _p(2026, 6, 1))]
    d = _decide(invoice, events, _p(2026, 6, 20), jump)
    assert _summary(d) == (DecisionStatus.EXHAUSTED, None, None)
    assert d.reason == "every step has been taken"
    assert (d.level, d.level_name) == (5, "formal notice")


def test_catch_up_jump_reviews_when_a_later_step_comes_due(invoice: Invoice) -> None:
    """On Tue 12 May J+1, J+7, J+14 are due: firm; review at the phone window Mon 18 May 10:00."""
    jump = STANDARD.model_copy(update={"catch_up": CatchUp.JUMP_TO_DUE_LEVEL})
    d = _decide(invoice, [], _p(2026, 5, 12), jump)
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "firm", _p(2026, 5, 18, 10))


# --------------------------------------------------------------------------------------------
# Closed
# --------------------------------------------------------------------------------------------


def test_closed_when_paid_in_full(invoice: Invoice) -> None:
    """Paid 1,200.00 on Sat 2 May: closed on Mon 4 May, nothing to do, nothing to review."""
    events = [INFORMATIVE, Payment(on=date(2026, 5, 2), amount=Decimal("1200.00"))]
    d = _decide(invoice, events, _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.CLOSED, None, None)
    assert (d.outstanding, d.days_late, d.actions) == (Decimal(0), 0, ())
    assert (d.level, d.level_name) == (1, "friendly")


def test_closed_within_tolerance(invoice: Invoice) -> None:
    """With a 0.50 tolerance, 0.40 left is paid; 0.60 left is not."""
    scenario = STANDARD.model_copy(update={"tolerance": Decimal("0.50")})
    paid = [INFORMATIVE, Payment(on=date(2026, 5, 2), amount=Decimal("1199.60"))]
    d = _decide(invoice, paid, _p(2026, 5, 4), scenario)
    assert (d.status, d.outstanding) == (DecisionStatus.CLOSED, Decimal("0.40"))
    short = [INFORMATIVE, Payment(on=date(2026, 5, 2), amount=Decimal("1199.40"))]
    d = _decide(invoice, short, _p(2026, 5, 4), scenario)
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.action is not None
    assert d.action.amount_due == Decimal("0.60")


# --------------------------------------------------------------------------------------------
# Pauses
# --------------------------------------------------------------------------------------------


def test_open_dispute_pauses_and_resolution_resumes(invoice: Invoice) -> None:
    """Disputed on Sat 2 May: paused on Mon 4 May; resolved Wed 6 May: J+7 is due at once."""
    events: list[Event] = [INFORMATIVE, DisputeOpened(on=date(2026, 5, 2), reason="damaged")]
    d = _decide(invoice, events, _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.PAUSED, None, None)
    assert "dispute" in d.reason
    events.append(DisputeResolved(on=date(2026, 5, 6)))
    d = _decide(invoice, events, _p(2026, 5, 5))  # resolution not yet known on the 5th
    assert d.status is DecisionStatus.PAUSED
    d = _decide(invoice, events, _p(2026, 5, 6))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)


def test_dispute_opened_and_resolved_the_same_day(invoice: Invoice) -> None:
    """Opened then resolved on one day, in that order, is resolved."""
    events = [
        INFORMATIVE,
        DisputeOpened(on=date(2026, 5, 4)),
        DisputeResolved(on=date(2026, 5, 4)),
    ]
    assert _decide(invoice, events, _p(2026, 5, 4)).status is DecisionStatus.ACTION_DUE


def test_hold_with_end_date(invoice: Invoice) -> None:
    """Hold until Sun 10 May (inclusive): paused, review Mon 11 May 00:00; then J+7 due."""
    events = [INFORMATIVE, HoldPlaced(on=date(2026, 5, 1), until=date(2026, 5, 10))]
    d = _decide(invoice, events, _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 5, 11))
    d = _decide(invoice, events, _p(2026, 5, 10, 23, 59))
    assert d.status is DecisionStatus.PAUSED
    d = _decide(invoice, events, _midnight(2026, 5, 11))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)


def test_hold_end_review_is_local_midnight(make_invoice: MakeInvoice) -> None:
    """For a customer in La Réunion the review is 00:00 there (20:00 UTC the day before)."""
    reunion = Customer(id="C-974", name="Saint-Denis SARL", time_zone="Indian/Reunion")
    invoice = make_invoice(due_on=DUE, customer=reunion)
    events = [HoldPlaced(on=date(2026, 4, 27), until=date(2026, 5, 10))]
    d = _decide(invoice, events, _p(2026, 5, 4))
    assert d.next_review_at == datetime(2026, 5, 10, 20, tzinfo=UTC)


def test_hold_without_end_date_until_lifted(invoice: Invoice) -> None:
    """A hold with no end pauses with no review; lifted on Wed 6 May, J+7 is due."""
    events: list[Event] = [INFORMATIVE, HoldPlaced(on=date(2026, 5, 1), reason="on site Monday")]
    d = _decide(invoice, events, _p(2026, 6, 30))
    assert _summary(d) == (DecisionStatus.PAUSED, None, None)
    events.append(HoldLifted(on=date(2026, 5, 6)))
    d = _decide(invoice, events, _p(2026, 5, 6))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)


def test_a_stop_closes_for_good(invoice: Invoice) -> None:
    """DunningStopped on Mon 4 May closes from that day; a hold lifted after it changes nothing."""
    stop = DunningStopped(on=date(2026, 5, 4), reason="assigned to a factor")
    events: list[Event] = [INFORMATIVE, stop]
    assert _decide(invoice, events, _p(2026, 5, 1)).status is DecisionStatus.WAITING
    d = _decide(invoice, events, _p(2026, 6, 30))
    assert _summary(d) == (DecisionStatus.CLOSED, None, None)
    assert d.reason == "stopped on 2026-05-04: assigned to a factor"
    events.append(HoldLifted(on=date(2026, 5, 6)))
    assert _decide(invoice, events, _p(2026, 6, 30)).status is DecisionStatus.CLOSED


# A promise made Wed 29 April to pay by Tue 5 May; grace 2 days: paused through Thu 7 May.
PROMISE = PromiseToPay(on=date(2026, 4, 29), promised_on=date(2026, 5, 5))


def test_promise_pauses_until_promised_date_plus_grace(invoice: Invoice) -> None:
    """Promised Tue 5 May + 2 grace days: paused through Thu 7 May, review Fri 8 May 00:00."""
    d = _decide(invoice, [INFORMATIVE, PROMISE], _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 5, 8))
    d = _decide(invoice, [INFORMATIVE, PROMISE], _p(2026, 5, 7, 23, 59))
    assert d.status is DecisionStatus.PAUSED


def test_promise_grace_days_follow_the_scenario(invoice: Invoice) -> None:
    """With grace_days = 0 the pause ends with the promised day: review Wed 6 May 00:00."""
    scenario = STANDARD.model_copy(update={"grace_days": 0})
    d = _decide(invoice, [INFORMATIVE, PROMISE], _p(2026, 5, 4), scenario)
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 5, 6))


def test_broken_promise_takes_the_broken_promise_step(invoice: Invoice) -> None:
    """Broken on Fri 8 May (VE Day): the broken-promise email is due Mon 11 May, once."""
    events: list[Event] = [INFORMATIVE, PROMISE]
    d = _decide(invoice, events, _p(2026, 5, 8))
    # +0 days from Fri 8 May, a holiday, then the weekend: Mon 11 May.
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 11))
    assert d.next_step_id == "broken_promise"
    d = _decide(invoice, events, _p(2026, 5, 11))
    assert d.action is not None
    assert (d.action.step_id, d.action.channel, d.action.id) == (
        "broken_promise",
        Channel.EMAIL,
        action_id("F-1", "broken_promise", 1),
    )
    assert (d.action.deadline_days, d.action.deadline_on) == (5, date(2026, 5, 18))
    # Taken on Mon 11 May: not again. The firm email (level 3) stands for the reminder and
    # the firm step: the ladder resumes with the phone call (J+21, Mon 18 May), after the gap
    # and the deadline: 11 May + 5 = Sat 16 May, stated as Mon 18 May; the day after is Tue
    # 19 May, at 10:00 when the phone window opens.
    events.append(_taken("broken_promise", _p(2026, 5, 11)))
    d = _decide(invoice, events, _p(2026, 5, 12))
    assert _summary(d) == (DecisionStatus.WAITING, None, datetime(2026, 5, 19, 10, tzinfo=PARIS))
    assert (d.next_step_id, d.level, d.level_name) == ("phone_call", 3, "firm")


@pytest.mark.parametrize(
    ("scenario", "next_step"),
    [(GENTLE, "formal_notice"), (STANDARD, "phone_call"), (FIRM, "formal_notice")],
    ids=["gentle", "standard", "firm"],
)
def test_after_the_broken_promise_letter_the_ladder_only_goes_firmer(
    invoice: Invoice, scenario: Scenario, next_step: str
) -> None:
    """Only the first step taken, then a promise broken: the next step is above its letter.

    The broken-promise letters are level 4 (gentle's firm), 3 (standard's firm) and 2 (firm's
    SMS level): what follows is the first ladder step above, never a milder reminder.
    """
    broken = scenario.broken_promise_step
    assert broken is not None
    first = scenario.steps[0].id
    events: list[Event] = [
        _taken(first, _p(2026, 4, 27), scenario=scenario),
        PROMISE,  # to pay by Tue 5 May, grace 2 days: broken as of Fri 8 May
        _taken(broken.id, _p(2026, 5, 11), scenario=scenario),
    ]
    d = _decide(invoice, events, _p(2026, 5, 12), scenario)
    assert d.next_step_id == next_step
    assert d.level == broken.level


def _with_broken_promise_step(**changes: object) -> Scenario:
    """STANDARD with its broken-promise step changed (validated as a loaded scenario is)."""
    data = STANDARD.model_dump(mode="json")
    data["broken_promise_step"] = {**data["broken_promise_step"], **changes}
    return Scenario.model_validate(data)


@pytest.mark.parametrize(
    ("changes", "next_step", "level"),
    [
        # A firm letter of the notice's level stands for the steps up to the phone call (4).
        ({"level": 5}, "formal_notice", 4),
        # A notice itself: the invoice is on notice, once; the ladder has nothing after it.
        ({"level": 5, "kind": "formal_notice", "template": "formal_notice"}, None, 5),
    ],
    ids=["firm-letter-at-the-notice-level", "a-notice-itself"],
)
def test_a_broken_promise_letter_passes_for_a_notice_only_if_it_is_one(
    invoice: Invoice, changes: dict[str, object], next_step: str | None, level: int
) -> None:
    """A firm letter at the notice's level stands for every step but the notice."""
    scenario = _with_broken_promise_step(**changes)
    events: list[Event] = [
        _taken("informative", _p(2026, 4, 28), scenario=scenario),
        PROMISE,
        _taken("broken_promise", _p(2026, 5, 11), scenario=scenario),
    ]
    d = _decide(invoice, events, _p(2026, 5, 12), scenario)
    assert (d.next_step_id, d.level) == (next_step, level)


def test_second_broken_promise_is_a_second_occurrence(invoice: Invoice) -> None:
    """A new promise (to pay Fri 15 May) broken Mon 18 May: occurrence 2, after the deadline."""
    events = [
        INFORMATIVE,
        PROMISE,
        _taken("broken_promise", _p(2026, 5, 11)),
        PromiseToPay(on=date(2026, 5, 12), promised_on=date(2026, 5, 15)),
    ]
    d = _decide(invoice, events, _p(2026, 5, 17))
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 5, 18))
    # The first broken-promise email's deadline (Sat 16 May, stated Mon 18 May) holds it a day.
    d = _decide(invoice, events, _p(2026, 5, 18))
    assert d.action is None
    d = _decide(invoice, events, _p(2026, 5, 19))
    assert d.action is not None
    assert (d.action.step_id, d.action.id) == (
        "broken_promise",
        action_id("F-1", "broken_promise", 2),
    )


def test_kept_promise_resumes_the_ladder_without_the_broken_step(invoice: Invoice) -> None:
    """400.00 promised and paid on Tue 5 May: on Fri 8 May J+7 is due on the 800.00 left."""
    promise = PromiseToPay(
        on=date(2026, 4, 29), promised_on=date(2026, 5, 5), amount=Decimal("400.00")
    )
    events = [INFORMATIVE, promise, Payment(on=date(2026, 5, 5), amount=Decimal("400.00"))]
    d = _decide(invoice, events, _p(2026, 5, 8))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)
    assert d.action is not None
    assert d.action.amount_due == Decimal("800.00")


def test_promise_of_the_whole_balance_partly_paid_is_broken(invoice: Invoice) -> None:
    """A promise with no amount means the whole balance: 400.00 of 1,200.00 breaks it."""
    events = [INFORMATIVE, PROMISE, Payment(on=date(2026, 5, 5), amount=Decimal("400.00"))]
    d = _decide(invoice, events, _p(2026, 5, 11))
    assert d.action is not None
    assert d.action.step_id == "broken_promise"


# A plan agreed Mon 4 May: 600.00 on Fri 15 May and 600.00 on Mon 15 June.
PLAN = PaymentPlanAgreed(
    on=date(2026, 5, 4),
    installments=(
        Installment(due_on=date(2026, 5, 15), amount=Decimal("600.00")),
        Installment(due_on=date(2026, 6, 15), amount=Decimal("600.00")),
    ),
)


def test_payment_plan_in_good_standing_pauses(invoice: Invoice) -> None:
    """Plan in good standing: review after each installment + 2 grace days."""
    d = _decide(invoice, [INFORMATIVE, PLAN], _p(2026, 5, 10))
    # 15 May + 2 = Sun 17 May, review Mon 18 May 00:00.
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 5, 18))
    # First installment paid on Sun 17 May (within grace): next review 15 June + 3 = Thu 18 June.
    paid = [INFORMATIVE, PLAN, Payment(on=date(2026, 5, 17), amount=Decimal("600.00"))]
    d = _decide(invoice, paid, _p(2026, 5, 18))
    assert _summary(d) == (DecisionStatus.PAUSED, None, _midnight(2026, 6, 18))


def test_broken_payment_plan_takes_the_broken_promise_step(invoice: Invoice) -> None:
    """Nothing paid by Sun 17 May: broken on Mon 18 May, the broken-promise email is due."""
    d = _decide(invoice, [INFORMATIVE, PLAN], _p(2026, 5, 18))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "broken_promise", None)
    assert "broken" in d.notes[0]


# --------------------------------------------------------------------------------------------
# Failed delivery
# --------------------------------------------------------------------------------------------


def test_failed_delivery_retried_on_fallback_without_gap(invoice: Invoice) -> None:
    """The J+1 email bounced on Wed 29 April: a letter is due at once, not after the gap."""
    failed = DeliveryFailed(at=_p(2026, 4, 29, 9), action_id=INFORMATIVE.action_id, reason="5.1.1")
    d = _decide(invoice, [INFORMATIVE, failed], _p(2026, 4, 29))
    assert d.status is DecisionStatus.ACTION_DUE
    action = d.action
    assert action is not None
    assert (action.step_id, action.channel, action.is_retry) == (
        "informative",
        Channel.LETTER,
        True,
    )
    assert action.id != INFORMATIVE.action_id
    assert action.due_at == _midnight(2026, 4, 29)
    # The same retry id every time.
    assert _decide(invoice, [INFORMATIVE, failed], _p(2026, 4, 30)).actions[0].id == action.id


def test_failed_retry_is_not_retried_again(invoice: Invoice) -> None:
    """The letter came back too: no third try; J+7 on Mon 4 May (no delivered action to gap)."""
    failed = DeliveryFailed(at=_p(2026, 4, 29, 9), action_id=INFORMATIVE.action_id)
    retry = _decide(invoice, [INFORMATIVE, failed], _p(2026, 4, 29)).action
    assert retry is not None
    events = [
        INFORMATIVE,
        failed,
        ActionTaken(
            at=_p(2026, 4, 29), action_id=retry.id, channel=retry.channel, step_id="informative"
        ),
        DeliveryFailed(at=_p(2026, 4, 30, 9), action_id=retry.id),
    ]
    d = _decide(invoice, events, _p(2026, 4, 30))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))
    assert d.next_step_id == "reminder"


def test_retry_waits_for_the_fallback_channel_window(invoice: Invoice) -> None:
    """An email bounced at 20:45 on Tue 28 April falls back to SMS: Wed 29 April 10:00."""
    scenario = _scenario(_step("a", 1, fallback_channel="sms"), _step("b", 10, 2))
    events = [
        _taken("a", _p(2026, 4, 28), scenario=scenario),
        DeliveryFailed(at=_p(2026, 4, 28, 20, 45), action_id=action_id("F-1", "a")),
    ]
    d = _decide(invoice, events, _p(2026, 4, 28, 21), scenario)
    assert _summary(d) == (DecisionStatus.WAITING, None, _p(2026, 4, 29, 10))
    d = _decide(invoice, events, _p(2026, 4, 29, 10), scenario)
    assert d.action is not None
    assert (d.action.channel, d.action.is_retry) == (Channel.SMS, True)


def test_late_bounce_is_not_retried_after_a_later_step(invoice: Invoice) -> None:
    """J+1 email bounces only on Tue 5 May, after J+7 reached the customer on Mon 4 May.

    Re-sending the milder J+1 by letter now would be out of order: no retry. Next is J+14 on
    Mon 11 May (gap after 4 May ends Sat 9 May; planned 27 April + 14 = Mon 11 May).
    """
    bounce = DeliveryFailed(at=_p(2026, 5, 5, 9), action_id=INFORMATIVE.action_id)
    d = _decide(invoice, [INFORMATIVE, REMINDER, bounce], _p(2026, 5, 5))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 11))
    assert d.next_step_id == "firm"


def test_rejected_retry_is_not_proposed_again(invoice: Invoice) -> None:
    """A human rejects the letter retry of the bounced J+1: the ladder goes on (J+7 Mon 4 May)."""
    failed = DeliveryFailed(at=_p(2026, 4, 29, 9), action_id=INFORMATIVE.action_id)
    retry = _decide(invoice, [INFORMATIVE, failed], _p(2026, 4, 29)).action
    assert retry is not None
    assert retry.is_retry
    rejected = ActionRejected(at=_p(2026, 4, 29, 11), action_id=retry.id, reason="wrong address")
    d = _decide(invoice, [INFORMATIVE, failed, rejected], _p(2026, 4, 29, 12))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))
    assert d.next_step_id == "reminder"


def test_no_retry_when_the_fallback_is_opted_out(make_invoice: MakeInvoice) -> None:
    """A customer who opted out of letters gets no letter after a bounce."""
    customer = Customer(id="C-1", name="ACME SARL", opted_out=frozenset({Channel.LETTER}))
    invoice = make_invoice(due_on=DUE, customer=customer)
    failed = DeliveryFailed(at=_p(2026, 4, 29, 9), action_id=INFORMATIVE.action_id)
    d = _decide(invoice, [INFORMATIVE, failed], _p(2026, 4, 29))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))


# --------------------------------------------------------------------------------------------
# Manual reminders
# --------------------------------------------------------------------------------------------


def test_manual_reminder_deadline_is_honoured(invoice: Invoice) -> None:
    """A manual email on Wed 29 April giving 10 days (Sat 9 -> Mon 11 May): J+7 on Tue 12 May."""
    manual = ActionTaken(
        at=_p(2026, 4, 29),
        action_id="manual-1",
        channel=Channel.EMAIL,
        step_id=None,
        deadline_days=10,
    )
    # Planned Mon 4 May; gap 29 April + 5 = Mon 4 May; deadline Sat 9 May rolled to Mon 11 May,
    # so the day after it is Tue 12 May.
    d = _decide(invoice, [INFORMATIVE, manual], _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 12))
    assert (d.level, d.level_name) == (1, "friendly")  # a manual action is no ladder step


def test_manual_reminder_counts_for_the_gap(invoice: Invoice) -> None:
    """A manual call on Thu 30 April: J+7 (Mon 4 May) waits for 30 April + 5 = Tue 5 May."""
    manual = ActionTaken(at=_p(2026, 4, 30), action_id="manual-1", channel=Channel.PHONE_TASK)
    d = _decide(invoice, [INFORMATIVE, manual], _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 5))


def test_an_earlier_deadline_is_not_hidden_by_a_later_manual_call(invoice: Invoice) -> None:
    """Pay-within-15-days on Tue 28 April (by Wed 13 May): no next step before Thu 14 May."""
    scenario = _scenario(_step("a", 1, deadline_days=15), _step("b", 2, 2))
    events = [
        _taken("a", _p(2026, 4, 28), scenario=scenario),
        ActionTaken(at=_p(2026, 4, 30), action_id="manual-1", channel=Channel.PHONE_TASK),
    ]
    # Gap from the call: Tue 5 May. Deadline 13 May -> Thu 14 May (Ascension) -> Fri 15 May.
    d = _decide(invoice, events, _p(2026, 5, 6), scenario)
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 15))


# --------------------------------------------------------------------------------------------
# Approval
# --------------------------------------------------------------------------------------------

# Through J+21; formal notice J+30 = Wed 27 May (gap from Mon 18 May: Sat 23 May).
BEFORE_NOTICE = [INFORMATIVE, REMINDER, FIRM_STEP, PHONE]
NOTICE_ID = action_id("F-1", "formal_notice")


def test_formal_notice_proposed_for_approval_until_taken(invoice: Invoice) -> None:
    """The formal notice is proposed with requires_approval on 27 and 28 May, same id."""
    for at in (_p(2026, 5, 27), _p(2026, 5, 28)):
        d = _decide(invoice, BEFORE_NOTICE, at)
        action = d.action
        assert action is not None
        assert (action.id, action.step_id, action.channel) == (
            NOTICE_ID,
            "formal_notice",
            Channel.REGISTERED_LETTER,
        )
        assert (action.requires_approval, action.approved) == (True, False)
        assert action.deadline_on == at.date() + (date(2026, 6, 4) - date(2026, 5, 27))
    assert _decide(invoice, BEFORE_NOTICE, _p(2026, 5, 26)).status is DecisionStatus.WAITING


def test_approval_flips_approved(invoice: Invoice) -> None:
    """After ActionApproved, the same action is proposed with approved=True."""
    events = [*BEFORE_NOTICE, ActionApproved(at=_p(2026, 5, 28, 11), action_id=NOTICE_ID, by="M")]
    d = _decide(invoice, events, _p(2026, 5, 28, 12))
    assert d.action is not None
    assert (d.action.id, d.action.requires_approval, d.action.approved) == (NOTICE_ID, True, True)
    # Before the approval instant, it was not approved yet.
    d = _decide(invoice, events, _p(2026, 5, 28, 10))
    assert d.action is not None
    assert not d.action.approved


def test_an_approval_for_another_balance_has_lapsed(invoice: Invoice) -> None:
    """Approved for 1,200.00; after a payment of 500.00 the balance is 700.00: not approved.

    An approval for exactly the balance (700.00), or one naming no amount, approves it.
    """
    paid = Payment(on=date(2026, 5, 28), amount=Decimal("500.00"))

    def approval(amount: str | None) -> ActionApproved:
        due = None if amount is None else Decimal(amount)
        return ActionApproved(at=_p(2026, 5, 28, 11), action_id=NOTICE_ID, by="M", amount_due=due)

    stale = _decide(invoice, [*BEFORE_NOTICE, paid, approval("1200.00")], _p(2026, 5, 28, 12))
    assert stale.action is not None
    assert (stale.action.id, stale.action.approved) == (NOTICE_ID, False)
    assert "approval lapsed: given for 1200.00 EUR, the balance is now 700.00" in stale.notes
    for amount in ("700.00", None):
        fresh = _decide(invoice, [*BEFORE_NOTICE, paid, approval(amount)], _p(2026, 5, 28, 12))
        assert fresh.action is not None
        assert fresh.action.approved, amount


def test_formal_notice_taken_exhausts_the_ladder(invoice: Invoice) -> None:
    """Once the formal notice is sent, every step is taken: exhausted, level 5."""
    events = [*BEFORE_NOTICE, _taken("formal_notice", _p(2026, 5, 28, 12))]
    d = _decide(invoice, events, _p(2026, 5, 29))
    assert _summary(d) == (DecisionStatus.EXHAUSTED, None, None)
    assert (d.level, d.level_name) == (5, "formal notice")


def test_rejected_action_skips_its_step(invoice: Invoice) -> None:
    """A rejected formal notice is never proposed again."""
    events = [*BEFORE_NOTICE, ActionRejected(at=_p(2026, 5, 28, 11), action_id=NOTICE_ID)]
    d = _decide(invoice, events, _p(2026, 5, 28, 12))
    assert _summary(d) == (DecisionStatus.EXHAUSTED, None, None)
    assert d.level == 4


def test_rejected_middle_step_moves_to_the_next(invoice: Invoice) -> None:
    """A rejected J+7 reminder is skipped: the next proposal is J+14 (Mon 11 May)."""
    events = [INFORMATIVE, ActionRejected(at=_p(2026, 5, 4, 9), action_id=REMINDER.action_id)]
    d = _decide(invoice, events, _p(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 11))
    assert d.next_step_id == "firm"


def test_rejected_broken_promise_step_is_not_proposed_again(invoice: Invoice) -> None:
    """A rejected broken-promise action is skipped like any rejected step."""
    scenario = STANDARD.model_copy(
        update={
            "broken_promise_step": STANDARD.broken_promise_step.model_copy(  # type: ignore[union-attr]
                update={"requires_approval": True}
            )
        }
    )
    bp_id = action_id("F-1", "broken_promise", 1)
    events = [INFORMATIVE, PROMISE, ActionRejected(at=_p(2026, 5, 11, 9), action_id=bp_id)]
    d = _decide(invoice, events, _p(2026, 5, 11), scenario)
    assert d.action is None or d.action.id != bp_id


# --------------------------------------------------------------------------------------------
# Opt-outs
# --------------------------------------------------------------------------------------------


def test_opted_out_channel_uses_the_fallback(make_invoice: MakeInvoice) -> None:
    """A customer who opted out of email gets the J+1 step by letter."""
    customer = Customer(id="C-1", name="ACME SARL", opted_out=frozenset({Channel.EMAIL}))
    d = _decide(make_invoice(due_on=DUE, customer=customer), [], _p(2026, 4, 28))
    assert d.action is not None
    assert (d.action.step_id, d.action.channel, d.action.is_retry) == (
        "informative",
        Channel.LETTER,
        False,
    )
    assert d.action.id == action_id("F-1", "informative")


def test_opted_out_without_fallback_skips_the_step(make_invoice: MakeInvoice) -> None:
    """Opted out of email and letter: the three email steps are skipped; J+21 call on 18 May."""
    customer = Customer(
        id="C-1", name="ACME SARL", opted_out=frozenset({Channel.EMAIL, Channel.LETTER})
    )
    invoice = make_invoice(due_on=DUE, customer=customer)
    d = _decide(invoice, [], _p(2026, 4, 28))
    assert _summary(d) == (DecisionStatus.WAITING, None, _p(2026, 5, 18, 10))
    assert d.next_step_id == "phone_call"
    assert len(d.notes) == 3


def test_every_channel_opted_out_exhausts(make_invoice: MakeInvoice) -> None:
    """With SMS, email and registered letters all refused, FIRM has nothing left."""
    customer = Customer(
        id="C-1",
        name="ACME SARL",
        opted_out=frozenset(
            {Channel.EMAIL, Channel.LETTER, Channel.SMS, Channel.REGISTERED_LETTER}
        ),
    )
    d = _decide(make_invoice(due_on=DUE, customer=customer), [], _p(2026, 4, 28), FIRM)
    assert _summary(d) == (DecisionStatus.EXHAUSTED, None, None)
    assert "opted out" in d.reason


# --------------------------------------------------------------------------------------------
# Ids, purity, inputs
# --------------------------------------------------------------------------------------------


def test_action_ids_are_deterministic() -> None:
    """The same invoice, step and occurrence always give the same id; any change, another."""
    assert action_id("F-1", "informative") == action_id("F-1", "informative", 1)
    ids = {
        action_id("F-1", "informative"),
        action_id("F-2", "informative"),
        action_id("F-1", "reminder"),
        action_id("F-1", "informative", 2),
    }
    assert len(ids) == 4
    assert all(i.startswith("act_") and len(i) == 28 for i in ids)


def test_decide_is_repeatable(invoice: Invoice) -> None:
    """Two decisions on the same arguments are equal, and the events are not changed."""
    events: list[Event] = [INFORMATIVE, PROMISE]
    copy = list(events)
    assert _decide(invoice, events, _p(2026, 5, 11)) == _decide(invoice, events, _p(2026, 5, 11))
    assert events == copy


def test_never_more_than_one_action(invoice: Invoice) -> None:
    """Even with five steps overdue, one action is proposed, in either catch-up mode."""
    for mode in CatchUp:
        scenario = STANDARD.model_copy(update={"catch_up": mode})
        assert len(_decide(invoice, [], _p(2026, 6, 1), scenario).actions) == 1


def test_naive_instant_rejected(invoice: Invoice) -> None:
    """A naive ``at`` is refused: the engine does not guess a time zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(invoice, [], STANDARD, at=datetime(2026, 5, 4, 10))
    with pytest.raises(TypeError):
        decide(invoice, [], STANDARD, at=date(2026, 5, 4))  # type: ignore[arg-type]


def test_impossible_history_rejected(invoice: Invoice) -> None:
    """The engine checks the history first: a payment before the invoice date raises."""
    with pytest.raises(InvoiceHistoryError) as info:
        _decide(invoice, [Payment(on=date(2026, 2, 1), amount=Decimal(1))], _p(2026, 5, 4))
    assert info.value.code == "event_before_issue"


def test_events_after_at_are_ignored(invoice: Invoice) -> None:
    """A payment dated tomorrow and an action taken later today do not count yet."""
    events = [
        INFORMATIVE,
        Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")),
        _taken("reminder", _p(2026, 5, 4, 11)),
    ]
    d = _decide(invoice, events, _p(2026, 5, 4, 10))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)
    assert _decide(invoice, events, _p(2026, 5, 4, 11)).status is DecisionStatus.WAITING
    assert _decide(invoice, events, _midnight(2026, 5, 5)).status is DecisionStatus.CLOSED


def test_installment_invoice_anchors_on_oldest_unpaid_part(make_invoice: MakeInvoice) -> None:
    """Installments Tue 31 March and Thu 30 April: J+1 of the oldest unpaid one."""
    invoice = make_invoice(
        installments=[(date(2026, 3, 31), "600.00"), (date(2026, 4, 30), "600.00")]
    )
    # Nothing paid: J+1 of 31 March = Wed 1 April.
    d = _decide(invoice, [], _p(2026, 4, 1))
    assert d.action is not None
    assert (d.action.step_id, d.action.due_at, d.action.days_late) == (
        "informative",
        _midnight(2026, 4, 1),
        1,
    )
    # March paid on time: J+1 of 30 April = Fri 1 May (holiday) -> Mon 4 May.
    paid = [Payment(on=date(2026, 3, 31), amount=Decimal("600.00"))]
    d = _decide(invoice, paid, _p(2026, 5, 1))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))
    assert (d.outstanding, d.days_late) == (Decimal("600.00"), 1)
    d = _decide(invoice, paid, _p(2026, 4, 15))
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, _midnight(2026, 5, 1))


# --------------------------------------------------------------------------------------------
# Statuses and next review
# --------------------------------------------------------------------------------------------


def test_not_due_before_the_due_date(invoice: Invoice) -> None:
    """On Mon 20 April nothing is due; review at J+1 = Tue 28 April 00:00."""
    d = _decide(invoice, [], _p(2026, 4, 20))
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, _midnight(2026, 4, 28))
    assert (d.level, d.level_name, d.days_late, d.outstanding) == (0, "", 0, Decimal("1200.00"))


def test_courtesy_step_before_the_due_date(invoice: Invoice) -> None:
    """GENTLE J-3 = Fri 24 April: due before the invoice is, 3 days before due."""
    d = _decide(invoice, [], _p(2026, 4, 24), GENTLE)
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "courtesy", None)
    assert d.action is not None
    assert (d.action.days_late, d.days_late) == (-3, 0)


def test_not_due_review_when_status_turns_waiting(invoice: Invoice) -> None:
    """Not due, next step later: the review is when the status turns waiting (due + 1 day).

    After the courtesy email, J+5 is Sat 2 May -> Mon 4 May, but the status turns waiting on
    Tue 28 April, the day after the due date, so that is the next review.
    """
    events = [_taken("courtesy", _p(2026, 4, 24), scenario=GENTLE)]
    d = _decide(invoice, events, _p(2026, 4, 25), GENTLE)
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, _midnight(2026, 4, 28))
    d = _decide(invoice, events, _midnight(2026, 4, 28), GENTLE)
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))


def test_not_due_review_when_first_step_rolls_past_the_due_date(make_invoice: MakeInvoice) -> None:
    """Due Fri 29 May, J+1 rolls to Mon 1 June; the status turns waiting on Sat 30 May."""
    invoice = make_invoice(due_on=date(2026, 5, 29))
    d = _decide(invoice, [], _p(2026, 5, 28))
    assert _summary(d) == (DecisionStatus.NOT_DUE, None, _midnight(2026, 5, 30))
    d = _decide(invoice, [], _midnight(2026, 5, 30))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 6, 1))


def test_waiting_between_steps(invoice: Invoice) -> None:
    """J+1 taken on Tue 28 April: on Wed 29 waiting, review at J+7 = Mon 4 May 00:00."""
    d = _decide(invoice, [INFORMATIVE], _p(2026, 4, 29))
    assert _summary(d) == (DecisionStatus.WAITING, None, _midnight(2026, 5, 4))
    assert (d.level, d.level_name, d.days_late, d.next_step_id) == (1, "friendly", 2, "reminder")


# --------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------


def test_timeline_of_the_firm_scenario(make_invoice: MakeInvoice) -> None:
    """FIRM, due Mon 27 April, paid Wed 20 May, replayed from 27 April to 31 May at 10:30.

    J+1 Tue 28 April email; J+7 Mon 4 May SMS (gap: 3 May); J+15 Tue 12 May formal notice
    (gap: 9 May), approved automatically, pay within 8 days = by Wed 20 May; nothing left on
    Wed 13 May; paid on 20 May.
    """
    invoice = make_invoice(due_on=DUE, number="2026-0042")
    payment = Payment(on=date(2026, 5, 20), amount=Decimal("1200.00"))
    t = timeline(invoice, [payment], FIRM, start=date(2026, 4, 27), end=date(2026, 5, 31))
    got = [
        (e.on, e.action.step_id if e.action else None, e.action and e.action.channel)
        for e in t.entries
    ]
    assert got == [
        (date(2026, 4, 28), "reminder", Channel.EMAIL),
        (date(2026, 5, 4), "sms", Channel.SMS),
        (date(2026, 5, 12), "formal_notice", Channel.REGISTERED_LETTER),
        (date(2026, 5, 13), None, None),
        (date(2026, 5, 20), None, None),
    ]
    assert [e.decision.status for e in t.entries[3:]] == [
        DecisionStatus.EXHAUSTED,
        DecisionStatus.CLOSED,
    ]
    assert [a.id for a in t.actions] == [
        action_id("F-1", "reminder"),
        action_id("F-1", "sms"),
        action_id("F-1", "formal_notice"),
    ]
    # The history: the payment, then each action (the notice approved first).
    assert [e.kind for e in t.events] == [
        "payment",
        "action_taken",
        "action_taken",
        "action_approved",
        "action_taken",
    ]
    assert t.format() == (
        "date        invoice    level            channel            status      note\n"
        "2026-04-28  2026-0042  1 reminder       email              action_due  sent\n"
        "2026-05-04  2026-0042  2 reminder       sms                action_due  sent\n"
        "2026-05-12  2026-0042  3 formal notice  registered_letter  action_due  "
        "sent, pay by 2026-05-20\n"
        "2026-05-13  2026-0042  3                                   exhausted   "
        "every step has been taken\n"
        "2026-05-20  2026-0042  3                                   closed      paid in full"
    )


def test_timeline_without_approval_stops_at_the_formal_notice(make_invoice: MakeInvoice) -> None:
    """With approve=False the formal notice waits: noted once, never sent."""
    invoice = make_invoice(due_on=DUE)
    t = timeline(invoice, [], FIRM, start=date(2026, 4, 27), end=date(2026, 5, 31), approve=False)
    assert [(e.on, e.note) for e in t.entries] == [
        (date(2026, 4, 28), "sent"),
        (date(2026, 5, 4), "sent"),
        (date(2026, 5, 12), "awaiting approval"),
    ]
    assert len(t.actions) == 2


def test_timeline_rejects_end_before_start(invoice: Invoice) -> None:
    """A replay that ends before it starts is refused."""
    with pytest.raises(ValueError, match="before start"):
        timeline(invoice, [], STANDARD, start=date(2026, 5, 2), end=date(2026, 5, 1))


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------


def test_a_bounced_email_does_not_start_the_minimum_gap(make_invoice: MakeInvoice) -> None:
    """J+1 sent late on Thu 30 April and bounced: J+7 is due Mon 4 May, not Tue 5 May.

    The customer opted out of letters, so the bounce has no retry. Had the bounced email
    counted, the gap would run to 30 April + 5 = Tue 5 May; it was never read, so J+7 keeps
    its planned date, 27 April + 7 = Mon 4 May, from 00:00.
    """
    customer = Customer(id="C-1", name="ACME SARL", opted_out=frozenset({Channel.LETTER}))
    invoice = make_invoice(due_on=DUE, customer=customer)
    late = _taken("informative", _p(2026, 4, 30))
    bounce = DeliveryFailed(at=_p(2026, 4, 30, 11), action_id=late.action_id, reason="5.1.1")
    d = _decide(invoice, [late, bounce], _midnight(2026, 5, 4))
    assert _summary(d) == (DecisionStatus.ACTION_DUE, "reminder", None)
    assert d.action is not None
    assert d.action.due_at == _midnight(2026, 5, 4)


def test_a_retry_does_not_wait_for_the_gap_of_an_earlier_call(invoice: Invoice) -> None:
    """A manual call at 09:00 Mon 4 May, J+7 email at 10:00 bounces: the letter is due at once.

    Without the retry rule the next action would wait for the call's gap, 4 May + 5 = Sat 9
    May, rolled past the weekend to Mon 11 May. The customer never got the reminder, so its
    letter retry is due on Mon 4 May itself (from 00:00, letters have no window).
    """
    call = ActionTaken(at=_p(2026, 5, 4, 9), action_id="manual-call", channel=Channel.PHONE_TASK)
    reminder = _taken("reminder", _p(2026, 5, 4, 10))
    bounce = DeliveryFailed(at=_p(2026, 5, 4, 10, 5), action_id=reminder.action_id)
    d = _decide(invoice, [INFORMATIVE, call, reminder, bounce], _p(2026, 5, 4, 11))
    assert d.status is DecisionStatus.ACTION_DUE
    action = d.action
    assert action is not None
    assert (action.step_id, action.channel, action.is_retry) == ("reminder", Channel.LETTER, True)
    assert action.due_at == _midnight(2026, 5, 4)


def test_a_balance_exactly_at_the_tolerance_is_paid(invoice: Invoice) -> None:
    """Tolerance 0.50; 1,199.50 paid on 1,200.00 leaves exactly 0.50: closed, nothing sent."""
    scenario = STANDARD.model_copy(update={"tolerance": Decimal("0.50")})
    events = [INFORMATIVE, Payment(on=date(2026, 5, 2), amount=Decimal("1199.50"))]
    d = _decide(invoice, events, _p(2026, 5, 4), scenario)
    assert _summary(d) == (DecisionStatus.CLOSED, None, None)
    assert d.outstanding == Decimal("0.50")


def test_approval_of_the_bounced_notice_does_not_approve_its_retry(invoice: Invoice) -> None:
    """An approved emailed notice bounced: its letter retry must be approved again.

    One step "notice" (formal notice by email on J+1, approval, letter as fallback): approved
    and sent Tue 28 April, bounced at 11:00. At 12:00 the letter retry is proposed, needing
    approval, not approved: the only approval on file is the email's, under another id.
    """
    scenario = _scenario(
        _step(
            "notice",
            1,
            kind="formal_notice",
            requires_approval=True,
            fallback_channel="letter",
            deadline_days=8,
        )
    )
    notice_id = action_id("F-1", "notice")
    events = [
        ActionApproved(at=_p(2026, 4, 28, 9), action_id=notice_id, by="M"),
        _taken("notice", _p(2026, 4, 28), scenario=scenario),
        DeliveryFailed(at=_p(2026, 4, 28, 11), action_id=notice_id, reason="5.1.1"),
    ]
    d = _decide(invoice, events, _p(2026, 4, 28, 12), scenario)
    action = d.action
    assert action is not None
    assert (action.channel, action.is_retry) == (Channel.LETTER, True)
    assert action.id != notice_id
    assert (action.requires_approval, action.approved) == (True, False)
    # Approving the retry itself, under its own id, is what approves it.
    approved = [*events, ActionApproved(at=_p(2026, 4, 28, 13), action_id=action.id, by="M")]
    again = _decide(invoice, approved, _p(2026, 4, 28, 14), scenario).action
    assert again is not None
    assert (again.id, again.approved) == (action.id, True)


def test_consumer_interest_runs_from_the_first_formal_notice(make_invoice: MakeInvoice) -> None:
    """A consumer served twice (Wed 27 May, then again Fri 5 June) owes from the first notice.

    Legal rate 2026 H1 "autres cas" 2.62 %. On Fri 12 June, from the first notice: 28 May to
    12 June = 16 days; 1,200.00 x 2.62 % x 16 / 365 = 503.04 / 365 = 1.3782 -> 1.38. From the
    second one it would be 6 to 12 June = 7 days: 220.08 / 365 = 0.6030 -> 0.60.
    """
    consumer = Customer(id="C-2", name="Mme Durand", kind=CustomerKind.CONSUMER)
    invoice = make_invoice(due_on=DUE, customer=consumer)
    again = ActionTaken(
        at=_p(2026, 6, 5),
        action_id=action_id("F-1", "formal_notice", 2),
        channel=Channel.REGISTERED_LETTER,
        step_id="formal_notice",
    )
    first = _taken("formal_notice", _p(2026, 5, 27))
    d = decide(invoice, [again, first], STANDARD, at=_p(2026, 6, 12), with_penalties=True)
    assert d.penalties is not None
    assert [(x.first_day, x.last_day, x.days, x.interest) for x in d.penalties.lines] == [
        (date(2026, 5, 28), date(2026, 6, 12), 16, Decimal("1.38"))
    ]
    assert d.penalties.total == Decimal("1.38")


# -- reversals (issue 19, part 5) ----------------------------------------------------------------


def _sepa_invoice() -> Invoice:
    """1,000.00 EUR, issued Fri 30 January 2026, due Mon 2 March 2026."""
    return Invoice(
        id="F-1",
        number="2026-0001",
        customer=Customer(id="C-1", name="ACME SARL"),
        issued_on=date(2026, 1, 30),
        due_on=date(2026, 3, 2),
        total=Decimal("1000.00"),
    )


def test_a_returned_direct_debit_is_chased_again() -> None:
    """Debited Tue 10 March, returned Fri 20 March: on Wed 1 April it is chased from J+1.

    With the debit standing the invoice is closed; once returned, nothing was ever paid: the
    first step (informative, J+1) is due, 30 days late, as without the debit.
    """
    invoice = _sepa_invoice()
    debit = Payment(on=date(2026, 3, 10), amount=Decimal("1000.00"), id="SEPA-7")
    returned = Reversal(
        on=date(2026, 3, 20), reverses="SEPA-7", reason=ReversalReason.RETURNED_DIRECT_DEBIT
    )
    at = _p(2026, 4, 1)
    assert decide(invoice, [debit], STANDARD, at=at).status is DecisionStatus.CLOSED
    d = decide(invoice, [debit, returned], STANDARD, at=at, with_penalties=True)
    assert (d.status, d.days_late, d.outstanding) == (
        DecisionStatus.ACTION_DUE,
        30,
        Decimal("1000.00"),
    )
    assert d.action is not None
    assert d.action.step_id == "informative"
    assert d.penalties is not None
    assert d.penalties.total == Decimal("49.99")  # 9.99 interest (test_penalties_compute) + 40
    assert d == decide(invoice, [], STANDARD, at=at, with_penalties=True)


def test_a_reversal_applies_whatever_its_date() -> None:
    """A dispute opened 5 March by mistake, reversed on 20 March: on 10 March it never paused."""
    invoice = _sepa_invoice()
    dispute = DisputeOpened(on=date(2026, 3, 5), id="D-1")
    mistake = Reversal(on=date(2026, 3, 20), reverses="D-1", reason=ReversalReason.MISTAKE)
    at = _p(2026, 3, 10)
    assert decide(invoice, [dispute], STANDARD, at=at).status is DecisionStatus.PAUSED
    assert decide(invoice, [dispute, mistake], STANDARD, at=at) == decide(
        invoice, [], STANDARD, at=at
    )


def test_a_payment_before_the_invoice_date_reversed_no_longer_blocks() -> None:
    """A payment dated 2025 by mistake raises; reversed, the invoice is decided again."""
    invoice = _sepa_invoice()
    typo = Payment(on=date(2025, 3, 10), amount=Decimal("1000.00"), id="P-1")
    at = _p(2026, 3, 3)
    with pytest.raises(InvoiceHistoryError) as info:
        decide(invoice, [typo], STANDARD, at=at)
    assert info.value.code == "event_before_issue"
    mistake = Reversal(on=date(2026, 3, 3), reverses="P-1", reason=ReversalReason.MISTAKE)
    d = decide(invoice, [typo, mistake], STANDARD, at=at)
    assert d.status is DecisionStatus.ACTION_DUE


def test_decide_many_reads_each_history_as_corrected() -> None:
    """Same decisions one by one and in a batch, with and without a reversal."""
    invoice = _sepa_invoice()
    debit = Payment(on=date(2026, 3, 10), amount=Decimal("1000.00"), id="SEPA-7")
    returned = Reversal(on=date(2026, 3, 20), reverses="SEPA-7", reason=ReversalReason.CHARGEBACK)
    pairs: list[tuple[Invoice, Sequence[Event]]] = [
        (invoice, [debit]),
        (invoice, [debit, returned]),
    ]
    at = _p(2026, 4, 1)
    for with_penalties in (False, True):
        batch = list(decide_many(pairs, STANDARD, at=at, with_penalties=with_penalties))
        assert [d.status for d in batch] == [DecisionStatus.CLOSED, DecisionStatus.ACTION_DUE]
        assert batch == [
            decide(i, e, STANDARD, at=at, with_penalties=with_penalties) for i, e in pairs
        ]
