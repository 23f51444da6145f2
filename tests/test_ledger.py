"""The ledger: an invoice's money read once, and money on account imputed (C. civ. 1342-10).

Every expected value is worked out by hand in the test (dates counted on a calendar, cents
from the formula of DOMAIN section 5), never by the code under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning.core.ledger import (
    ImputationRule,
    Ledger,
    MoneyOnAccount,
    Movement,
    amount_outstanding,
    days_late,
    impute_on_account,
    oldest_unpaid,
    overdue_since,
    paid_on,
    part_owed,
    standing,
)
from dunning.core.model import (
    ActionTaken,
    CreditNote,
    Customer,
    DisputeOpened,
    Event,
    Installment,
    Invoice,
    Payment,
)
from dunning.core.penalties import compute_penalties
from dunning.exceptions import InvoiceHistoryError

D = Decimal
ACME = Customer(id="C1", name="ACME SARL")


def invoice(
    ident: str,
    due: date,
    total: str,
    *,
    issued: date | None = None,
    currency: str = "EUR",
    rate: str | None = None,
    number: str | None = None,
) -> Invoice:
    return Invoice(
        id=ident,
        number=number or f"N-{ident}",
        customer=ACME,
        issued_on=issued or date(2026, 1, 2),
        due_on=due,
        total=D(total),
        currency=currency,
        contractual_rate=None if rate is None else D(rate),
    )


THREE_PARTS = Invoice(
    id="F-3",
    number="2026-0003",
    customer=ACME,
    issued_on=date(2026, 1, 5),
    total=D("900.00"),
    installments=(
        Installment(due_on=date(2026, 2, 5), amount=D("300.00")),
        Installment(due_on=date(2026, 3, 5), amount=D("300.00")),
        Installment(due_on=date(2026, 4, 5), amount=D("300.00")),
    ),
)


def amounts(result_payments: tuple[Payment, ...]) -> list[tuple[date, Decimal]]:
    return [(p.on, p.amount) for p in result_payments]


# ------------------------------------------------------------------------- reading money


def test_part_owed_settles_older_parts_first() -> None:
    """A part owes nothing until the money has covered the older parts, then what is left."""
    assert part_owed(D(300), D(300), D(200)) == D(300)
    assert part_owed(D(300), D(300), D(450)) == D(150)
    assert part_owed(D(300), D(300), D(600)) == D(0)
    assert part_owed(D(300), D(300), D(700)) == D(0)


def test_installments_partial_payment_settles_the_oldest_installment_first() -> None:
    """450 paid on a 3 x 300 invoice leaves 150 of the 2nd installment and all of the 3rd."""
    ledger = Ledger(THREE_PARTS, [Payment(on=date(2026, 2, 10), amount=D("450.00"))])
    assert ledger.tranches(on=date(2026, 3, 10)) == (
        (date(2026, 3, 5), D("150.00")),
        (date(2026, 4, 5), D("300.00")),
    )
    assert ledger.balance(on=date(2026, 3, 10)) == D("450.00")
    assert ledger.anchor(on=date(2026, 3, 10)) == date(2026, 3, 5)
    assert ledger.days_late(on=date(2026, 3, 10)) == 5  # 6, 7, 8, 9, 10 March


def test_before_the_payment_every_installment_is_owed() -> None:
    """The day before the money arrives, the first installment anchors the lateness."""
    ledger = Ledger(THREE_PARTS, [Payment(on=date(2026, 2, 10), amount=D("450.00"))])
    assert ledger.settled(on=date(2026, 2, 9)) == D(0)
    assert ledger.anchor(on=date(2026, 2, 9)) == date(2026, 2, 5)
    assert ledger.days_late(on=date(2026, 2, 9)) == 4


def test_exactly_one_installment_paid_moves_the_anchor_to_the_next() -> None:
    """Paying exactly the first installment makes the second one the oldest unpaid part."""
    parts = THREE_PARTS.schedule
    assert oldest_unpaid(parts, D("299.99")) == date(2026, 2, 5)
    assert oldest_unpaid(parts, D("300.00")) == date(2026, 3, 5)
    assert oldest_unpaid(parts, D("900.00")) is None


def test_standing_in_one_pass_agrees_with_the_ledger() -> None:
    """standing() gives the ledger's balance and anchor; money dated after the day is ignored."""
    events: list[Event] = [
        Payment(on=date(2026, 2, 10), amount=D("450.00")),
        Payment(on=date(2026, 3, 11), amount=D("100.00")),
    ]
    on = date(2026, 3, 10)
    assert standing(THREE_PARTS, events, on=on) == (D("450.00"), date(2026, 3, 5))
    assert Ledger(THREE_PARTS, events).standing(on=on) == (D("450.00"), date(2026, 3, 5))
    assert standing(THREE_PARTS, events, on=date(2026, 3, 11)) == (D("350.00"), date(2026, 3, 5))


