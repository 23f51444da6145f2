"""Portfolio KPIs, each checked against numbers worked by hand in the test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dunning.core.builtin import DEFAULT_POLICY, FIRM, STANDARD
from dunning.core.metrics import (
    Ageing,
    Segment,
    SegmentThresholds,
    StepEffectiveness,
    ageing,
    collection_cost,
    collection_effectiveness_index,
    collection_rate,
    dso,
    litigation_rate,
    payment_delays,
    reminders_per_paid_invoice,
    silent_customers,
    step_effectiveness,
    suggest_segment,
)
from dunning.core.model import (
    ActionTaken,
    Channel,
    CreditNote,
    Customer,
    DeliveryFailed,
    DisputeOpened,
    Event,
    Installment,
    Invoice,
    Payment,
    PromiseToPay,
    Reversal,
    ReversalReason,
)
from dunning.core.portfolio import InvoiceHistory, PaymentOnAccount, PortfolioEntry
from tests.helpers import PARIS, paris_at

ACME = Customer(id="C1", name="ACME")


def inv(
    n: int,
    due: date,
    total: str,
    *events: Event,
    issued: date = date(2026, 1, 2),
    customer: Customer = ACME,
    currency: str = "EUR",
) -> InvoiceHistory:
    """Invoice F-<n> with its events."""
    return InvoiceHistory(
        invoice=Invoice(
            id=f"F-{n}",
            number=str(n),
            customer=customer,
            issued_on=issued,
            due_on=due,
            total=Decimal(total),
            currency=currency,
        ),
        events=events,
    )


def sent(day: date, step: str | None, action: str, channel: str = "email") -> ActionTaken:
    """An action delivered at 10:30 Paris time on *day*."""
    return ActionTaken(
        at=datetime(day.year, day.month, day.day, 10, 30, tzinfo=PARIS),
        action_id=action,
        channel=Channel(channel),
        step_id=step,
    )


def pay(day: date, amount: str) -> Payment:
    """A payment of *amount* (a decimal string) on *day*."""
    return Payment(on=day, amount=Decimal(amount))


AT = paris_at(2026, 4, 30)  # end of day 30 April 2026


# --------------------------------------------------------------------------------- ageing


def test_ageing_puts_each_invoice_in_the_bucket_of_its_days_late() -> None:
    """Days late on 30 April: 0 (due that day), 30, 31, 61, 90, 91; one paid, one issued later."""
    book: list[PortfolioEntry] = [
        inv(1, date(2026, 4, 30), "10.00"),  # 0 days late -> not_due
        inv(2, date(2026, 3, 31), "20.00"),  # 30 -> 1-30
        inv(3, date(2026, 3, 30), "30.00"),  # 31 -> 31-60
        inv(4, date(2026, 2, 28), "40.00"),  # 61 -> 61-90 (March 31 + April 30 = 61)
        inv(5, date(2026, 1, 30), "50.00"),  # 1 + 28 + 31 + 30 = 90 -> 61-90
        inv(6, date(2026, 1, 29), "60.00"),  # 91 -> 90+
        inv(7, date(2026, 1, 29), "70.00", pay(date(2026, 4, 30), "70.00")),
        inv(8, date(2026, 6, 1), "80.00", issued=date(2026, 5, 1)),  # not issued yet
        PaymentOnAccount(customer_id="C1", on=date(2026, 4, 1), amount=Decimal(5)),  # ignored
    ]
    a = ageing(book, at=AT)
    assert dict(a.amounts) == {
        "not_due": Decimal("10.00"),
        "1-30": Decimal("20.00"),
        "31-60": Decimal("30.00"),
        "61-90": Decimal("90.00"),  # 40 + 50
        "90+": Decimal("60.00"),
    }
    assert dict(a.counts) == {"not_due": 1, "1-30": 1, "31-60": 1, "61-90": 2, "90+": 1}
    # 10 + 20 + 30 + 90 + 60 = 210; overdue = 210 - 10 = 200.
    assert a.total == Decimal("210.00")
    assert a.overdue == Decimal("200.00")


def test_ageing_splits_installments_and_applies_payments_to_the_oldest_part() -> None:
    """300 in three parts of 100, 150 paid: 50 left of part 2 (45 days late), part 3 not due."""
    invoice = Invoice(
        id="F-9",
        number="9",
        customer=ACME,
        issued_on=date(2026, 1, 2),
        installments=(
            Installment(due_on=date(2026, 2, 15), amount=Decimal(100)),
            Installment(due_on=date(2026, 3, 16), amount=Decimal(100)),
            Installment(due_on=date(2026, 5, 15), amount=Decimal(100)),
        ),
        total=Decimal(300),
    )
    book = [InvoiceHistory(invoice=invoice, events=(pay(date(2026, 3, 1), "150"),))]
    a = ageing(book, at=AT)
    # Part 1 paid in full, part 2: 100 - 50 = 50, due 16 March: 15 + 30 = 45 days late.
    assert a.amounts["31-60"] == Decimal(50)
    assert a.amounts["not_due"] == Decimal(100)
    assert a.counts == {"not_due": 1, "1-30": 0, "31-60": 1, "61-90": 0, "90+": 0}


def test_ageing_reads_the_day_in_the_customer_time_zone_and_filters_currency() -> None:
    """23:30 UTC on 30 April is already 1 May in Paris: 1 day late, not 0; USD left out."""
    at = datetime(2026, 4, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    book = [inv(1, date(2026, 4, 30), "10"), inv(2, date(2026, 4, 1), "99", currency="USD")]
    a = ageing(book, at=at)
    assert a.amounts["1-30"] == Decimal(10)
    assert a.total == Decimal(10)
    usd = ageing(book, at=at, currency="USD")
    assert usd.amounts["1-30"] == Decimal(99)  # 1 April + 30 days = 1 May


def test_ageing_html_and_records() -> None:
    """The HTML table escapes and lists every bucket; records give one row per bucket."""
    a = ageing([inv(1, date(2026, 4, 1), "10")], at=AT)
    html = a._repr_html_()
    assert html.startswith("<table><caption>Ageing at 2026-04-30T10:00:00+02:00 (EUR)")
    assert "<td>1-30 days</td><td>10,00\xa0€</td><td>1</td>" in html
    assert a.records()[1] == {"bucket": "1-30", "amount": Decimal(10), "count": 1}


# ------------------------------------------------------------------------------------ DSO


def test_dso_standard_method_by_hand() -> None:
    """Receivables 4,000 over sales of 9,000 in 90 days: 4,000 / 9,000 x 90 = 40.0 days."""
    book = [
        # Issued 31 January: 30 April - 90 days = 30 January, so it is inside (30 Jan excluded).
        inv(1, date(2026, 3, 2), "4000", pay(date(2026, 3, 2), "4000"),
            issued=date(2026, 1, 31)),
        inv(2, date(2026, 4, 15), "2000", issued=date(2026, 3, 16)),
        inv(3, date(2026, 5, 30), "3000", pay(date(2026, 4, 30), "2000"),
            issued=date(2026, 4, 30)),
        # Issued on 30 January: outside the period; still owed, so in the receivables.
        inv(4, date(2026, 3, 1), "1000", issued=date(2026, 1, 30)),
    ]  # fmt: skip
    # Receivables: invoice 1 owes 0, 2 owes 2000, 3 owes 3000 - 2000 = 1000, 4 owes 1000:
    # 4000. Sales in the period: 4000 + 2000 + 3000 = 9000. DSO = 4000 / 9000 x 90 = 40.0.
    assert dso(book, at=AT) == Decimal("40.0")
    # Over 60 days (1 March - 30 April): sales 2000 + 3000 = 5000, 4000 / 5000 x 60 = 48.0.
    assert dso(book, at=AT, period_days=60) == Decimal("48.0")


def test_dso_rounds_half_up_to_one_decimal() -> None:
    """Receivables 1,000 over sales of 7,000: 1,000 / 7,000 x 90 = 12.857... -> 12.9."""
    book = [
        inv(1, date(2026, 5, 30), "1000", issued=date(2026, 4, 1)),
        inv(2, date(2026, 5, 30), "6000", pay(date(2026, 4, 2), "6000"),
            issued=date(2026, 4, 1)),
    ]  # fmt: skip
    assert dso(book, at=AT) == Decimal("12.9")


def test_dso_count_back_by_hand() -> None:
    """Receivables 5,000; April sales 3,000 (30 days), March 4,000: 30 + 31 x 2,000/4,000."""
    book = [
        inv(1, date(2026, 5, 30), "3000", issued=date(2026, 4, 10)),
        inv(2, date(2026, 4, 30), "4000", pay(date(2026, 4, 20), "2000"),
            issued=date(2026, 3, 5)),
        inv(3, date(2026, 3, 30), "500", pay(date(2026, 3, 30), "500"),
            issued=date(2026, 2, 5)),
    ]  # fmt: skip
    # Receivables: 3000 + 2000 = 5000. April (1-30, 30 days): sales 3000 <= 5000 -> 30 days,
    # 2000 left. March (31 days): sales 4000 > 2000 -> 31 x 2000 / 4000 = 15.5. DSO = 45.5.
    assert dso(book, at=AT, method="count_back") == Decimal("45.5")


def test_dso_count_back_counts_the_current_month_to_the_day() -> None:
    """On 10 April, April counts 10 days: receivables 4,000 = April's 1,000 + March's 3,000."""
    book = [
        inv(1, date(2026, 5, 9), "1000", issued=date(2026, 4, 9)),
        inv(2, date(2026, 4, 30), "3000", issued=date(2026, 3, 31)),
    ]
    # April: 10 days, 1000 covered, 3000 left; March: 3000 covered exactly -> 31 days. 41.0.
    assert dso(book, at=paris_at(2026, 4, 10), method="count_back") == Decimal("41.0")


def test_dso_count_back_skips_months_without_sales() -> None:
    """No sales in March: a whole 31 days, then February's 28 x 1,000 / 2,000."""
    book = [inv(1, date(2026, 3, 30), "2000", pay(date(2026, 3, 1), "1000"),
                issued=date(2026, 2, 10))]  # fmt: skip
    # Receivables 1000. April 30 days (no sales), March 31 days (none), Feb: 28 x 1000/2000 = 14
    assert dso(book, at=AT, method="count_back") == Decimal("75.0")


