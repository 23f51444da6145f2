"""An invoice as a message lists it: the one-pass line is the line of the model's own rules.

`InvoiceLine.from_invoice` and the core's unvalidated `invoice_line` (what a portfolio lists)
work out the balance, the oldest part still owed and its days late in one pass. Both must give
exactly the line written with the model's functions (`amount_outstanding`, `days_late`), on
random invoices (one due date or two parts) and histories, at any day around the due dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples
from tests.properties.test_engine_properties import histories, invoices

from dunning.core.ledger import amount_outstanding, days_late
from dunning.core.model import (
    CreditNote,
    Event,
    Invoice,
    Payment,
)
from dunning.core.render import InvoiceLine, Receipt
from dunning.core.render.context import invoice_line


def reference_line(invoice: Invoice, events: list[Event], on: date) -> InvoiceLine:
    """The line as the model's functions give it: oldest part owed, balance, days late."""
    money = [e for e in events if isinstance(e, Payment | CreditNote) and e.on <= on]
    settled = sum((e.amount for e in money), Decimal(0))
    due_on, cumulative = invoice.last_due_on, Decimal(0)
    for due, amount in invoice.schedule:
        cumulative += amount
        if settled < cumulative:
            due_on = due
            break
    return InvoiceLine(
        id=invoice.id,
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=due_on,
        total=invoice.total,
        amount_due=amount_outstanding(invoice, events, on=on),
        currency=invoice.currency,
        days_late=days_late(invoice, events, on=on) or (on - due_on).days,
        # The money received by *on*, oldest first, as a letter lists it.
        receipts=tuple(
            Receipt(kind=e.kind, on=e.on, amount=e.amount)
            for e in sorted(money, key=lambda e: e.on)
        ),
    )


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_one_pass_line_is_the_models_line(data: st.DataObject) -> None:
    """Same due date, balance and days late, validated or not, on any day."""
    invoice = data.draw(invoices())
    events = data.draw(histories(invoice))
    on = invoice.issued_on + timedelta(days=data.draw(st.integers(0, 150)))
    expected = reference_line(invoice, events, on)
    assert InvoiceLine.from_invoice(invoice, events, on=on) == expected
    fast = invoice_line(invoice, events, on=on, penalties=None, document=None)
    assert fast == expected
    assert type(fast) is InvoiceLine
    assert fast.model_dump() == expected.model_dump()