def test_credit_note_settles_like_a_payment_and_is_listed_with_its_number() -> None:
    """A credit note reduces the balance from its date and shows as a credit on a statement."""
    events: list[Event] = [
        CreditNote(on=date(2026, 1, 20), amount=D("100.00"), number="AV-7"),
        Payment(on=date(2026, 2, 6), amount=D("50.00"), reference="VIR 88"),
        DisputeOpened(on=date(2026, 2, 1)),
    ]
    ledger = Ledger(invoice("F-1", date(2026, 2, 1), "400.00"), events)
    assert ledger.balance(on=date(2026, 1, 19)) == D("400.00")
    assert ledger.balance(on=date(2026, 1, 20)) == D("300.00")
    assert ledger.balance(on=date(2026, 2, 6)) == D("250.00")
    assert ledger.movements() == (
        Movement(on=date(2026, 1, 20), amount=D("100.00"), kind="credit_note", reference="AV-7"),
        Movement(on=date(2026, 2, 6), amount=D("50.00"), kind="payment", reference="VIR 88"),
    )
    assert ledger.movements(on=date(2026, 2, 5)) == ledger.movements()[:1]


def test_money_is_read_by_date_whatever_the_order_given() -> None:
    """Payments given out of date order are read by date: the paid day is the later one."""
    inv = invoice("F-1", date(2026, 2, 1), "100.00")
    events = [
        Payment(on=date(2026, 2, 20), amount=D(40)),
        Payment(on=date(2026, 2, 1), amount=D(60)),
    ]
    assert paid_on(inv, events) == date(2026, 2, 20)
    assert Ledger(inv, events).received_between(date(2026, 2, 2), date(2026, 2, 20)) == D(40)


def test_front_doors_keep_their_answers() -> None:
    """amount_outstanding, overdue_since, days_late and paid_on answer as before the ledger."""
    inv = invoice("F-1", date(2026, 2, 4), "1200.00", issued=date(2026, 1, 5))
    events: list[Event] = [
        Payment(on=date(2026, 2, 10), amount=D("200.00")),
        ActionTaken.model_validate(
            {"at": "2026-02-11T09:00:00+01:00", "action_id": "a1", "channel": "email"}
        ),
    ]
    assert amount_outstanding(inv, events, on=date(2026, 2, 20)) == D("1000.00")
    assert overdue_since(inv, events, on=date(2026, 2, 4)) is None  # the due date is not late
    assert overdue_since(inv, events, on=date(2026, 2, 5)) == date(2026, 2, 4)
    assert days_late(inv, events, on=date(2026, 2, 20)) == 16
    assert paid_on(inv, events) is None
    assert paid_on(inv, events, tolerance=D("1000.00")) == date(2026, 2, 10)


def test_an_overpayment_leaves_nothing_outstanding_and_nothing_late() -> None:
    """Money beyond the total leaves a zero balance, no tranche and no anchor."""
    ledger = Ledger(
        invoice("F-1", date(2026, 2, 1), "100.00"), [Payment(on=date(2026, 2, 3), amount=D(150))]
    )
    assert ledger.balance(on=date(2026, 2, 3)) == D(0)
    assert ledger.tranches(on=date(2026, 2, 3)) == ()
    assert ledger.anchor(on=date(2026, 2, 3)) is None
    assert ledger.paid_on() == date(2026, 2, 3)


# ------------------------------------------------------------- money on account (1342-10)