def test_dso_without_sales_is_none() -> None:
    """No invoice issued in the period: nothing to divide by, None; no invoice at all: None."""
    old = [inv(1, date(2026, 1, 10), "100", issued=date(2025, 12, 1))]
    assert dso(old, at=AT) is None
    assert dso([], at=AT, method="count_back") is None
    # Paid in full, count-back: no receivables, 0 days.
    paid = [inv(1, date(2026, 4, 10), "100", pay(date(2026, 4, 9), "100"))]
    assert dso(paid, at=AT, method="count_back") == Decimal("0.0")


def test_dso_validates_its_options() -> None:
    """A period of 0 days and an unknown method are refused, naming the argument."""
    with pytest.raises(ValidationError) as error:
        dso([], at=AT, period_days=0)
    assert error.value.errors()[0]["loc"] == ("period_days",)
    assert error.value.errors()[0]["type"] == "greater_than_equal"
    with pytest.raises(ValidationError) as error:
        dso([], at=AT, method="average")
    assert error.value.errors()[0]["loc"] == ("method",)
    with pytest.raises(ValueError, match="at: an instant must be timezone-aware"):
        dso([], at=datetime(2026, 4, 30))


# ------------------------------------------------------------------- collection and CEI


def test_collection_rate_by_hand() -> None:
    """April: opening 1,000 + issued 2,000 - credit 200 = 2,800 collectible; 700 collected."""
    book = [
        # Opening: 1500 - 500 paid in March = 1000 outstanding on 31 March; 400 paid in April.
        inv(1, date(2026, 3, 1), "1500", pay(date(2026, 3, 10), "500"),
            pay(date(2026, 4, 10), "400")),
        # Issued in April: 2000, credit note 200, 300 paid in April, 100 on 1 May (outside).
        inv(2, date(2026, 5, 10), "2000", CreditNote(on=date(2026, 4, 12), amount=Decimal(200)),
            pay(date(2026, 4, 30), "300"),
            pay(date(2026, 5, 1), "100"), issued=date(2026, 4, 10)),
        inv(3, date(2026, 6, 1), "999", issued=date(2026, 5, 2)),  # after the period
    ]  # fmt: skip
    # collected = 400 + 300 = 700; 700 / 2800 x 100 = 25.0 %.
    rate = collection_rate(book, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert rate == Decimal("25.0")


def test_collection_rate_empty_and_bad_period() -> None:
    """Nothing collectible gives None; an end before the start is refused."""
    assert collection_rate([], start=date(2026, 4, 1), end=date(2026, 4, 30)) is None
    with pytest.raises(ValueError, match="end: 2026-03-31 is before start 2026-04-01"):
        collection_rate([], start=date(2026, 4, 1), end=date(2026, 3, 31))


def test_collection_effectiveness_index_by_hand() -> None:
    """B 1,000, S 3,000, E 1,800 of which C 1,000 current: (4,000-1,800)/(4,000-1,000) = 73.3."""
    book = [
        # Opening 1000 (issued in March), 600 paid in April: 400 left, overdue.
        inv(1, date(2026, 3, 31), "1000", pay(date(2026, 4, 5), "600"),
            issued=date(2026, 3, 1)),
        # Issued in April, 2000, due 20 April, 1600 paid: 400 left, overdue.
        inv(2, date(2026, 4, 20), "2000", pay(date(2026, 4, 25), "1600"),
            issued=date(2026, 4, 1)),
        # Issued in April, 1000, due 30 April (the last day): current, 1000 left.
        inv(3, date(2026, 4, 30), "1000", issued=date(2026, 4, 15)),
    ]  # fmt: skip
    # E = 400 + 400 + 1000 = 1800; C = 1000. (1000 + 3000 - 1800) / (1000 + 3000 - 1000)
    # = 2200 / 3000 = 73.333... -> 73.3 %.
    cei = collection_effectiveness_index(book, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert cei == Decimal("73.3")


def test_collection_effectiveness_index_is_none_when_nothing_fell_due() -> None:
    """Only a current invoice: B + S - C = 0, so there is nothing to measure."""
    book = [inv(1, date(2026, 5, 30), "100", issued=date(2026, 4, 2))]
    assert collection_effectiveness_index(book, start=date(2026, 4, 1), end=AT.date()) is None


# ------------------------------------------------------------- actions and what follows


def test_step_effectiveness_by_hand() -> None:
    """Reminder: 2 delivered, both paid after it in 4 and 7 days (5.5); firm: 1, none paid."""
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            sent(date(2026, 3, 9), "reminder", "a2"), pay(date(2026, 3, 13), "10")),
        inv(2, date(2026, 3, 1), "10", sent(date(2026, 3, 9), "reminder", "b2"),
            pay(date(2026, 3, 16), "10")),
        inv(3, date(2026, 3, 1), "10", sent(date(2026, 3, 16), "firm", "c3"),
            sent(date(2026, 3, 17), None, "manual")),
        # Bounced: not delivered, not counted.
        inv(4, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "d1"),
            DeliveryFailed(at=paris_at(2026, 3, 2, 12), action_id="d1")),
    ]  # fmt: skip
    assert step_effectiveness(book, at=AT) == (
        StepEffectiveness("firm", delivered=1, paid_after=0, average_days_to_pay=None),
        StepEffectiveness("informative", delivered=1, paid_after=0, average_days_to_pay=None),
        # (13 - 9) = 4 and (16 - 9) = 7 days: (4 + 7) / 2 = 5.5.
        StepEffectiveness("reminder", 2, paid_after=2, average_days_to_pay=Decimal("5.5")),
    )  # fmt: skip
    # 2 paid after 2 delivered: 100.0 %; firm: 0 of 1 = 0.0 %.
    assert step_effectiveness(book, at=AT)[2].paid_share == Decimal("100.0")
    assert step_effectiveness(book, at=AT)[0].paid_share == Decimal("0.0")


