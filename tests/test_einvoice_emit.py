"""The 212 "Encaissée" message (`collected_status`) and Chorus Pro statuses (issue 21).

The message's expected elements are those of the normative example of AFNOR XP Z12-014 annex B
v1.4 (status ``UC1_F202500003_07-CDV-212_Encaissée``) and of the FNFE-MPE CDV schematron
v1.4.0 (BR-FR-CDV-08, -11, -13, -14, -16, CL-02, CL-03), written here by hand; the dates and
amounts are worked out by hand. Chorus Pro status names are those of the Chorus Pro API
(``statutFacture``); the legal dates are CCP R2192-10 and R2192-36.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import paris_at, require_extra

require_extra("einvoice")

from lxml import etree  # noqa: E402

from dunning import STANDARD, Creditor, DecisionStatus, Event, decide  # noqa: E402
from dunning.einvoice import (  # noqa: E402
    CHORUS_STATUSES,
    LifecycleEffect,
    chorus_status_event,
    collected_status,
    public_payment_due,
    public_penalties_due,
    read_invoice,
    read_lifecycle,
)
from dunning.exceptions import MissingDataError, NotFoundError  # noqa: E402
from dunning.model import (  # noqa: E402
    Customer,
    DisputeOpened,
    DunningStopped,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
)

DATA = Path(__file__).parent / "data" / "einvoice"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SELLER = Creditor(
    name="Atelier Durand SAS",
    address="12 rue des Lilas, 69003 Lyon",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="compta@durand.example",
    siren="732829320",
)
INVOICE = Invoice(
    id="i-42",
    number="FA-2026-0042",
    customer=Customer(id="c-1", name="Boulangerie Martin SARL"),
    issued_on=date(2026, 10, 1),
    due_on=date(2026, 10, 31),
    total=Decimal("1440.00"),
)
PAID = Payment(on=date(2026, 11, 3), amount=Decimal("1440.00"))
# 10:15 in Paris on 3 November (UTC+1, winter time) is 09:15 UTC.
AT = paris_at(2026, 11, 3, 10, 15)


def _message(**changes: Any) -> bytes:
    kwargs: dict[str, Any] = {
        "seller": SELLER,
        "buyer_siren": "552100554",
        "buyer_address": "552100554_FACT",
        "at": AT,
    }
    kwargs.update(changes)
    invoice = kwargs.pop("invoice", INVOICE)
    payment = kwargs.pop("payment", PAID)
    rate = kwargs.pop("vat_rate", "20")
    return collected_status(invoice, payment, rate, **kwargs)


def _texts(xml: bytes, xpath: str) -> list[str]:
    root = etree.fromstring(xml)
    return [
        (n.text or "") if not isinstance(n, str) else n for n in root.xpath(xpath, namespaces=NS)
    ]


# --- the 212 message ------------------------------------------------------------------------


def test_the_212_message_states_what_the_schematron_requires() -> None:
    xml = _message()
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    top = "/rsm:CrossDomainAcknowledgementAndResponse"
    doc = f"{top}/rsm:ExchangedDocument"
    ref = f"{top}/rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
    context = f"{top}/rsm:ExchangedDocumentContext"
    expected = {
        f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID": [
            "urn.cpro.gouv.fr:1p0:CDV:invoice"
        ],
        f"{doc}/ram:ID": ["FA-2026-0042_212_20261103091500"],
        f"{doc}/ram:IssueDateTime/udt:DateTimeString": ["20261103091500"],
        f"{doc}/ram:IssueDateTime/udt:DateTimeString/@format": ["204"],
        # Processing phase (MDT-77 = 23): sender and issuer are the seller, by its SIREN.
        f"{top}/rsm:AcknowledgementDocument/ram:TypeCode": ["23"],
        f"{doc}/ram:SenderTradeParty/ram:RoleCode": ["SE"],
        f"{doc}/ram:IssuerTradeParty/ram:GlobalID": ["732829320"],
        f"{doc}/ram:IssuerTradeParty/ram:GlobalID/@schemeID": ["0002"],
        # The buyer with its electronic address (BR-FR-CDV-08), and the PPF.
        f"{doc}/ram:RecipientTradeParty/ram:RoleCode": ["BY", "DFH"],
        f"{doc}/ram:RecipientTradeParty/ram:GlobalID": ["552100554", "9998"],
        f"{doc}/ram:RecipientTradeParty/ram:URIUniversalCommunication/ram:URIID": [
            "552100554_FACT"
        ],
        f"{doc}/ram:RecipientTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID": [
            "0225"
        ],
        f"{ref}/ram:IssuerAssignedID": ["FA-2026-0042"],
        f"{ref}/ram:TypeCode": ["380"],
        f"{ref}/ram:FormattedIssueDateTime/qdt:DateTimeString": ["20261001"],  # BR-FR-CDV-11
        f"{ref}/ram:ProcessConditionCode": ["212"],
        f"{ref}/ram:ProcessCondition": ["Encaissée"],
        f"{ref}/ram:IssuerTradeParty/ram:GlobalID": ["732829320"],  # BR-FR-CDV-13
        f"{ref}/ram:SpecifiedDocumentStatus/ram:SequenceNumeric": ["1"],  # BR-FR-CDV-16
        f"{ref}//ram:SpecifiedDocumentCharacteristic/ram:TypeCode": ["MEN"],  # BR-FR-CDV-14
        f"{ref}//ram:SpecifiedDocumentCharacteristic/ram:ValueAmount": ["1440.00"],
        f"{ref}//ram:SpecifiedDocumentCharacteristic/ram:ValueAmount/@currencyID": ["EUR"],
        f"{ref}//ram:SpecifiedDocumentCharacteristic/ram:ValuePercent": ["20.00"],
    }
    for xpath, values in expected.items():
        assert _texts(xml, xpath) == values, xpath


def test_the_212_message_reads_back_as_the_payment_and_closes_the_invoice() -> None:
    msg = read_lifecycle(_message())
    assert (msg.invoice_number, msg.code, msg.on, msg.amount) == (
        "FA-2026-0042",
        212,
        date(2026, 11, 3),
        Decimal("1440.00"),
    )
    assert isinstance(msg.event, Payment)
    einv = read_invoice(DATA / "cii_invoice.xml")
    assert einv.invoice is not None
    decision = decide(einv.invoice, [msg.event], STANDARD, at=paris_at(2026, 11, 4))
    assert decision.status == DecisionStatus.CLOSED


def test_several_vat_rates_give_one_block_each_and_read_back_as_their_sum() -> None:
    paid = Payment(on=date(2026, 11, 3), amount=Decimal("1000.00"))
    xml = _message(payment=paid, vat_rate={"20": Decimal("800.00"), Decimal("5.5"): "200"})
    characteristic = "//ram:SpecifiedDocumentCharacteristic"
    assert _texts(xml, f"{characteristic}/ram:TypeCode") == ["MEN", "MEN"]
    assert _texts(xml, f"{characteristic}/ram:ValueAmount") == ["800.00", "200.00"]
    assert _texts(xml, f"{characteristic}/ram:ValuePercent") == ["20.00", "5.50"]
    assert read_lifecycle(xml).amount == Decimal("1000.00")


def test_an_invoice_number_the_identifier_rules_refuse_is_cleaned_in_the_message_id() -> None:
    invoice = INVOICE.model_copy(update={"number": "FA 2026.7"})
    xml = _message(invoice=invoice)
    root = "/rsm:CrossDomainAcknowledgementAndResponse"
    assert _texts(xml, f"{root}/rsm:ExchangedDocument/ram:ID") == ["FA-2026-7_212_20261103091500"]
    ref = f"{root}/rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument/ram:IssuerAssignedID"
    assert _texts(xml, ref) == ["FA 2026.7"]
    assert _texts(_message(status_id="CDV-1"), f"{root}/rsm:ExchangedDocument/ram:ID") == ["CDV-1"]


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"seller": SELLER.model_copy(update={"siren": None})}, MissingDataError, "seller.siren"),
        ({"vat_rate": 20.0}, TypeError, "float"),
        ({"vat_rate": "20.005"}, ValueError, "vat_rate"),
        ({"vat_rate": "120"}, ValueError, "vat_rate"),
        ({"vat_rate": "-5"}, ValueError, "vat_rate"),
        ({"vat_rate": "vingt"}, ValueError, "vat_rate"),
        ({"vat_rate": {}}, ValueError, "at least one rate"),
        ({"vat_rate": {"20": "1000.00", "5.5": "400.00"}}, ValueError, "add up to 1400.00"),
        ({"vat_rate": {"20": 1440.0}}, TypeError, "float"),
        ({"buyer_siren": "55210055"}, ValueError, "buyer_siren"),
        ({"buyer_address": "  "}, ValueError, "buyer_address"),
        (
            {"payment": Payment(on=date(2026, 11, 3), amount=Decimal(1440), currency="USD")},
            ValueError,
            "currency",
        ),
        (
            {"payment": Payment(on=date(2026, 11, 4), amount=Decimal(1440))},
            ValueError,
            "not before",
        ),
        ({"at": datetime(2026, 11, 3, 10, 15)}, ValueError, "at"),
    ],
)
def test_what_cannot_be_stated_is_refused_with_the_field(
    changes: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        _message(**changes)


# --- Chorus Pro -----------------------------------------------------------------------------


def test_the_chorus_table() -> None:
    effects = {value: status.effect for value, status in CHORUS_STATUSES.items()}
    assert effects == {
        "DEPOSEE": LifecycleEffect.NONE,
        "EN_COURS_ACHEMINEMENT": LifecycleEffect.NONE,
        "MISE_A_DISPOSITION": LifecycleEffect.NONE,
        "A_RECYCLER": LifecycleEffect.BLOCK,
        "REJETEE": LifecycleEffect.STOP,
        "SUSPENDUE": LifecycleEffect.HOLD,
        "COMPLETEE": LifecycleEffect.HOLD_LIFTED,
        "SERVICE_FAIT": LifecycleEffect.NONE,
        "MANDATEE": LifecycleEffect.NONE,
        "MISE_A_DISPOSITION_COMPTABLE": LifecycleEffect.NONE,
        "COMPTABILISEE": LifecycleEffect.NONE,
        "MISE_EN_PAIEMENT": LifecycleEffect.SHORT_HOLD,
    }
    starts = [value for value, status in CHORUS_STATUSES.items() if status.starts_period]
    assert starts == ["MISE_A_DISPOSITION"]


def test_each_chorus_status_gives_its_fact() -> None:
    on = date(2026, 10, 12)

    def fact(status: str, reason: str | None = None) -> Event | None:
        return chorus_status_event(status, invoice_id="F-1", on=on, reason=reason)

    assert fact("SUSPENDUE", "bon de commande manquant") == HoldPlaced(
        on=on, reason="Chorus Pro Suspendue: bon de commande manquant"
    )
    assert fact("completee") == HoldLifted(on=on)
    assert fact("REJETEE", "DOUBLON") == DunningStopped(on=on, reason="Chorus Pro Rejetée: DOUBLON")
    assert fact("A_RECYCLER") == HoldPlaced(
        on=on, reason="Chorus Pro À recycler (until deposited again)"
    )
    assert fact("MISE_EN_PAIEMENT") == HoldPlaced(
        on=on, reason="Chorus Pro Mise en paiement", until=date(2026, 10, 19)
    )
    assert fact("SERVICE-FAIT") is None
    assert fact(" mise_a_disposition ") is None
    with pytest.raises(NotFoundError, match=r"unknown Chorus Pro status 'PAYEE'.*SUSPENDUE"):
        fact("PAYEE")


def test_a_suspension_pauses_the_public_buyer_ladder_until_completed() -> None:
    einv = read_invoice(DATA / "cii_invoice.xml")
    assert einv.invoice is not None
    at = paris_at(2026, 11, 2, 11)
    suspended = chorus_status_event("SUSPENDUE", invoice_id="x", on=date(2026, 10, 20))
    completed = chorus_status_event("COMPLETEE", invoice_id="x", on=date(2026, 10, 26))
    assert suspended is not None
    assert completed is not None
    assert decide(einv.invoice, [suspended], STANDARD, at=at).status == DecisionStatus.PAUSED
    resumed = decide(einv.invoice, [suspended, completed], STANDARD, at=at)
    assert resumed.status == DecisionStatus.ACTION_DUE


def test_public_payment_due_counts_from_the_notice_of_availability() -> None:
    # 5 Oct + 30 days: 26 days to 31 Oct, 4 more: 4 Nov. +50: 24 Nov. +60: 4 Dec.
    made_available = date(2026, 10, 5)
    assert public_payment_due(made_available) == date(2026, 11, 4)
    assert public_payment_due(made_available, "local_authority") == date(2026, 11, 4)
    assert public_payment_due(made_available, "public_hospital") == date(2026, 11, 24)
    assert public_payment_due(made_available, "public_company") == date(2026, 12, 4)
    assert public_payment_due(made_available, 20) == date(2026, 10, 25)
    for bad in (0, 61, True):
        with pytest.raises(ValueError, match="1 to 60 days"):
            public_payment_due(made_available, bad)
    with pytest.raises(ValueError, match="unknown kind of public buyer 'mairie'"):
        public_payment_due(made_available, "mairie")


def test_public_penalties_are_due_45_days_after_the_principal_is_paid() -> None:
    # 20 Nov + 45: 10 days to 30 Nov, 31 to 31 Dec (41), 4 more: 4 Jan 2027.
    assert public_penalties_due(date(2026, 11, 20)) == date(2027, 1, 4)
    assert public_penalties_due(date(2026, 12, 31)) == date(2027, 2, 14)


def test_a_206_reads_the_amount_not_approved_whatever_comes_first() -> None:
    """A 206 disputes the amount not approved (MNA), even when MAP (approved) comes first."""
    xml = _message().replace(b">212<", b">206<").replace(b"Encaiss\xc3\xa9e<", b"Approuv\xc3\xa9e<")
    xml = xml.replace(
        b'<ram:TypeCode>MEN</ram:TypeCode>\n          <ram:ValueAmount currencyID="EUR">1440.00',
        b'<ram:TypeCode>MAP</ram:TypeCode>\n          <ram:ValueAmount currencyID="EUR">1200.00'
        b"</ram:ValueAmount></ram:SpecifiedDocumentCharacteristic>"
        b"<ram:SpecifiedDocumentCharacteristic><ram:TypeCode>MNA</ram:TypeCode>"
        b'<ram:ValueAmount currencyID="EUR">240.00',
    )
    msg = read_lifecycle(xml)
    assert (msg.code, msg.amount) == (206, Decimal("240.00"))
    assert msg.event == DisputeOpened(
        on=date(2026, 11, 3), reason="206 Approuvée partiellement", amount=Decimal("240.00")
    )
