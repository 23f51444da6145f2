"""Sample contexts every template is rendered against when its pack is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from dunning.core.model import (
    Channel,
    Civility,
    Customer,
    CustomerKind,
    PenaltyWording,
)
from dunning.core.render.context import (
    Creditor,
    InvoiceLine,
    PenaltyPeriod,
    PenaltySummary,
    Receipt,
    RenderContext,
)


@dataclass(frozen=True, slots=True)
class _SampleAction:
    id: str
    template: str
    channel: Channel
    level: int
    level_name: str
    deadline_on: date | None
    deadline_days: int | None
    penalty_wording: PenaltyWording | None = None


_LONG_CREDITOR = Creditor(
    name="Établissements Durand-Lefèvre et Associés SAS",  # 45 characters, plausible
    address="Zone d'activité des Grandes Terres, 1250 avenue du Général de Gaulle, "
    "69800 Saint-Priest",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPPXXX",
    email="recouvrement.clients@durand-lefevre-associes.example",
    phone="+33 4 72 00 00 00",
    siret="12345678901234",
    signature="Service recouvrement - Établissements Durand-Lefèvre",
    signatory_name="Marie-Christine Durand-Lefèvre",
    signatory_title="Directrice administrative et financière",
)
_SHORT_CREDITOR = Creditor(
    name="Durand", address="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPP", email="d@x"
)
_SAMPLE_LINK = "https://paiement.durand-lefevre-associes.example/p/2026-000123-7f3a9c"  # 66 chars


def _sample_line(n: int, *, penalties: PenaltySummary | None) -> InvoiceLine:
    return InvoiceLine(
        id=f"sample-invoice-{n}",
        number=f"FAC-2026-00{n:04d}-REG",  # 17 characters: long invoice numbers exist
        issued_on=date(2026, 1, 1 + n),
        due_on=date(2026, 2, 1 + n),
        total=Decimal("987654.32"),
        amount_due=Decimal("876543.21"),
        days_late=365 - n,
        penalties=penalties,
        document=f"invoice:{n}.pdf",
    )


@cache
def _samples(locale: str, family: str) -> tuple[tuple[str, _SampleAction, RenderContext], ...]:
    """Sample contexts covering what templates must cope with (long values, absent options)."""
    big = PenaltySummary(
        interest=Decimal("98765.43"),
        indemnity=Decimal(40),
        total=Decimal("98805.43"),
        rate_description="12,15 % (taux de la BCE + 10 points)",
        interest_from=date(2026, 2, 2),
    )
    consumer_interest = PenaltySummary(
        interest=Decimal("1.50"),
        indemnity=Decimal(0),
        total=Decimal("1.50"),
        rate_description="6,67 %",
        interest_from=date(2026, 3, 1),
    )
    # A conversation: two periods (one provisional), a payment, listed, upcoming and disputed
    # lines, dated reminders and an earlier notice this one complements.
    periods = (
        PenaltyPeriod(start=date(2026, 6, 2), end=date(2026, 6, 30), days=29,
                      principal=Decimal("987654.32"), rate=Decimal("12.15"),
                      interest=Decimal("9534.38")),
        PenaltyPeriod(start=date(2026, 7, 1), end=date(2026, 7, 20), days=20,
                      principal=Decimal("876543.21"), rate=Decimal("12.40"),
                      interest=Decimal("5955.54"), provisional=True),
    )  # fmt: skip
    detailed = PenaltySummary(
        interest=Decimal("15489.92"),
        indemnity=Decimal(40),
        total=Decimal("15529.92"),
        rate_description="12,15 % puis 12,4 % (taux BCE + 10 points)",
        interest_from=date(2026, 6, 2),
        periods=periods,
    )
    conversation = tuple(
        _sample_line(n, penalties=detailed if role == "demanded" else None).model_copy(
            update={
                "role": role,
                "receipts": (
                    Receipt(kind="payment", on=date(2026, 6, 10), amount=Decimal("111111.11")),
                    Receipt(kind="credit_note", on=date(2026, 6, 12), amount=Decimal(1)),
                ),
            }
        )
        for n, role in ((1, "demanded"), (2, "demanded"), (3, "listed"), (5, "upcoming"),
                        (6, "disputed"))
    )  # fmt: skip
    kind = family.removeprefix("_")
    with_deadline = _SampleAction("act_sample", kind, Channel.EMAIL, 5, "formal notice",
                                  date(2026, 12, 31), 8, PenaltyWording.AMOUNTS)  # fmt: skip
    no_deadline = _SampleAction("act_sample", kind, Channel.SMS, 1, "reminder", None, None)
    mention = _SampleAction("act_sample", kind, Channel.SMS, 1, "reminder", None, None,
                            PenaltyWording.MENTION)  # fmt: skip
    business = Customer(
        id="sample-business",
        name="Société Nouvelle des Transports Martin-Rousseau SARL",
        contact_name="Marie-Hélène de La Fontaine-Martin",
        email="comptabilite.fournisseurs@transports-martin-rousseau.example",
        phone="+33 6 12 34 56 78",
        postal_address="Bâtiment B, 45 boulevard de la République, 13001 Marseille",
        locale=locale,
        contact_civility=Civility.MS,
    )
    consumer = Customer(id="sample-consumer", name="Li", kind=CustomerKind.CONSUMER, locale=locale)
    public = business.model_copy(
        update={"kind": CustomerKind.PUBLIC, "contact_name": None, "contact_civility": None}
    )
    return (
        (
            "business, three invoices, penalties, long values",
            with_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=business,
                invoices=tuple(_sample_line(n, penalties=big) for n in (1, 2, 3)),
                message_date=date(2026, 12, 23),
                payment_link=_SAMPLE_LINK,
                penalties=big,
                unapplied_credit=Decimal("1234.56"),
                attachments=("statement:sample",),
                previous_messages=3,
            ),
        ),
        (
            "consumer, one invoice, no optional value",
            no_deadline,
            RenderContext(
                creditor=_SHORT_CREDITOR,
                customer=consumer,
                invoices=(
                    InvoiceLine(
                        id="s",
                        number="1",
                        issued_on=date(2026, 1, 1),
                        due_on=date(2026, 1, 31),
                        total=Decimal(1),
                        amount_due=Decimal("0.01"),
                        days_late=1,
                    ),
                ),
                message_date=date(2026, 2, 1),
            ),
        ),
        (
            "public buyer, one invoice, long values, before due",
            mention,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=public,
                invoices=(_sample_line(9, penalties=None).model_copy(update={"days_late": -3}),),
                message_date=date(2026, 2, 7),
                payment_link=_SAMPLE_LINK,
            ),
        ),
        (
            "business, a conversation: periods, listed, upcoming and disputed lines",
            with_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=business,
                invoices=conversation,
                message_date=date(2026, 7, 20),
                payment_link=_SAMPLE_LINK,
                unapplied_credit=Decimal("1234.56"),
                previous_messages=2,
                earlier_reminders=(date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 8)),
                notice_on=date(2026, 7, 10),
                complementary_notice=True,
            ),
        ),
        (
            "consumer, legal interest",
            with_deadline,
            RenderContext(
                creditor=_LONG_CREDITOR,
                customer=consumer.model_copy(
                    update={"contact_name": "Li", "contact_civility": Civility.MR}
                ),
                invoices=(_sample_line(4, penalties=consumer_interest),),
                message_date=date(2026, 3, 10),
                penalties=consumer_interest,
                previous_messages=1,
            ),
        ),
    )