def test_step_effectiveness_ignores_actions_after_the_payment() -> None:
    """Paid on 5 March, a reminder recorded on 9 March: the informative one gets the credit."""
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            pay(date(2026, 3, 5), "10"), sent(date(2026, 3, 9), "reminder", "a2")),
    ]  # fmt: skip
    result = {s.step_id: s for s in step_effectiveness(book, at=AT)}
    assert result["informative"].average_days_to_pay == Decimal("3.0")  # 5 - 2
    assert result["reminder"].paid_after == 0


def test_reminders_per_paid_invoice_by_hand() -> None:
    """Paid invoices: 3 actions + 1 action + 0 actions = 4 over 3 paid = 1.33; unpaid left out."""
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            sent(date(2026, 3, 9), "reminder", "a2"), sent(date(2026, 3, 16), "firm", "a3"),
            pay(date(2026, 3, 20), "10")),
        inv(2, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "b1"),
            pay(date(2026, 3, 5), "10")),
        inv(3, date(2026, 3, 1), "10", pay(date(2026, 3, 1), "10")),
        inv(4, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "c1")),
        # Paid after the day measured: not paid yet.
        inv(5, date(2026, 3, 1), "10", pay(date(2026, 5, 1), "10")),
    ]  # fmt: skip
    assert reminders_per_paid_invoice(book, at=AT) == Decimal("1.33")
    assert reminders_per_paid_invoice(book[3:], at=AT) is None


