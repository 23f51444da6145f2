"""The worked example of docs/metrics.md, figure by figure (the page's arithmetic is by hand)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dunning.core.builtin import STANDARD
from dunning.core.metrics import (
    StepEffectiveness,
    ageing,
    collection_cost,
    collection_effectiveness_index,
    collection_rate,
    dso,
    litigation_rate,
    reminders_per_paid_invoice,
    silent_customers,
    step_effectiveness,
    suggest_segment,
)
from dunning.core.model import ActionTaken, Channel, Customer, Event, Invoice, Payment
from dunning.core.portfolio import InvoiceHistory

PARIS = ZoneInfo("Europe/Paris")
CUSTOMER = Customer(id="C1", name="ACME SARL")
AT = datetime(2026, 4, 30, 18, tzinfo=PARIS)


def sent(month: int, day: int, step: str, n: str, channel: str = "email") -> ActionTaken:
    """An action delivered at 10:30 Paris time."""
    return ActionTaken(
        at=datetime(2026, month, day, 10, 30, tzinfo=PARIS),
        action_id=n,
        channel=Channel(channel),
        step_id=step,
    )


def invoice(name: str, issued: date, due: date, total: str, *events: Event) -> InvoiceHistory:
    """One invoice of the page's table."""
    return InvoiceHistory(
        invoice=Invoice(
            id=name, number=name, customer=CUSTOMER, issued_on=issued, due_on=due,
            total=Decimal(total),
        ),
        events=events,
    )  # fmt: skip


BOOK = [
    invoice("A", date(2026, 1, 2), date(2026, 1, 31), "1000.00",
            Payment(on=date(2026, 4, 10), amount=Decimal("400.00")),
            sent(2, 2, "informative", "a1"), sent(2, 9, "reminder", "a2"),
            sent(2, 16, "firm", "a3"), sent(3, 2, "formal_notice", "a4", "registered_letter")),
    invoice("B", date(2026, 3, 1), date(2026, 3, 31), "2000.00",
            Payment(on=date(2026, 4, 14), amount=Decimal("2000.00")),
            sent(4, 1, "informative", "b1"), sent(4, 7, "reminder", "b2")),
    invoice("C", date(2026, 4, 1), date(2026, 4, 20), "1500.00", sent(4, 21, "informative", "c1")),
    invoice("D", date(2026, 4, 15), date(2026, 5, 15), "500.00"),
]  # fmt: skip


def test_ageing_of_the_worked_example() -> None:
    """A 600.00 in 61-90 (89 days), C 1,500.00 in 1-30, D 500.00 not due: 2,600.00."""
    a = ageing(BOOK, at=AT)
    assert a.amounts == {
        "not_due": Decimal("500.00"),
        "1-30": Decimal("1500.00"),
        "31-60": Decimal(0),
        "61-90": Decimal("600.00"),
        "90+": Decimal(0),
    }
    assert (a.total, a.overdue) == (Decimal("2600.00"), Decimal("2100.00"))


def test_dso_of_the_worked_example() -> None:
    """Standard 2,600 / 4,000 x 90 = 58.5; count-back 30 + 31 x 600 / 2,000 = 39.3."""
    assert dso(BOOK, at=AT) == Decimal("58.5")
    assert dso(BOOK, at=AT, method="count_back") == Decimal("39.3")


def test_collection_rate_and_cei_of_the_worked_example() -> None:
    """April: 2,400 / 5,000 = 48.0 %; CEI (5,000 - 2,600) / (5,000 - 500) = 53.3 %."""
    start, end = date(2026, 4, 1), date(2026, 4, 30)
    assert collection_rate(BOOK, start=start, end=end) == Decimal("48.0")
    assert collection_effectiveness_index(BOOK, start=start, end=end) == Decimal("53.3")


def test_steps_reminders_litigation_cost_silence_of_the_worked_example() -> None:
    """B paid 7 days after its reminder; 2 actions per paid invoice; 1 in 3 noticed; 2.17 each."""
    assert step_effectiveness(BOOK, at=AT) == (
        StepEffectiveness("firm", 1, 0, None),
        StepEffectiveness("formal_notice", 1, 0, None),
        StepEffectiveness("informative", 3, 0, None),
        StepEffectiveness("reminder", 2, 1, Decimal("7.0")),
    )
    assert reminders_per_paid_invoice(BOOK, at=AT) == Decimal("2.00")
    assert litigation_rate(BOOK, STANDARD, at=AT) == Decimal("33.3")
    cost = collection_cost(BOOK, {"email": "0", "registered_letter": "6.50"}, at=AT)
    assert (cost.total, cost.per_invoice) == (Decimal("6.50"), Decimal("2.17"))
    assert cost.messages == {"email": 6, "registered_letter": 1}
    assert silent_customers(BOOK, at=AT) == ()
    assert suggest_segment(BOOK, at=AT).value == "late"  # A is 89 days late and open
