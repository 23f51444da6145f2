"""Properties of decide() over generated invoices, histories and instants (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples

from dunning import (
    FIRM,
    GENTLE,
    STANDARD,
    Channel,
    CreditNote,
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
    Payment,
    PaymentPlanAgreed,
    PromiseToPay,
    Scenario,
    decide,
)
from dunning.engine import timeline
from dunning.model import ActionTaken
from dunning.scenarios import CatchUp

SETTINGS = settings(
    max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# (time zone, subdivision): mainland, Moselle, La Réunion (UTC+4), Guadeloupe (UTC-4).
PLACES = [
    ("Europe/Paris", None),
    ("Europe/Paris", "57"),
    ("Indian/Reunion", "974"),
    ("America/Guadeloupe", "971"),
]
SCENARIOS = [
    *(s for s in (GENTLE, STANDARD, FIRM)),
    *(s.model_copy(update={"catch_up": CatchUp.JUMP_TO_DUE_LEVEL}) for s in (STANDARD, FIRM)),
    STANDARD.model_copy(update={"minimum_gap_days": 9, "business_days_only": False}),
    FIRM.model_copy(update={"minimum_gap_days": 1, "grace_days": 0}),
]
FIRST_ISSUE = date(2026, 1, 5)
HORIZON = 150  # days after the issue date within which events and instants fall


Case = tuple[Invoice, list[Event], Scenario, datetime]


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    """An invoice of 1.00 to 5,000.00 EUR, due 0 to 60 days after issue, one or two parts."""
    zone, subdivision = draw(st.sampled_from(PLACES))
    opted = draw(
        st.frozensets(st.sampled_from([Channel.EMAIL, Channel.SMS, Channel.LETTER]), max_size=2)
    )
    customer = Customer(
        id="C", name="Client", time_zone=zone, subdivision=subdivision, opted_out=opted
    )
    issued = FIRST_ISSUE + timedelta(days=draw(st.integers(0, 60)))
    due = issued + timedelta(days=draw(st.integers(0, 60)))
    cents = draw(st.integers(100, 500_000))
    total = Decimal(cents) / 100
    if draw(st.booleans()) and cents >= 2:
        first = Decimal(draw(st.integers(1, cents - 1))) / 100
        second_due = due + timedelta(days=draw(st.integers(1, 45)))
        parts = (
            Installment(due_on=due, amount=first),
            Installment(due_on=second_due, amount=total - first),
        )
        return Invoice(
            id="F", number="N", customer=customer, issued_on=issued, installments=parts, total=total
        )
    return Invoice(id="F", number="N", customer=customer, issued_on=issued, due_on=due, total=total)


@st.composite
def histories(draw: st.DrawFn, invoice: Invoice) -> list[Event]:
    """Up to six events dated within HORIZON days of the issue date (no delivery failures)."""
    tz = invoice.customer.tz
    total_cents = int(invoice.total * 100)
    events: list[Event] = []
    for n in range(draw(st.integers(0, 6))):
        on = invoice.issued_on + timedelta(days=draw(st.integers(0, HORIZON)))
        later = on + timedelta(days=draw(st.integers(0, 40)))
        amount = Decimal(draw(st.integers(1, total_cents))) / 100
        kind = draw(
            st.sampled_from(
                [
                    "payment",
                    "credit_note",
                    "dispute_opened",
                    "dispute_resolved",
                    "promise",
                    "plan",
                    "hold",
                    "hold_lifted",
                    "manual",
                ]
            )
        )
        if kind == "payment":
            events.append(Payment(on=on, amount=amount))
        elif kind == "credit_note":
            events.append(CreditNote(on=on, amount=amount))
        elif kind == "dispute_opened":
            events.append(DisputeOpened(on=on))
        elif kind == "dispute_resolved":
            events.append(DisputeResolved(on=on))
        elif kind == "promise":
            promised = draw(st.none() | st.just(amount))
            events.append(PromiseToPay(on=on, promised_on=later, amount=promised))
        elif kind == "plan":
            parts = (
                Installment(due_on=later, amount=amount),
                Installment(due_on=later + timedelta(days=30), amount=amount),
            )
            events.append(PaymentPlanAgreed(on=on, installments=parts))
        elif kind == "hold":
            events.append(HoldPlaced(on=on, until=draw(st.none() | st.just(later))))
        elif kind == "hold_lifted":
            events.append(HoldLifted(on=on))
        else:
            at = datetime.combine(on, time(draw(st.integers(0, 23))), tzinfo=tz)
            deadline = draw(st.none() | st.integers(1, 20))
            events.append(
                ActionTaken(
                    at=at, action_id=f"manual-{n}", channel=Channel.EMAIL, deadline_days=deadline
                )
            )
    return events


def _instant(draw: st.DrawFn, invoice: Invoice) -> datetime:
    day = invoice.issued_on + timedelta(days=draw(st.integers(0, HORIZON)))
    clock = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 1, 29, 30, 59])))
    return datetime.combine(day, clock, tzinfo=invoice.customer.tz)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """An invoice, its history, a scenario and an instant to decide at."""
    invoice = draw(invoices())
    return (
        invoice,
        draw(histories(invoice)),
        draw(st.sampled_from(SCENARIOS)),
        _instant(draw, invoice),
    )


def _known_at(events: list[Event], at: datetime, tz: ZoneInfo) -> list[Event]:
    """The history as the host knows it at *at*: nothing dated later."""
    today = at.astimezone(tz).date()
    return [
        e
        for e in events
        if (e.at <= at if isinstance(e, ActionTaken) else e.on <= today)  # type: ignore[union-attr]
    ]


def _stable(d: Decision) -> tuple[object, ...]:
    """What must not change before next_review_at.

    Days late and stated deadlines grow every day regardless; next_review_at itself may be
    refined (an earlier, harmless review), so it is not compared.
    """
    return (
        d.status,
        d.level,
        d.next_step_id,
        d.outstanding,
        tuple(
            (a.id, a.step_id, a.channel, a.due_at, a.requires_approval, a.approved, a.is_retry)
            for a in d.actions
        ),
    )


@SETTINGS
@given(cases())
def test_decide_is_deterministic(case: Case) -> None:
    """The same arguments always give the same decision."""
    invoice, events, scenario, at = case
    assert decide(invoice, events, scenario, at=at) == decide(invoice, events, scenario, at=at)


@SETTINGS
@given(cases())
def test_recorded_action_is_not_proposed_again(case: Case) -> None:
    """Once the action returned is recorded at that instant, nothing new is due then."""
    invoice, events, scenario, at = case
    action = decide(invoice, events, scenario, at=at).action
    if action is None:
        return
    recorded = ActionTaken(
        at=at,
        action_id=action.id,
        channel=action.channel,
        step_id=action.step_id,
        deadline_days=action.deadline_days,
    )
    again = decide(invoice, [*events, recorded], scenario, at=at)
    assert again.action is None
    assert again.status is not DecisionStatus.ACTION_DUE


@SETTINGS
@given(cases(), st.integers(0, 30))
def test_no_action_after_full_payment(case: Case, days_before: int) -> None:
    """Once the whole balance is paid, the invoice is closed with nothing to do."""
    invoice, events, scenario, at = case
    today = at.astimezone(invoice.customer.tz).date()
    paid_on = max(invoice.issued_on, today - timedelta(days=days_before))
    payment = Payment(on=paid_on, amount=invoice.total)
    d = decide(invoice, [*events, payment], scenario, at=at)
    assert d.status is DecisionStatus.CLOSED
    assert d.actions == ()
    assert d.next_review_at is None


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_timeline_respects_the_minimum_gap(data: st.DataObject) -> None:
    """Over a 120-day replay, no action follows another delivered one within the gap."""
    invoice = data.draw(invoices())
    events = data.draw(histories(invoice))
    scenario = data.draw(st.sampled_from(SCENARIOS))
    tz = invoice.customer.tz
    t = timeline(
        invoice,
        events,
        scenario,
        start=invoice.issued_on,
        end=invoice.issued_on + timedelta(days=120),
    )
    delivered = [e for e in t.events if isinstance(e, ActionTaken)]
    gap = timedelta(days=scenario.minimum_gap_days)
    for entry in t.entries:
        if entry.action is None:
            continue
        sent_at = datetime.combine(entry.on, time(10, 30), tzinfo=tz)
        for other in delivered:
            if other.action_id == entry.action.id or other.at > sent_at:
                continue
            assert other.at.astimezone(tz).date() + gap <= entry.on, (other, entry.action)


@SETTINGS
@given(cases(), st.lists(st.integers(0, 999), min_size=1, max_size=4))
def test_nothing_changes_before_next_review(case: Case, per_mille: list[int]) -> None:
    """Between ``at`` and just before ``next_review_at`` the decision stays the same."""
    invoice, events, scenario, at = case
    events = _known_at(events, at, invoice.customer.tz)
    first = decide(invoice, events, scenario, at=at)
    if first.next_review_at is None:
        end = at + timedelta(days=60)
        probes = []
    else:
        end = first.next_review_at
        probes = [end - timedelta(seconds=1)]
    assert end > at
    # Floor division keeps every probe strictly before the end.
    probes += [at + (end - at) * p // 1000 for p in per_mille]
    for probe in probes:
        later = decide(invoice, events, scenario, at=probe)
        assert _stable(later) == _stable(first), probe