def test_litigation_rate_by_hand() -> None:
    """Of 5 overdue invoices (one paid late, one bounced notice), 1 got a formal notice: 20 %."""
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 4, 2), "formal_notice", "a1",
                                            "registered_letter")),
        inv(2, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "b1")),
        inv(3, date(2026, 3, 1), "10", pay(date(2026, 3, 20), "10")),  # paid late
        inv(4, date(2026, 3, 1), "10"),
        inv(5, date(2026, 3, 1), "10", pay(date(2026, 3, 1), "10")),  # on time
        inv(6, date(2026, 4, 30), "10"),  # due today: not overdue yet
        # A notice that bounced does not count.
        inv(7, date(2026, 3, 1), "10", sent(date(2026, 4, 2), "formal_notice", "g1"),
            DeliveryFailed(at=paris_at(2026, 4, 3), action_id="g1")),
    ]  # fmt: skip
    # Overdue: 1, 2, 3, 4, 7 = 5 invoices; reached a notice: invoice 1 -> 1 / 5 = 20.0 %.
    assert litigation_rate(book, STANDARD, at=AT) == Decimal("20.0")
    assert litigation_rate(book, DEFAULT_POLICY, at=AT) == Decimal("20.0")
    assert litigation_rate(book, [FIRM], at=AT) == Decimal("20.0")
    assert litigation_rate(book[4:6], STANDARD, at=AT) is None


