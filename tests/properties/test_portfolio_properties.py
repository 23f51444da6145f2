"""Properties of per-customer planning over random small portfolios (bounded)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import PARIS, examples

from dunning.core.builtin import STANDARD
from dunning.core.engine import DecisionStatus, decide
from dunning.core.model import ActionTaken, Channel, Customer, Event, Invoice, Payment
from dunning.core.portfolio import InvoiceHistory, plan_customer_actions

START = date(2026, 3, 2)

invoice_spec = st.tuples(
    st.integers(min_value=-5, max_value=60),  # due date: START - this many days
    st.integers(min_value=1, max_value=500),  # total in euros
    st.booleans(),  # paid in full before START
    st.sampled_from(["EUR", "USD"]),
)
portfolio = st.lists(st.lists(invoice_spec, min_size=1, max_size=4), min_size=1, max_size=3)


def build(spec: list[list[tuple[int, int, bool, str]]]) -> list[InvoiceHistory]:
    """Histories grouped by customer, from the drawn specification."""
    out = []
    for c, invoices in enumerate(spec):
        customer = Customer(id=f"C{c}", name=f"C{c}")
        for n, (ago, total, paid, currency) in enumerate(invoices):
            due = START - timedelta(days=ago)
            inv = Invoice(
                id=f"C{c}-{n}",
                number=f"{n}",
                customer=customer,
                issued_on=due - timedelta(days=30),
                due_on=due,
                total=Decimal(total),
                currency=currency,
            )
            events: tuple[Event, ...] = ()
            if paid:
                events = (
                    Payment(on=due - timedelta(days=1), amount=Decimal(total), currency=currency),
                )
            out.append(InvoiceHistory(invoice=inv, events=events))
    return out


def at(day: date) -> datetime:
    """10:00 in Paris on *day*."""
    return datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolio)
def test_every_overdue_invoice_is_in_exactly_one_message(spec: list) -> None:  # type: ignore[type-arg]
    """Per customer and currency with a message, each overdue unpaid invoice is listed once."""
    histories = build(spec)
    when = at(START)
    actions = list(plan_customer_actions(histories, STANDARD, at=when))
    for h in histories:
        d = decide(h.invoice, h.events, STANDARD, at=when)
        overdue = d.status not in (DecisionStatus.CLOSED, DecisionStatus.PAUSED) and d.days_late > 0
        mine = [
            a
            for a in actions
            if a.customer_id == h.invoice.customer.id and a.currency == h.invoice.currency
        ]
        count = sum(line.id == h.invoice.id for a in actions for line in a.invoices)
        if d.status is DecisionStatus.CLOSED:
            assert count == 0
        elif mine and overdue:
            assert count == 1
        assert count <= 1
    keys = [(a.customer_id, a.currency) for a in actions]
    assert len(keys) == len(set(keys))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=-5, max_value=60), min_size=1, max_size=4))
def test_nothing_for_a_paid_customer(dues: list[int]) -> None:
    """A customer whose every invoice is paid gets no message."""
    spec = [[(ago, 100, True, "EUR") for ago in dues]]
    assert list(plan_customer_actions(build(spec), STANDARD, at=at(START))) == []


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolio)
def test_no_two_messages_closer_than_the_gap(spec: list) -> None:  # type: ignore[type-arg]
    """Replaying 40 days and recording what is sent, one customer's messages stay 5 days apart."""
    histories = build(spec)
    sent_days: dict[tuple[str, str], list[date]] = {}
    by_customer: dict[str, list[date]] = {}
    for offset in range(40):
        day = START + timedelta(days=offset)
        for action in plan_customer_actions(histories, STANDARD, at=at(day)):
            by_customer.setdefault(action.customer_id, []).append(day)
            sent_days.setdefault((action.customer_id, action.currency), []).append(day)
            recorded = {a.invoice_id: a for a in action.covers}
            histories = [
                h.model_copy(
                    update={
                        "events": (
                            *h.events,
                            ActionTaken(
                                at=at(day),
                                action_id=recorded[h.invoice.id].id,
                                channel=Channel.EMAIL,
                                step_id=recorded[h.invoice.id].step_id,
                            ),
                        )
                    }
                )
                if h.invoice.id in recorded
                else h
                for h in histories
            ]
    gap = STANDARD.minimum_gap_days
    for days in by_customer.values():
        distinct = sorted(set(days))
        assert all((b - a).days >= gap for a, b in pairwise(distinct))
