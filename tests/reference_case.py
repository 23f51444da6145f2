"""The reference case every message test uses: one creditor, one customer, one late invoice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dunning.core.model import Channel, Customer
from dunning.core.render import Creditor, InvoiceLine, PenaltySummary, RenderContext

# The reference case (shared by every message test file, and the golden files):
# invoice 2026-0042 of ACME SARL,
# issued 2 February 2026, due 2 March 2026, 1,234.56 EUR unpaid; the message is dated 20 March
# 2026, so the invoice is 18 days late (3 March .. 20 March). B2B penalties at 12.15 % (ECB 2.15 %
# in force on 1 January 2026 + 10 points) from 3 March: 1234.56 x 0.1215 x 18 / 365 = 7.3972... ->
# 7.40 EUR, plus the 40 EUR indemnity: 47.40 EUR.

CREDITOR = Creditor(
    name="Atelier Durand SAS",
    address="12 rue des Lilas, 69003 Lyon",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
    email="compta@atelier-durand.example",
    phone="04 72 00 00 00",
    siret="12345678901234",
    signature="Claire Durand, comptabilité",
)

PENALTIES = PenaltySummary(
    interest=Decimal("7.40"),
    indemnity=Decimal("40.00"),
    total=Decimal("47.40"),
    rate_description="12,15 % (taux BCE + 10 points)",
    interest_from=date(2026, 3, 3),
)

LINE = InvoiceLine(
    id="F-2026-0042",
    number="2026-0042",
    issued_on=date(2026, 2, 2),
    due_on=date(2026, 3, 2),
    total=Decimal("1234.56"),
    amount_due=Decimal("1234.56"),
    days_late=18,
    document="pdf:2026-0042",
)


@dataclass(frozen=True)
class FakeAction:
    """The fields `render` reads from an action."""

    template: str
    channel: Channel = Channel.EMAIL
    level: int = 2
    level_name: str = "reminder"
    deadline_on: date | None = None
    deadline_days: int | None = None
    id: str = "act_test"
    penalty_wording: str | None = None


def customer(locale: str = "fr_FR", **changes: Any) -> Customer:
    """ACME SARL, a business in Paris, with a contact and a postal address."""
    fields: dict[str, Any] = {
        "id": "C-1",
        "name": "ACME SARL",
        "contact_name": "Jeanne Martin",
        "email": "compta@acme.example",
        "phone": "+33612345678",
        "postal_address": "5 avenue Foch, 75016 Paris",
        "locale": locale,
    }
    fields.update(changes)
    return Customer.model_validate(fields)


def context(
    locale: str = "fr_FR", *, penalties: PenaltySummary | None = PENALTIES, **changes: Any
) -> RenderContext:
    """The reference context, in *locale*, with optional changes."""
    fields: dict[str, Any] = {
        "creditor": CREDITOR,
        "customer": customer(locale),
        "invoices": (LINE.model_copy(update={"penalties": penalties}),),
        "message_date": date(2026, 3, 20),
        "payment_link": "https://pay.atelier-durand.example/p/2026-0042",
    }
    fields.update(changes)
    return RenderContext.model_validate(fields)