def test_collection_cost_counts_grouped_messages_once() -> None:
    """One letter covering two invoices + a bounced SMS + 2 emails: 6.50 + 0.10 + 0 = 6.60."""
    other = Customer(id="C2", name="Other")
    letter = sent(date(2026, 4, 2), "formal_notice", "x", "registered_letter")
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            ActionTaken(at=letter.at, action_id="a5", channel=Channel.REGISTERED_LETTER)),
        inv(2, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "b1"),
            ActionTaken(at=letter.at, action_id="b5", channel=Channel.REGISTERED_LETTER)),
        inv(3, date(2026, 3, 1), "10", sent(date(2026, 3, 9), "sms", "c2", "sms"),
            DeliveryFailed(at=paris_at(2026, 3, 9, 11), action_id="c2"), customer=other),
        inv(4, date(2026, 3, 1), "10", customer=other),  # never chased
        inv(5, date(2026, 3, 1), "10", sent(date(2026, 5, 2), "informative", "z")),  # later
    ]  # fmt: skip
    costs: dict[Channel | str, Decimal | int | str] = {
        "email": "0",
        "sms": Decimal("0.10"),
        "registered_letter": "6.50",
        "letter": 2,
    }
    cost = collection_cost(book, costs, at=AT)
    # Messages: C1 email on 2 March (one, covering F-1 and F-2), C1 letter on 2 April (one),
    # C2 SMS on 9 March (bounced, still paid for). Chased: F-1, F-2, F-3 = 3 invoices.
    assert cost.messages == {"email": 1, "registered_letter": 1, "sms": 1}
    assert cost.total == Decimal("6.60")
    assert cost.invoices_chased == 3
    assert cost.per_invoice == Decimal("2.20")  # 6.60 / 3