def test_domain_9_7_worked_example_interest_is_43_94_not_99_86() -> None:
    """10,000 due 3 March 2026, 6,000 on account on 5 March: 6.66 + 37.28 = 43.94 to 2 April."""
    inv = invoice("F-101", date(2026, 3, 3), "10000.00", issued=date(2026, 2, 1))
    result = impute_on_account(
        [(inv, [])], [MoneyOnAccount(on=date(2026, 3, 5), amount=D("6000.00"))], on=date(2026, 4, 2)
    )
    assert amounts(result.payments["F-101"]) == [(date(2026, 3, 5), D("6000.00"))]
    assert result.unallocated == {"EUR": D("0.00")}
    breakdown = compute_penalties(inv, list(result.payments["F-101"]), until=date(2026, 4, 2))
    # 4-5 March: 10000 x 12.15 % x 2 / 365 = 6.6575... -> 6.66 (a payment day still bears
    # interest); 6 March-2 April: 4000 x 12.15 % x 28 / 365 = 37.282... -> 37.28.
    got = [(x.first_day, x.last_day, x.days, x.principal, x.annual_rate, x.interest)
           for x in breakdown.lines]  # fmt: skip
    assert got == [
        (date(2026, 3, 4), date(2026, 3, 5), 2, D("10000.00"), D("12.15"), D("6.66")),
        (date(2026, 3, 6), date(2026, 4, 2), 28, D("4000.00"), D("12.15"), D("37.28")),
    ]
    assert breakdown.interest == D("43.94")
    assert breakdown.total == D("83.94")  # + the 40.00 recovery indemnity


def test_imputed_payments_say_they_are_money_on_account() -> None:
    """The Payment added is dated the receipt's day and its reference names the receipt."""
    inv = invoice("F-1", date(2026, 2, 1), "100.00")
    result = impute_on_account(
        [(inv, [])],
        [MoneyOnAccount(on=date(2026, 2, 3), amount=D("30.00"), reference="VIR 12")],
        on=date(2026, 2, 28),
    )
    assert result.payments == {
        "F-1": (
            Payment(
                on=date(2026, 2, 3),
                amount=D("30.00"),
                reference="imputed on account (receipt of 2026-02-03, ref. VIR 12)",
            ),
        )
    }


def test_a_reference_that_pays_the_invoice_in_full_binds() -> None:
    """The debtor names the newer invoice and pays all of it: it goes there, not to the oldest."""
    old = invoice("F-1", date(2026, 2, 1), "500.00")
    new = invoice("F-2", date(2026, 2, 15), "200.00", number="2026-0002")
    result = impute_on_account(
        [(old, []), (new, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("250.00"), reference="2026-0002")],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-2"]) == [(date(2026, 3, 1), D("200.00"))]
    assert amounts(result.payments["F-1"]) == [(date(2026, 3, 1), D("50.00"))]  # the excess


def test_a_reference_that_does_not_pay_in_full_is_ignored() -> None:
    """150 naming a 200 invoice does not bind: the older due invoice takes it."""
    old = invoice("F-1", date(2026, 2, 1), "500.00")
    new = invoice("F-2", date(2026, 2, 15), "200.00")
    result = impute_on_account(
        [(old, []), (new, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("150.00"), reference="F-2")],
        on=date(2026, 3, 31),
    )
    assert result.payments.keys() == {"F-1"}
    assert amounts(result.payments["F-1"]) == [(date(2026, 3, 1), D("150.00"))]


def test_the_reference_counts_the_invoice_own_payments() -> None:
    """100 pays in full a 300 invoice already paid 200: the reference binds."""
    old = invoice("F-1", date(2026, 2, 1), "500.00")
    new = invoice("F-2", date(2026, 2, 15), "300.00")
    paid = [Payment(on=date(2026, 2, 20), amount=D("200.00"))]
    result = impute_on_account(
        [(old, []), (new, paid)],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("100.00"), reference="F-2")],
        on=date(2026, 3, 31),
    )
    assert result.payments.keys() == {"F-2"}
    assert amounts(result.payments["F-2"]) == [(date(2026, 3, 1), D("100.00"))]


