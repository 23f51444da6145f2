"""What one customer receives over four months, on random books (DOMAIN 9), in their terms.

Each example is a customer with 1 to 5 invoices falling due at staggered dates, some partly
paid, some disputed for a while, some with a promise to pay; it is walked day by day through
the planner with every message delivered and every formal notice approved on the day
(`tests.conversation_walk.walk`). The properties are about the messages that went out.
``DUNNING_CONVERSATION_EXAMPLES`` sets the number of examples (by default 40 under the
``thorough`` hypothesis profile, fewer in the default run: `tests.helpers.examples`; locally,
run several thousand once).
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.conversation_walk import Sent, walk
from tests.helpers import PARIS, examples

from dunning.core.builtin import BUILTIN_SCENARIOS
from dunning.core.conversation import STAFF_CHANNELS
from dunning.core.model import (
    Customer,
    CustomerKind,
    DisputeOpened,
    DisputeResolved,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
)
from dunning.core.portfolio import InvoiceHistory
from dunning.core.scenario import Scenario, StepKind

START = date(2026, 2, 2)
DAYS = 120
EXAMPLES = int(os.environ.get("DUNNING_CONVERSATION_EXAMPLES", examples(40)))


@st.composite
def books(draw: st.DrawFn) -> tuple[list[InvoiceHistory], Scenario]:
    """A customer's invoices (1 to 5) and one of the built-in ladders."""
    scenario = draw(st.sampled_from(sorted(BUILTIN_SCENARIOS.values(), key=lambda s: s.id)))
    kind = draw(st.sampled_from([CustomerKind.BUSINESS, CustomerKind.CONSUMER]))
    customer = Customer(
        id="C",
        name="Client",
        kind=kind,
        email="c@example.com",
        postal_address="1 rue X, 69001 Lyon",
    )
    histories = []
    for n in range(draw(st.integers(1, 5))):
        due = START + timedelta(days=draw(st.integers(0, 60)))
        total = Decimal(draw(st.integers(2_000, 500_000))) / 100
        events: list[Event] = []
        if draw(st.booleans()):
            paid = Decimal(draw(st.integers(100, int(total * 100)))) / 100
            events.append(Payment(on=due + timedelta(days=draw(st.integers(-5, 70))), amount=paid))
        if draw(st.integers(0, 4)) == 0:
            opened = due + timedelta(days=draw(st.integers(1, 40)))
            events.append(DisputeOpened(on=opened, reason="livraison"))
            if draw(st.booleans()):
                events.append(DisputeResolved(on=opened + timedelta(days=draw(st.integers(1, 30)))))
        if draw(st.integers(0, 4)) == 0:
            made = due + timedelta(days=draw(st.integers(1, 30)))
            events.append(
                PromiseToPay(on=made, promised_on=made + timedelta(days=draw(st.integers(1, 15))))
            )
        histories.append(
            InvoiceHistory(
                invoice=Invoice(
                    id=f"F{n}",
                    number=f"2026-{n:04d}",
                    customer=customer,
                    issued_on=due - timedelta(days=30),
                    due_on=due,
                    total=total,
                ),
                events=tuple(events),
            )
        )
    return histories, scenario


def _walked(book: tuple[list[InvoiceHistory], Scenario]) -> tuple[list[Sent], Scenario]:
    histories, scenario = book
    return walk(histories, scenario, start=START, days=DAYS), scenario


def _notice_steps(scenario: Scenario) -> set[str]:
    return {s.id for s in scenario.steps if s.kind is StepKind.FORMAL_NOTICE}


# DUNNING_NO_SHRINK=1 (for mutation runs) reports the first failing example without shrinking.
_PHASES = (
    (Phase.explicit, Phase.reuse, Phase.generate)
    if os.environ.get("DUNNING_NO_SHRINK")
    else tuple(Phase)
)
conversation = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=_PHASES,
)


@conversation
@given(books())
def test_no_invoice_is_put_on_notice_twice(book: tuple[list[InvoiceHistory], Scenario]) -> None:
    """Each invoice is demanded in at most one formal notice."""
    sent, scenario = _walked(book)
    notices = _notice_steps(scenario)
    on_notice = [a.invoice_id for s in sent for a in s.action.covers if a.step_id in notices]
    assert len(on_notice) == len(set(on_notice))


