"""Properties of portfolio simulations over random seeds (small books, bounded runs)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import PARIS, examples

from dunning.core.builtin import DEFAULT_POLICY, STANDARD
from dunning.core.conversation import STAFF_CHANNELS
from dunning.core.metrics import ageing
from dunning.core.model import ActionTaken
from dunning.core.simulate import simulate, synthetic_portfolio

START = date(2026, 3, 2)
END = date(2026, 4, 10)
seeds = st.integers(min_value=0, max_value=2**32)


@settings(max_examples=examples(5), deadline=None)
@given(seeds)
def test_same_seed_same_book_and_same_simulation(seed: int) -> None:
    """Drawing the book and simulating it twice with one seed gives equal results."""
    first = synthetic_portfolio(8, seed=seed, as_of=START)
    assert first == synthetic_portfolio(8, seed=seed, as_of=START)
    one = simulate(first, DEFAULT_POLICY, start=START, end=END, seed=seed)
    two = simulate(first, DEFAULT_POLICY, start=START, end=END, seed=seed)
    assert one == two
    assert one.entries == two.entries


@settings(max_examples=examples(8), deadline=None)
@given(seeds)
def test_the_runner_rules_hold_in_every_simulation(seed: int) -> None:
    """The customer's messages 7 days apart, staff tasks apart, and money is conserved."""
    book = synthetic_portfolio(10, seed=seed, as_of=START)
    result = simulate(book, STANDARD, start=START, end=END, seed=seed)
    by_customer: dict[tuple[str, bool], list[date]] = {}
    for message in result.messages:
        staff = message.channel in STAFF_CHANNELS
        by_customer.setdefault((message.customer_id, staff), []).append(message.on)
    for (_, staff), days in by_customer.items():
        # Messages to the customer at least the conversation's 7 days apart; staff tasks at
        # least the ladder's own 5 days apart.
        gap = STANDARD.minimum_gap_days if staff else STANDARD.conversation.customer_gap_days
        assert all((b - a).days >= gap for a, b in pairwise(days))
    # What is still owed plus what was collected is what the book owed at the start (read on
    # the book as given, without the simulation's payments).
    owed_before = ageing(book.entries, at=datetime.combine(START, time(12), tzinfo=PARIS)).total
    for day in result.days:
        assert day.outstanding + day.collected == owed_before
    assert all(b.collected >= a.collected for a, b in pairwise(result.days))
    # Each action recorded belongs to a message sent that day.
    sent_days = {(m.customer_id, m.on) for m in result.messages}
    for entry in result.entries:
        for event in entry.events:
            if isinstance(event, ActionTaken):
                on = event.at.astimezone(entry.invoice.customer.tz).date()
                assert (entry.customer_id, on) in sent_days
    # Nobody pays more than is owed.
    paid: dict[str, Decimal] = {}
    for payment in result.payments:
        paid[payment.invoice_id] = paid.get(payment.invoice_id, Decimal(0)) + payment.amount
    totals = {e.invoice.id: e.invoice.total for e in book.entries}
    assert all(amount <= totals[invoice_id] for invoice_id, amount in paid.items())