def test_due_debts_are_paid_before_those_not_yet_due() -> None:
    """On 1 March, the invoice due 15 March waits: the one due 20 February takes the money."""
    due = invoice("F-9", date(2026, 2, 20), "100.00")
    not_due = invoice("F-1", date(2026, 3, 15), "100.00", rate="20")  # costlier, but not due
    result = impute_on_account(
        [(not_due, []), (due, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("150.00"))],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-9"]) == [(date(2026, 3, 1), D("100.00"))]
    assert amounts(result.payments["F-1"]) == [(date(2026, 3, 1), D("50.00"))]


def test_an_invoice_due_on_the_receipt_day_is_due() -> None:
    """A debt is due on its due date: due that day, it goes before one due the next day."""
    today_due = invoice("F-2", date(2026, 3, 1), "100.00")
    later = invoice("F-1", date(2026, 3, 2), "100.00", rate="20")
    result = impute_on_account(
        [(today_due, []), (later, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("100.00"))],
        on=date(2026, 3, 31),
    )
    assert result.payments.keys() == {"F-2"}


def test_among_due_debts_the_highest_contractual_rate_first() -> None:
    """The debtor had most interest to pay the invoice at 15 %: it goes before older ones."""
    oldest = invoice("F-1", date(2026, 1, 15), "100.00")
    cheap = invoice("F-2", date(2026, 1, 20), "100.00", rate="10")
    dear = invoice("F-3", date(2026, 2, 1), "100.00", rate="15")
    result = impute_on_account(
        [(oldest, []), (cheap, []), (dear, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("150.00"))],
        on=date(2026, 3, 31),
    )
    assert {k: amounts(v) for k, v in result.payments.items()} == {
        "F-3": [(date(2026, 3, 1), D("100.00"))],
        "F-2": [(date(2026, 3, 1), D("50.00"))],
    }


def test_at_equal_interest_the_oldest_then_the_id() -> None:
    """Same rate: the oldest due date first; same due date too: the smaller invoice id."""
    b = invoice("F-B", date(2026, 1, 20), "100.00")
    a = invoice("F-A", date(2026, 1, 20), "100.00")
    oldest = invoice("F-Z", date(2026, 1, 10), "100.00")
    result = impute_on_account(
        [(b, []), (a, []), (oldest, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("150.00"))],
        on=date(2026, 3, 31),
    )
    assert {k: amounts(v) for k, v in result.payments.items()} == {
        "F-Z": [(date(2026, 3, 1), D("100.00"))],
        "F-A": [(date(2026, 3, 1), D("50.00"))],
    }


def test_oldest_first_ignores_rates() -> None:
    """With rule='oldest_first' the oldest due date wins over a higher contractual rate."""
    oldest = invoice("F-1", date(2026, 1, 15), "100.00")
    dear = invoice("F-3", date(2026, 2, 1), "100.00", rate="15")
    result = impute_on_account(
        [(oldest, []), (dear, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("100.00"))],
        on=date(2026, 3, 31),
        rule=ImputationRule.OLDEST_FIRST,
    )
    assert result.payments.keys() == {"F-1"}


def test_installments_a_receipt_fills_what_the_invoice_owes() -> None:
    """A receipt on a 3 x 300 invoice already paid 450 takes at most the 450 left."""
    result = impute_on_account(
        [(THREE_PARTS, [Payment(on=date(2026, 2, 10), amount=D("450.00"))])],
        [MoneyOnAccount(on=date(2026, 3, 10), amount=D("500.00"))],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-3"]) == [(date(2026, 3, 10), D("450.00"))]
    assert result.unallocated == {"EUR": D("50.00")}


def test_a_credit_note_reduces_what_the_invoice_can_take() -> None:
    """A 100 invoice with a 40 credit note takes 60 of a 100 receipt; 40 stays on account."""
    inv = invoice("F-1", date(2026, 2, 1), "100.00")
    result = impute_on_account(
        [(inv, [CreditNote(on=date(2026, 2, 2), amount=D("40.00"))])],
        [MoneyOnAccount(on=date(2026, 2, 10), amount=D("100.00"))],
        on=date(2026, 2, 28),
    )
    assert amounts(result.payments["F-1"]) == [(date(2026, 2, 10), D("60.00"))]
    assert result.unallocated == {"EUR": D("40.00")}


def test_money_never_goes_to_another_currency() -> None:
    """A USD receipt leaves the EUR invoice alone and pays the USD one; leftovers by currency."""
    eur = invoice("F-1", date(2026, 2, 1), "100.00")
    usd = invoice("F-2", date(2026, 2, 1), "80.00", currency="USD")
    result = impute_on_account(
        [(eur, []), (usd, [])],
        [
            MoneyOnAccount(on=date(2026, 2, 10), amount=D("100.00"), currency="USD"),
            MoneyOnAccount(on=date(2026, 2, 11), amount=D("30.00"), currency="GBP"),
        ],
        on=date(2026, 2, 28),
    )
    assert result.payments.keys() == {"F-2"}
    assert amounts(result.payments["F-2"]) == [(date(2026, 2, 10), D("80.00"))]
    assert result.unallocated == {"GBP": D("30.00"), "USD": D("20.00")}


def test_leftover_pays_an_invoice_issued_later_from_its_issue_date() -> None:
    """What is left on account pays an invoice issued afterwards, dated its issue date."""
    first = invoice("F-1", date(2026, 2, 1), "100.00")
    later = invoice("F-2", date(2026, 4, 10), "300.00", issued=date(2026, 3, 10))
    result = impute_on_account(
        [(first, []), (later, [])],
        [MoneyOnAccount(on=date(2026, 2, 5), amount=D("250.00"))],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-1"]) == [(date(2026, 2, 5), D("100.00"))]
    assert amounts(result.payments["F-2"]) == [(date(2026, 3, 10), D("150.00"))]
    assert result.unallocated == {"EUR": D("0.00")}


def test_receipts_and_invoices_after_the_day_are_left_out() -> None:
    """A receipt dated after `on` is not imputed; an invoice issued after `on` takes nothing."""
    inv = invoice("F-1", date(2026, 2, 1), "100.00")
    future = invoice("F-2", date(2026, 5, 1), "100.00", issued=date(2026, 4, 1))
    result = impute_on_account(
        [(inv, []), (future, [])],
        [
            MoneyOnAccount(on=date(2026, 2, 5), amount=D("150.00")),
            MoneyOnAccount(on=date(2026, 4, 2), amount=D("10.00")),
        ],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-1"]) == [(date(2026, 2, 5), D("100.00"))]
    assert result.unallocated == {"EUR": D("50.00")}


def test_receipts_are_taken_in_date_order() -> None:
    """The earlier receipt is imputed first: it fills the oldest invoice, the later one the next."""
    a = invoice("F-1", date(2026, 2, 1), "100.00")
    b = invoice("F-2", date(2026, 2, 10), "100.00")
    result = impute_on_account(
        [(a, []), (b, [])],
        [
            MoneyOnAccount(on=date(2026, 3, 5), amount=D("100.00")),
            MoneyOnAccount(on=date(2026, 3, 1), amount=D("100.00")),
        ],
        on=date(2026, 3, 31),
    )
    assert amounts(result.payments["F-1"]) == [(date(2026, 3, 1), D("100.00"))]
    assert amounts(result.payments["F-2"]) == [(date(2026, 3, 5), D("100.00"))]


def test_a_number_two_invoices_share_names_neither() -> None:
    """A reference to a number two invoices carry is ambiguous: the ordinary order applies."""
    old = invoice("F-1", date(2026, 2, 1), "100.00", number="2026-0001")
    twin = invoice("F-2", date(2026, 2, 15), "100.00", number="2026-0009")
    other = invoice("F-3", date(2026, 2, 20), "100.00", number="2026-0009")
    for order in ([old, twin, other], [other, twin, old]):
        result = impute_on_account(
            [(inv, []) for inv in order],
            [MoneyOnAccount(on=date(2026, 3, 1), amount=D("100.00"), reference="2026-0009")],
            on=date(2026, 3, 31),
        )
        assert result.payments.keys() == {"F-1"}


def test_a_settled_invoice_takes_nothing() -> None:
    """An invoice already paid in full before the receipt is skipped."""
    paid = invoice("F-1", date(2026, 2, 1), "100.00")
    open_ = invoice("F-2", date(2026, 2, 10), "100.00")
    result = impute_on_account(
        [(paid, [Payment(on=date(2026, 2, 1), amount=D("100.00"))]), (open_, [])],
        [MoneyOnAccount(on=date(2026, 3, 1), amount=D("60.00"), reference="F-1")],
        on=date(2026, 3, 31),
    )
    assert result.payments.keys() == {"F-2"}


def test_duplicate_invoice_ids_are_refused() -> None:
    """Two invoices with one id cannot be told apart: InvoiceHistoryError duplicate_invoice."""
    inv = invoice("F-1", date(2026, 2, 1), "100.00")
    with pytest.raises(InvoiceHistoryError) as caught:
        impute_on_account([(inv, []), (inv, [])], [], on=date(2026, 3, 1))
    assert (caught.value.code, caught.value.invoice_id) == ("duplicate_invoice", "F-1")


def test_an_unknown_rule_is_refused() -> None:
    """A rule name that does not exist is a ValueError."""
    with pytest.raises(ValueError, match="fifo"):
        impute_on_account([], [], on=date(2026, 3, 1), rule="fifo")