@conversation
@given(books())
def test_every_invoice_on_notice_was_named_in_an_earlier_message(
    book: tuple[list[InvoiceHistory], Scenario],
) -> None:
    """A notice never covers an invoice the customer was never written to about."""
    sent, scenario = _walked(book)
    notices = _notice_steps(scenario)
    for n, message in enumerate(sent):
        for a in message.action.covers:
            if a.step_id not in notices:
                continue
            earlier = [
                s
                for s in sent[:n]
                if s.to_customer and s.on < message.on and a.invoice_id in s.invoice_ids
            ]
            assert earlier, (a.invoice_id, message.describe())


@conversation
@given(books())
def test_two_notices_are_apart_by_the_first_deadline_plus_the_gap(
    book: tuple[list[InvoiceHistory], Scenario],
) -> None:
    """A second notice comes 15 days or more after the first one's deadline, complementary."""
    sent, scenario = _walked(book)
    notices = [s for s in sent if s.action.kind is StepKind.FORMAL_NOTICE]
    gap = timedelta(days=scenario.conversation.complementary_gap_days)
    for first, second in pairwise(notices):
        assert first.action.deadline_on is not None
        assert second.on >= first.action.deadline_on + gap
        assert second.action.complementary_notice
        assert second.action.requires_approval


@conversation
@given(books())
def test_the_tone_never_goes_back_and_nothing_follows_a_notice_but_a_notice(
    book: tuple[list[InvoiceHistory], Scenario],
) -> None:
    """Levels of the customer's messages never go down; after a notice only notices follow."""
    sent, _ = _walked(book)
    written = [s for s in sent if s.to_customer]
    for before, after in pairwise(written):
        if (after.on - before.on).days >= 90:  # a quiet period closed the conversation
            continue
        assert after.action.level >= before.action.level, (before.describe(), after.describe())
        if before.action.kind is StepKind.FORMAL_NOTICE:
            assert after.action.kind is StepKind.FORMAL_NOTICE
            assert after.action.notice_on is not None


@conversation
@given(books())
def test_messages_reach_their_addressee(book: tuple[list[InvoiceHistory], Scenario]) -> None:
    """A staff task never records a customer's step, and a customer's message no staff step."""
    sent, scenario = _walked(book)
    for s in sent:
        for a in s.action.covers:
            step = scenario.step(a.step_id)
            assert step is not None
            assert (step.channel in STAFF_CHANNELS) == (not s.to_customer), s.describe()


@conversation
@given(books())
def test_spacing_caps_and_deadlines_hold(book: tuple[list[InvoiceHistory], Scenario]) -> None:
    """7 days between messages, 3 in 30 days (consumers 2), nothing while a deadline runs."""
    sent, scenario = _walked(book)
    rules = scenario.conversation
    written = [s for s in sent if s.to_customer]
    consumer = book[0][0].invoice.customer.kind is CustomerKind.CONSUMER
    cap = rules.consumer_messages_per_30_days if consumer else rules.messages_per_30_days
    for n, s in enumerate(written):
        if n:
            assert (s.on - written[n - 1].on).days >= rules.customer_gap_days
        window = [w for w in written[: n + 1] if (s.on - w.on).days < 30]
        assert len(window) <= cap
        for earlier in written[:n]:
            if earlier.action.deadline_on is not None:
                assert s.on > earlier.action.deadline_on, (earlier.describe(), s.describe())


@conversation
@given(books())
def test_nothing_for_paid_or_disputed_invoices(book: tuple[list[InvoiceHistory], Scenario]) -> None:
    """No step is taken on an invoice paid in full or disputed that day."""
    histories, _ = book
    sent, _ = _walked(book)
    by_id = {h.invoice.id: h for h in histories}
    for s in sent:
        at = datetime.combine(s.on, time(23, 59), tzinfo=PARIS)
        for a in s.action.covers:
            history = by_id[a.invoice_id]
            paid = sum(
                (e.amount for e in history.events if isinstance(e, Payment) and e.on <= s.on),
                Decimal(0),
            )
            assert paid < history.invoice.total, (a.invoice_id, s.describe())
            opened = [e.on for e in history.events if isinstance(e, DisputeOpened)]
            resolved = [e.on for e in history.events if isinstance(e, DisputeResolved)]
            if opened and opened[0] <= s.on:
                assert resolved, (a.invoice_id, s.describe(), at)
                assert resolved[0] <= s.on, (a.invoice_id, s.describe(), at)
