"""The event-driven simulation gives exactly what the day-by-day loop gave (issue 23).

`simulate` plans a customer only on the days when something can change for it; the loop it
replaced (`tests.simulate_reference.simulate_day_by_day`) planned every customer every day.
For the same arguments both must give equal results: the same messages on the same days, the
same payments, the same daily figures (to the exponent of each Decimal) and the same book.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.metrics import Segment
from dunning.core.model import (
    ActionTaken,
    Channel,
    Customer,
    CustomerKind,
    Event,
    Invoice,
    Payment,
    PromiseToPay,
)
from dunning.core.policy import Policy
from dunning.core.portfolio import InvoiceHistory, PaymentOnAccount, PortfolioEntry
from dunning.core.scenario import CatchUp, ConversationRules, Scenario
from dunning.core.simulate import Behaviour, SimulationResult, simulate, synthetic_portfolio
from tests.simulate_reference import simulate_day_by_day

START = date(2026, 3, 2)  # a Monday
END = START + timedelta(days=89)
JUMP = STANDARD.model_copy(update={"id": "jump", "catch_up": CatchUp.JUMP_TO_DUE_LEVEL})
# Conversation rules tight enough that each of them holds messages back and lets them go again
# within 90 days: quiet periods, notice spacing, complementary notices, minimum amounts.
TIGHT = STANDARD.model_copy(
    update={
        "id": "tight",
        "conversation": ConversationRules(
            customer_gap_days=3,
            messages_per_30_days=4,
            pull_forward_days=4,
            notice_spacing_days=20,
            notice_minimum=Decimal(600),
            minimum_overdue=Decimal(200),
            complementary_gap_days=3,
            quiet_days=12,
            quiet_days_after_notice=25,
        ),
    }
)
# Customers who answer a lot: payments, partial payments, promises and disputes all happen.
LIVELY = Behaviour(
    response=dict.fromkeys(Segment, 0.3),
    partial_payment=0.4,
    promise=0.2,
    promise_days=6,
    dispute=0.1,
    dispute_days=9,
)


def assert_same(new: SimulationResult, old: SimulationResult) -> None:
    """Equal results, and equal reprs of the days (a Decimal's exponent included)."""
    assert new.messages == old.messages
    assert new.payments == old.payments
    assert repr(new.days) == repr(old.days)
    assert new.entries == old.entries
    assert new.penalties == old.penalties
    assert new == old


@pytest.mark.parametrize(
    ("size", "seed", "candidate", "delay", "behaviour"),
    [
        (40, 1, STANDARD, 2, None),
        (40, 2, FIRM, 0, None),
        (40, 3, GENTLE, 1, LIVELY),
        (40, 4, DEFAULT_POLICY, 2, LIVELY),
        (40, 5, JUMP, 2, LIVELY),
        (80, 6, STANDARD, 0, LIVELY),
        (60, 7, TIGHT, 2, None),
        (60, 8, TIGHT, 0, LIVELY),
    ],
)
def test_synthetic_books_give_what_the_day_by_day_loop_gave(
    size: int,
    seed: int,
    candidate: Scenario | Policy,
    delay: int,
    behaviour: Behaviour | None,
) -> None:
    """Synthetic books, scenarios, a policy, approval delays and lively customers: same result."""
    book = synthetic_portfolio(size, seed=seed, as_of=START)
    args: dict[str, Any] = {
        "start": START,
        "end": END,
        "seed": seed,
        "approval_delay_days": delay,
        "behaviour": behaviour,
    }
    assert_same(simulate(book, candidate, **args), simulate_day_by_day(book, candidate, **args))


def invoice(customer: Customer, n: int, due: date, total: str) -> Invoice:
    """Invoice F-<n> of *customer*, issued 30 days before *due*."""
    return Invoice(
        id=f"F-{n}",
        number=f"2026-{n:04d}",
        customer=customer,
        issued_on=due - timedelta(days=30),
        due_on=due,
        total=Decimal(total),
    )


def conversation_book() -> list[PortfolioEntry]:
    """One customer with six invoices falling due over two months, and a few odd others.

    The first customer's invoices meet the conversation's rules: grouped messages, the gap,
    the cap, notices pulled forward, courtesy steps riding along. The others have what the
    day-by-day loop read every day: an event and a payment on account dated ahead, a time
    zone whose local day at noon UTC is the next day, one
    issued after the start.
    """
    acme = Customer(id="C1", name="ACME SARL")
    entries: list[PortfolioEntry] = [
        InvoiceHistory(invoice=invoice(acme, n, START + timedelta(days=d), total))
        for n, (d, total) in enumerate(
            [
                (-40, "1200.00"),
                (-12, "80.50"),
                (-3, "450"),
                (4, "2000.00"),
                (15, "99.99"),
                (33, "10"),
            ],
            start=1,
        )
    ]
    later = Customer(id="C2", name="Later SAS")
    promised: tuple[Event, ...] = (
        PromiseToPay(on=START + timedelta(days=12), promised_on=START + timedelta(days=20)),
        Payment(on=START + timedelta(days=25), amount=Decimal("100.00")),
    )
    entries += [
        InvoiceHistory(
            invoice=invoice(later, 11, START - timedelta(days=20), "300.00"), events=promised
        ),
        InvoiceHistory(invoice=invoice(later, 12, START + timedelta(days=45), "640.00")),
        PaymentOnAccount(customer_id="C2", on=START + timedelta(days=30), amount=Decimal("300.00")),
    ]
    far = Customer(
        id="C3", name="Kiritimati SARL", time_zone="Pacific/Kiritimati", kind=CustomerKind.CONSUMER
    )
    entries += [
        InvoiceHistory(invoice=invoice(far, 21, START - timedelta(days=2), "75.00")),
        InvoiceHistory(invoice=invoice(far, 22, START + timedelta(days=8), "510.00")),
    ]
    return entries


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("candidate", [STANDARD, GENTLE, JUMP, TIGHT], ids=lambda s: s.id)
def test_a_conversation_over_several_invoices_gives_what_the_loop_gave(
    seed: int, candidate: Scenario
) -> None:
    """One customer, six invoices, the conversation's rules, and events dated ahead: same result."""
    entries = conversation_book()
    quiet = Behaviour(response=dict.fromkeys(Segment, 0.05), promise=0.1, dispute=0.05)
    for behaviour in (quiet, LIVELY):
        args: dict[str, Any] = {"start": START, "end": END, "seed": seed, "behaviour": behaviour}
        new = simulate(entries, candidate, **args)
        assert_same(new, simulate_day_by_day(entries, candidate, **args))


def test_the_conversation_book_is_what_it_says() -> None:
    """The odd customers are read: the far customer's messages, its local day."""
    entries = conversation_book()
    result = simulate(entries, STANDARD, start=START, end=END, seed=1, behaviour=Behaviour())
    assert {m.customer_id for m in result.messages} >= {"C1", "C3"}
    # Noon UTC on 2 March is 02:00 on 3 March in Kiritimati (UTC+14).
    noon = datetime(2026, 3, 2, 12, tzinfo=ZoneInfo("UTC"))
    assert noon.astimezone(ZoneInfo("Pacific/Kiritimati")).date() == date(2026, 3, 3)


def test_the_daily_figures_keep_the_exponent_of_what_is_still_owed() -> None:
    """Once the invoice of 100.00 is paid, the 450 still owed reads Decimal('450') (a sum's)."""
    acme = Customer(id="C1", name="ACME SARL")
    entries: list[PortfolioEntry] = [
        InvoiceHistory(invoice=invoice(acme, 1, START + timedelta(days=10), "100.00")),
        InvoiceHistory(
            invoice=Invoice(
                id="F-2",
                number="2026-0002",
                customer=acme,
                issued_on=START - timedelta(days=5),
                due_on=END + timedelta(days=30),
                total=Decimal(450),
            )
        ),
    ]
    # Everyone pays on time: F-1 by its due date, F-2 only after the run.
    punctual = Behaviour(on_time=dict.fromkeys(Segment, 1.0))
    result = simulate(entries, STANDARD, start=START, end=END, seed=1, behaviour=punctual)
    assert [(p.invoice_id, p.amount) for p in result.payments] == [("F-1", Decimal("100.00"))]
    first, last = result.days[0], result.days[-1]
    assert repr(first.outstanding) == "Decimal('550.00')"
    assert repr(last.outstanding) == "Decimal('450')"
    assert repr(last.overdue) == "Decimal('0')"


def test_an_invoice_due_on_the_first_day_falls_overdue_the_day_after() -> None:
    """Due on 2 March: not overdue at the end of 2 March (0 days late), overdue on 3 March."""
    acme = Customer(id="C1", name="ACME SARL")
    entries: list[PortfolioEntry] = [InvoiceHistory(invoice=invoice(acme, 1, START, "80.00"))]
    silent = Behaviour(
        on_time=dict.fromkeys(Segment, 0.0),
        response=dict.fromkeys(Segment, 0.0),
        promise=0.0,
        dispute=0.0,
    )
    result = simulate(entries, STANDARD, start=START, end=END, seed=1, behaviour=silent)
    assert result.payments == ()
    assert [(d.outstanding, d.overdue) for d in result.days[:2]] == [
        (Decimal("80.00"), Decimal(0)),
        (Decimal("80.00"), Decimal("80.00")),
    ]


SILENT = Behaviour(
    on_time=dict.fromkeys(Segment, 0.0),
    response=dict.fromkeys(Segment, 0.0),
    promise=0.0,
    dispute=0.0,
)


def test_a_paid_invoices_reminder_still_spaces_and_sets_the_tone() -> None:
    """F-1, paid, was reminded on Thu 26 February: F-2's first message waits for Thu 5 March."""
    # A paid invoice takes no part in a plan, but its messages are the customer's: STANDARD
    # keeps 7 days between two messages (26 February + 7 = 5 March), and the conversation is
    # at the reminder's level 2, so F-2's informative step (level 1) goes in its tone.
    acme = Customer(id="C1", name="ACME SARL")
    reminded = ActionTaken(
        at=datetime(2026, 2, 26, 10, 30, tzinfo=ZoneInfo("Europe/Paris")),
        action_id="a1",
        channel=Channel.EMAIL,
        step_id="reminder",
    )
    paid = Payment(on=date(2026, 2, 27), amount=Decimal("100.00"))
    entries: list[PortfolioEntry] = [
        InvoiceHistory(
            invoice=invoice(acme, 1, date(2026, 2, 2), "100.00"), events=(reminded, paid)
        ),
        InvoiceHistory(invoice=invoice(acme, 2, date(2026, 2, 27), "80.00")),
    ]
    result = simulate(entries, STANDARD, start=START, end=END, seed=1, behaviour=SILENT)
    first = result.messages[0]
    assert (first.on, first.invoice_ids, first.level) == (date(2026, 3, 5), ("F-2",), 2)
    args: dict[str, Any] = {"start": START, "end": END, "seed": 1, "behaviour": SILENT}
    assert_same(result, simulate_day_by_day(entries, STANDARD, **args))
