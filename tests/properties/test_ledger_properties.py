"""Properties of money on account, in the customer's terms, over random small accounts."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import examples

from dunning.core.ledger import ImputationRule, Ledger, MoneyOnAccount, impute_on_account
from dunning.core.model import Customer, Event, Invoice, Payment

START = date(2026, 1, 1)
ON = date(2026, 6, 30)
CUSTOMER = Customer(id="C", name="C")

invoice_spec = st.tuples(
    st.integers(min_value=0, max_value=150),  # issued this many days after 1 January
    st.integers(min_value=0, max_value=60),  # payment terms in days
    st.integers(min_value=1, max_value=50_000),  # total in cents
    st.sampled_from(["EUR", "EUR", "USD"]),
    st.sampled_from([None, None, "8", "12.5", "15"]),  # contractual rate
    st.lists(  # own payments: (days after issue, share of the total in percent)
        st.tuples(st.integers(0, 120), st.integers(1, 100)), max_size=2
    ),
)
receipt_spec = st.tuples(
    st.integers(min_value=0, max_value=200),  # received this many days after 1 January
    st.integers(min_value=1, max_value=60_000),  # cents
    st.sampled_from(["EUR", "EUR", "USD"]),
    st.sampled_from([None, "F-0", "F-1", "N-2", "unknown"]),  # reference
)
accounts = st.tuples(
    st.lists(invoice_spec, min_size=0, max_size=5),
    st.lists(receipt_spec, min_size=0, max_size=4),
    st.sampled_from(list(ImputationRule)),
)
InvoiceSpec = tuple[int, int, int, str, str | None, list[tuple[int, int]]]
ReceiptSpec = tuple[int, int, str, str | None]
Drawn = tuple[list[InvoiceSpec], list[ReceiptSpec], ImputationRule]
Account = tuple[list[tuple[Invoice, list[Event]]], list[MoneyOnAccount], ImputationRule]


def build(drawn: Drawn) -> Account:
    """The invoices (with their own payments, never beyond the total) and the receipts drawn."""
    specs, receipt_specs, rule = drawn
    invoices: list[tuple[Invoice, list[Event]]] = []
    for n, (issued_after, terms, cents, currency, rate, own) in enumerate(specs):
        issued = START + timedelta(days=issued_after)
        total = Decimal(cents) / 100
        invoice = Invoice(
            id=f"F-{n}",
            number=f"N-{n}",
            customer=CUSTOMER,
            issued_on=issued,
            due_on=issued + timedelta(days=terms),
            total=total,
            currency=currency,
            contractual_rate=None if rate is None else Decimal(rate),
        )
        events: list[Event] = []
        left = total
        for after, share in own:
            amount = min(left, (total * share / 100).quantize(Decimal("0.01")))
            if amount > 0:
                events.append(
                    Payment(on=issued + timedelta(days=after), amount=amount, currency=currency)
                )
                left -= amount
        invoices.append((invoice, events))
    receipts = [
        MoneyOnAccount(
            on=START + timedelta(days=after),
            amount=Decimal(cents) / 100,
            currency=currency,
            reference=reference,
        )
        for after, cents, currency, reference in receipt_specs
    ]
    return invoices, receipts, rule


@settings(max_examples=examples(150), deadline=None)
@given(accounts)
def test_money_imputed_never_exceeds_what_each_invoice_owes(drawn: Drawn) -> None:
    """Each invoice takes at most its balance that day, after its own money and earlier receipts."""
    invoices, receipts, rule = build(drawn)
    result = impute_on_account(invoices, receipts, on=ON, rule=rule)
    by_id = {inv.id: (inv, events) for inv, events in invoices}
    for invoice_id, payments in result.payments.items():
        invoice, events = by_id[invoice_id]
        ledger = Ledger(invoice, events)
        imputed = Decimal(0)
        for payment in payments:
            assert payment.on >= invoice.issued_on
            assert payment.currency == invoice.currency
            assert payment.amount > 0
            imputed += payment.amount
            assert imputed <= ledger.balance(on=payment.on)


@settings(max_examples=examples(150), deadline=None)
@given(accounts)
def test_imputed_plus_unallocated_is_the_money_received(drawn: Drawn) -> None:
    """Per currency, what went to invoices plus what is left equals what was received by then."""
    invoices, receipts, rule = build(drawn)
    result = impute_on_account(invoices, receipts, on=ON, rule=rule)
    received: dict[str, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        if receipt.on <= ON:
            received[receipt.currency] += receipt.amount
    imputed: dict[str, Decimal] = defaultdict(Decimal)
    for payments in result.payments.values():
        for payment in payments:
            imputed[payment.currency] += payment.amount
    assert set(result.unallocated) == set(received)
    for currency, amount in received.items():
        assert imputed[currency] + result.unallocated[currency] == amount
        assert result.unallocated[currency] >= 0


@settings(max_examples=examples(150), deadline=None)
@given(accounts)
def test_an_invoice_fully_settled_is_never_imputed_more(drawn: Drawn) -> None:
    """After the imputation, no invoice has been paid more than its total by money on account."""
    invoices, receipts, rule = build(drawn)
    result = impute_on_account(invoices, receipts, on=ON, rule=rule)
    for invoice, events in invoices:
        added = list(result.payments.get(invoice.id, ()))
        if not added:
            continue
        before = Ledger(invoice, events)
        after = Ledger(invoice, [*events, *added])
        for payment in added:
            # Paid in full by its own money on that day: nothing imputed to it that day.
            assert before.balance(on=payment.on) > 0
            assert after.settled(on=payment.on) <= invoice.total


@settings(max_examples=examples(100), deadline=None)
@given(accounts, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_invoices(drawn: Drawn, rng: random.Random) -> None:
    """Giving the same invoices in another order imputes the same money to the same invoices."""
    invoices, receipts, rule = build(drawn)
    shuffled = list(invoices)
    rng.shuffle(shuffled)
    assert impute_on_account(shuffled, receipts, on=ON, rule=rule) == impute_on_account(
        invoices, receipts, on=ON, rule=rule
    )