def test_collection_cost_refuses_floats_and_missing_channels() -> None:
    """A float unit cost is refused with float_amount; a channel used but not priced too."""
    book = [inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"))]
    with pytest.raises(ValidationError) as error:
        collection_cost(book, {"email": 0.1}, at=AT)  # type: ignore[dict-item]
    assert error.value.errors()[0]["type"] == "float_amount"
    assert error.value.errors()[0]["loc"] == ("email",)
    with pytest.raises(ValueError, match="unit_costs: no cost for channel 'email'"):
        collection_cost(book, {"sms": "0.1"}, at=AT)
    empty = collection_cost([], {}, at=AT)
    assert (empty.total, empty.per_invoice) == (Decimal(0), None)


def test_silent_customers() -> None:
    """A: 2 actions, paid before them only; B: answered by a dispute; C: only 1 action."""
    a, b, c = (Customer(id=x, name=x) for x in "ABC")
    book: list[PortfolioEntry] = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            pay(date(2026, 3, 1), "5"), customer=a),
        inv(2, date(2026, 3, 1), "10", sent(date(2026, 3, 9), "reminder", "a2"), customer=a),
        inv(3, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "b1"),
            sent(date(2026, 3, 9), "reminder", "b2"), DisputeOpened(on=date(2026, 3, 10)),
            customer=b),
        inv(4, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "c1"), customer=c),
        PaymentOnAccount(customer_id="C", on=date(2026, 3, 3), amount=Decimal(1)),
    ]  # fmt: skip
    assert silent_customers(book, at=AT) == ("A",)
    assert silent_customers(book, at=AT, min_actions=1) == ("A", "C")
    with pytest.raises(ValueError, match="min_actions: must be at least 1, got 0"):
        silent_customers(book, at=AT, min_actions=0)


# ------------------------------------------------------------------------- segmentation


def paid_history(*delays: int, customer: Customer = ACME) -> list[InvoiceHistory]:
    """One invoice per delay, due on the 1st of successive months of 2025, paid that late."""
    out = []
    for n, late in enumerate(delays, start=1):
        due = date(2025, n, 1)
        paid = pay(due + timedelta(days=late), "10")
        out.append(inv(n, due, "10", paid, issued=date(2025, 1, 1), customer=customer))
    return out


def test_payment_delays_oldest_first_and_never_negative() -> None:
    """Paid 3 days early counts 0; order follows the payment days."""
    book = paid_history(10, -3, 25)
    assert payment_delays(book, at=AT) == (10, 0, 25)


@pytest.mark.parametrize(
    ("delays", "expected"),
    [
        ((0, 3, 6), Segment.GOOD),  # average 3 <= 5, max 6 <= 15
        ((0, 0, 15), Segment.GOOD),  # average 5 <= 5, max 15 <= 15
        ((0, 0, 16), Segment.DEFAULT),  # average 5.33 > 5
        ((0, 0, 0, 0, 0, 20), Segment.DEFAULT),  # average 3.33 but one 20 > 15
        ((10, 20, 30), Segment.DEFAULT),  # average 20
        ((20, 40, 30), Segment.LATE),  # average 30 >= 30
        ((3,), Segment.DEFAULT),  # a single paid invoice: not enough history
        # Only the last 6 paid count: six 0s after a 30 and a 25 (paid 31 Jan and 26 Feb, before
        # the others) -> good; all 8 would average 55 / 8 = 6.9 with a 30 -> default.
        ((30, 25, 0, 0, 0, 0, 0, 0), Segment.GOOD),
    ],
)
def test_suggest_segment_from_paid_history(delays: tuple[int, ...], expected: Segment) -> None:
    """The default thresholds: good <= 5 on average and none > 15, late >= 30 on average."""
    assert suggest_segment(paid_history(*delays), at=AT) is expected


def test_suggest_segment_an_old_open_invoice_makes_a_late_payer() -> None:
    """A good history, but an invoice 60 days late on 30 April (due 1 March): late."""
    book = [*paid_history(0, 0, 0), inv(9, date(2026, 3, 1), "10")]
    assert suggest_segment(book, at=AT) is Segment.LATE
    # 59 days late: still good.
    book = [*paid_history(0, 0, 0), inv(9, date(2026, 3, 2), "10")]
    assert suggest_segment(book, at=AT) is Segment.GOOD


