"""Properties of the portfolio KPIs over random small books (bounded)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import PARIS, examples

from dunning.core.ledger import amount_outstanding
from dunning.core.metrics import AGEING_BUCKETS, ageing, collection_rate, dso
from dunning.core.model import Customer, Invoice, Payment
from dunning.core.portfolio import InvoiceHistory

AT = datetime(2026, 4, 30, 18, tzinfo=PARIS)

invoice_spec = st.tuples(
    st.integers(min_value=0, max_value=200),  # issued this many days before 30 April
    st.integers(min_value=0, max_value=90),  # payment terms in days
    st.integers(min_value=1, max_value=100_000),  # total in cents
    st.integers(min_value=0, max_value=100),  # percentage paid
    st.integers(min_value=-30, max_value=60),  # payment day, relative to the due date
)
Spec = tuple[int, int, int, int, int]
books = st.lists(invoice_spec, min_size=0, max_size=12)


def build(spec: list[Spec]) -> list[InvoiceHistory]:
    """The book drawn: one customer, one invoice per item, maybe partly paid."""
    customer = Customer(id="C", name="C")
    out = []
    for n, (ago, terms, cents, share, pay_shift) in enumerate(spec):
        issued = AT.date() - timedelta(days=ago)
        due = issued + timedelta(days=terms)
        total = Decimal(cents) / 100
        paid = (total * share / 100).quantize(Decimal("0.01"))
        pay_on = max(issued, due + timedelta(days=pay_shift))
        events = (Payment(on=pay_on, amount=paid),) if paid > 0 else ()
        invoice = Invoice(
            id=f"F-{n}", number=str(n), customer=customer, issued_on=issued, due_on=due, total=total
        )
        out.append(InvoiceHistory(invoice=invoice, events=events))
    return out


@settings(max_examples=examples(60), deadline=None)
@given(books)
def test_ageing_buckets_add_up_to_the_outstanding_total(spec: list[Spec]) -> None:
    """Whatever the book, the buckets add up to the sum of amount_outstanding at that day."""
    book = build(spec)
    expected = sum(
        (amount_outstanding(h.invoice, h.events, on=AT.date()) for h in book), Decimal(0)
    )
    result = ageing(book, at=AT)
    assert list(result.amounts) == list(AGEING_BUCKETS)
    assert result.total == expected
    assert all(amount >= 0 for amount in result.amounts.values())


@settings(max_examples=examples(60), deadline=None)
@given(books, st.integers(min_value=1, max_value=365))
def test_dso_is_never_negative_and_zero_when_nothing_is_owed(spec: list[Spec], period: int) -> None:
    """DSO is >= 0; with every invoice paid, both methods give 0 (or None without sales)."""
    book = build(spec)
    for method in ("standard", "count_back"):
        value = dso(book, at=AT, period_days=period, method=method)
        assert value is None or value >= 0
        if value is not None and ageing(book, at=AT).total == 0:
            assert value == 0


@settings(max_examples=examples(60), deadline=None)
@given(books)
def test_collection_rate_is_a_percentage(spec: list[Spec]) -> None:
    """Payments never exceed what was collectible, so the rate lies between 0 and 100."""
    book = build(spec)
    rate = collection_rate(book, start=date(2026, 1, 1), end=AT.date())
    assert rate is None or Decimal(0) <= rate <= Decimal(100)