def test_suggest_segment_thresholds_are_configurable_and_feed_a_policy() -> None:
    """With good up to an average of 10, (8, 9) is good; DEFAULT_POLICY then picks gentle."""
    rules = SegmentThresholds(good_max_average_days_late=Decimal(10), min_paid_invoices=2)
    segment = suggest_segment(paid_history(8, 9), at=AT, thresholds=rules)
    assert segment is Segment.GOOD
    customer = ACME.model_copy(update={"segment": segment.value})
    assert DEFAULT_POLICY.scenario_for(customer).id == "gentle"
    with pytest.raises(ValidationError) as error:
        SegmentThresholds(good_max_average_days_late=5.0)  # type: ignore[arg-type]
    assert error.value.errors()[0]["type"] == "float_amount"


def test_ageing_result_is_plain_data() -> None:
    """An Ageing can be built directly and totals its buckets."""
    a = Ageing(AT, "EUR", {"not_due": Decimal(1), "90+": Decimal(2)}, {"not_due": 1, "90+": 1})
    assert a.total == Decimal(3)


def test_an_action_on_the_payment_day_gets_the_credit() -> None:
    """A reminder the morning of the day the money arrives: it counts, 0 days to pay."""
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            sent(date(2026, 3, 9), "reminder", "a2"), pay(date(2026, 3, 9), "10")),
    ]  # fmt: skip
    result = {s.step_id: s for s in step_effectiveness(book, at=AT)}
    assert result["reminder"].average_days_to_pay == Decimal("0.0")
    assert result["informative"].paid_after == 0


def test_an_answer_on_the_day_of_the_first_action_is_an_answer() -> None:
    """A promise made the day the first reminder went out: the customer responded."""
    promise = PromiseToPay(on=date(2026, 3, 2), promised_on=date(2026, 3, 20))
    book = [
        inv(1, date(2026, 3, 1), "10", sent(date(2026, 3, 2), "informative", "a1"),
            sent(date(2026, 3, 9), "reminder", "a2"), promise),
    ]  # fmt: skip
    assert silent_customers(book, at=AT) == ()


def test_percentages_round_half_up() -> None:
    """1 formal notice among 16 overdue invoices: 6.25 % -> 6.3 (half-up, not half-even 6.2)."""
    notice = sent(date(2026, 4, 2), "formal_notice", "n1", "registered_letter")
    book = [inv(1, date(2026, 3, 1), "10", notice)]
    book += [inv(n, date(2026, 3, 1), "10") for n in range(2, 17)]
    assert litigation_rate(book, STANDARD, at=AT) == Decimal("6.3")


def test_a_reversed_payment_is_no_payment_for_the_metrics() -> None:
    """F-1 due 1 March, paid 11 March (10 days late) by a debit returned on the 20th.

    Returned, it was never paid: no payment delay, nothing collected in March (collectible
    10.00 issued 2 January, before the period: the receivable of 28 February), and A, reminded
    twice, never answered.
    """
    debit = Payment(on=date(2026, 3, 11), amount=Decimal(10), id="SEPA-1")
    returned = Reversal(
        on=date(2026, 3, 20), reverses="SEPA-1", reason=ReversalReason.RETURNED_DIRECT_DEBIT
    )
    reminded = (
        sent(date(2026, 3, 2), "informative", "a1"),
        sent(date(2026, 3, 9), "reminder", "a2"),
    )
    standing: list[PortfolioEntry] = [inv(1, date(2026, 3, 1), "10", *reminded, debit)]
    book: list[PortfolioEntry] = [inv(1, date(2026, 3, 1), "10", *reminded, debit, returned)]
    assert payment_delays(standing, at=AT) == (10,)
    assert payment_delays(book, at=AT) == ()
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    assert collection_rate(standing, start=start, end=end) == Decimal(100)
    assert collection_rate(book, start=start, end=end) == Decimal(0)
    assert silent_customers(standing, at=AT) == ()
    assert silent_customers(book, at=AT) == ("C1",)
