"""The 212 "Encaissée" status message a supplier sends when an invoice is paid (CDAR, Flux 6).

Under the 2026 reform a supplier whose services are taxed on receipt (TVA sur les
encaissements) must tell the tax authority, through its platform, what it collected and at
which VAT rate: a lifecycle status 212 "Encaissée" with one amount per rate (AFNOR XP Z12-012,
FNFE-MPE rule BR-FR-CDV-14). `collected_status` writes that message for the host to hand to its
platform; the platform signs, routes and reports it.

The layout follows the normative example of XP Z12-014 annex B v1.4 (status
``UC1_F202500003_07-CDV-212_Encaissée``): processing phase (MDT-77 = 23), the seller as issuer
(SE, SIREN in scheme 0002), the buyer (BY, with its electronic address, BR-FR-CDV-08) and the
tax administration's platform (DFH, 9998 in scheme 0238) as recipients, the invoice by its
number, date and type, and one ``MEN`` block per VAT rate with the amount and the rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dunning.core.model import check_aware
from dunning.core.render.context import Creditor
from dunning.einvoice._io import CDAR_NS
from dunning.einvoice._xml import etree_module
from dunning.exceptions import MissingDataError
from dunning.model import Invoice, Payment

__all__ = ["PPF_ADDRESS", "collected_status"]

PPF_ADDRESS = ("0238", "9998")
"""The tax administration's platform as a recipient: (scheme, identifier), per the example."""

_RATE = re.compile(r"^\d{1,4}(\.\d{1,2})?$")
"""BR-FR-DEC-04: a VAT rate has at most 4 digits, 2 of them decimals."""
_ID_CHARS = re.compile(r"[^A-Za-z0-9+\-_/]")
"""BR-FR-01: an identifier uses letters, digits and ``+ - _ /`` only."""
_CENT = Decimal("0.01")

VatSplit = (
    Mapping[Decimal | str, Decimal | str]
    | Mapping[Decimal, Decimal | str]
    | Mapping[str, Decimal | str]
)
"""Amounts collected per VAT rate: rate in percent -> amount."""


def _decimal(value: Decimal | str | int, *, field: str, what: str) -> Decimal:
    """*value* as a Decimal (NaN if it is none); a float is refused, naming *field*."""
    if isinstance(value, float):
        msg = f"{field}: {what} must be a Decimal or a string, not a float ({value!r})"
        raise TypeError(msg)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal("NaN")


def _rate(value: Decimal | str | int, *, field: str) -> Decimal:
    rate = _decimal(value, field=field, what="a VAT rate")
    exact = rate.is_finite() and rate == rate.quantize(_CENT)
    text = f"{rate:.2f}" if exact else str(value)
    if not exact or rate < 0 or rate > 100 or not _RATE.match(text):  # noqa: PLR2004
        msg = f"{field}: {value!r} is not a VAT rate in percent (e.g. 20, 5.5, 0)"
        raise ValueError(msg)
    return rate


def _amount(value: Decimal | str | int, *, field: str) -> Decimal:
    amount = _decimal(value, field=field, what="an amount")
    if not amount.is_finite() or amount <= 0:
        msg = f"{field}: {value!r} is not a positive amount"
        raise ValueError(msg)
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _split(
    payment: Payment, vat_rate: Decimal | str | int | Mapping[Any, Any]
) -> list[tuple[Decimal, Decimal]]:
    """(amount, rate) pairs: the whole payment at one rate, or the mapping's parts."""
    total = payment.amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if not isinstance(vat_rate, Mapping):
        return [(total, _rate(vat_rate, field="vat_rate"))]
    if not vat_rate:
        msg = "vat_rate: give at least one rate"
        raise ValueError(msg)
    parts = [
        (_amount(amount, field=f"vat_rate[{rate!r}]"), _rate(rate, field="vat_rate"))
        for rate, amount in vat_rate.items()
    ]
    if sum(a for a, _ in parts) != total:
        msg = (
            f"vat_rate: the amounts per rate add up to {sum(a for a, _ in parts)},"
            f" not to the payment's {total}"
        )
        raise ValueError(msg)
    return parts


def collected_status(
    invoice: Invoice,
    payment: Payment,
    vat_rate: Decimal | str | int | VatSplit,
    *,
    seller: Creditor,
    buyer_siren: str,
    buyer_address: str,
    at: datetime,
    buyer_address_scheme: str = "0225",
    type_code: str = "380",
    status_id: str | None = None,
) -> bytes:
    """The CDAR status 212 "Encaissée" for *payment* of *invoice*, as UTF-8 XML bytes.

    Args:
        invoice: the invoice paid (its number and date identify it: BT-1, BT-2).
        payment: what was collected (its date is the status date; its amount, to the cent,
            the amount collected).
        vat_rate: the VAT rate in percent of the whole amount (``"20"``, ``Decimal("5.5")``),
            or a mapping rate -> amount when the invoice has several rates (the amounts must
            add up to the payment).
        seller: the creditor; its ``siren`` is required (MDT-38, MDT-129).
        buyer_siren: the buyer's SIREN (BT-47), 9 digits.
        buyer_address: the buyer's electronic address (BT-49), as the directory gives it.
        at: when the status is set (aware); the message's date and time, in UTC.
        buyer_address_scheme: the electronic address's scheme (``0225`` by default: the
            French directory's SIREN-based addresses).
        type_code: the invoice's type (BT-3): 380 invoice, 389 self-billed, 393 factored...
        status_id: the message identifier (MDT-4); by default
            ``<invoice number>_212_<YYYYMMDDHHMMSS>``, with characters BR-FR-01 refuses
            replaced by ``-``.

    Returns:
        The message, with an XML declaration. It follows the XP Z12-014 annex B example and
        passes the FNFE-MPE CDV schematron (v1.4.0) and the D22B schema: checked when this was
        written, with the files of github.com/fnfempe/France_RFE.

    Raises:
        MissingDataError: the seller has no SIREN.
        ValueError: a rate or an amount that is not one, a split that does not add up, a
            payment in another currency than the invoice, a SIREN that is not 9 digits.
        TypeError: a float rate or amount.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from decimal import Decimal
        >>> from dunning import Creditor, Customer, Invoice, Payment
        >>> seller = Creditor(name="Atelier Durand SAS", address="12 rue des Lilas, Lyon",
        ...                   iban="FR7630006000011234567890189", bic="AGRIFRPP",
        ...                   email="compta@durand.example", siren="732829320")
        >>> invoice = Invoice(id="i1", number="FA-2026-0042", issued_on=date(2026, 10, 1),
        ...                   due_on=date(2026, 10, 31), total=Decimal("1440.00"),
        ...                   customer=Customer(id="c1", name="Garage Martin"))
        >>> paid = Payment(on=date(2026, 11, 3), amount=Decimal("1440.00"))
        >>> xml = collected_status(invoice, paid, "20", seller=seller, buyer_siren="552100554",
        ...                        buyer_address="552100554",
        ...                        at=datetime(2026, 11, 3, 9, 15, tzinfo=timezone.utc))
        >>> b"<ram:ProcessConditionCode>212</ram:ProcessConditionCode>" in xml
        True
        >>> b'<ram:ValueAmount currencyID="EUR">1440.00</ram:ValueAmount>' in xml
        True
    """
    check_aware(at, "at")
    if seller.siren is None:
        msg = "seller.siren: a 212 status names the seller by its SIREN (MDT-38): give it"
        raise MissingDataError(msg)
    if not re.fullmatch(r"\d{9}", buyer_siren):
        msg = f"buyer_siren: {buyer_siren!r} is not a SIREN (9 digits)"
        raise ValueError(msg)
    if not buyer_address.strip():
        msg = "buyer_address: the buyer's electronic address (BT-49) is required"
        raise ValueError(msg)
    if payment.currency != invoice.currency:
        msg = (
            f"payment.currency: {payment.currency} is not the invoice's currency"
            f" ({invoice.currency})"
        )
        raise ValueError(msg)
    if at.astimezone(UTC).date() < payment.on:
        msg = f"at: a collection is declared once made, not before the payment of {payment.on}"
        raise ValueError(msg)
    parts = _split(payment, vat_rate)
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    ident = status_id or _ID_CHARS.sub("-", f"{invoice.number}_212_{stamp}")
    return _build(
        invoice=invoice,
        parts=parts,
        seller=seller,
        siren=seller.siren,
        buyer_siren=buyer_siren,
        buyer_address=(buyer_address_scheme, buyer_address.strip()),
        stamp=stamp,
        ident=ident,
        type_code=type_code,
    )


def _build(
    *,
    invoice: Invoice,
    parts: list[tuple[Decimal, Decimal]],
    seller: Creditor,
    siren: str,
    buyer_siren: str,
    buyer_address: tuple[str, str],
    stamp: str,
    ident: str,
    type_code: str,
) -> bytes:
    etree = etree_module()
    rsm, ram, udt, qdt = (f"{{{CDAR_NS[p]}}}" for p in ("rsm", "ram", "udt", "qdt"))

    def sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, tag, attrs)
        if text is not None:
            node.text = text
        return node

    def party(parent: Any, tag: str, role: str, ident: tuple[str, str] | None, name: str) -> Any:
        node = sub(parent, tag)
        if ident is not None:
            sub(node, f"{ram}GlobalID", ident[1], schemeID=ident[0])
        sub(node, f"{ram}Name", name)
        sub(node, f"{ram}RoleCode", role)
        return node

    root = etree.Element(
        f"{rsm}CrossDomainAcknowledgementAndResponse",
        nsmap={p: CDAR_NS[p] for p in ("rsm", "ram", "udt", "qdt")},
    )
    context = sub(root, f"{rsm}ExchangedDocumentContext")
    sub(
        sub(context, f"{ram}BusinessProcessSpecifiedDocumentContextParameter"),
        f"{ram}ID",
        "REGULATED",
    )
    sub(
        sub(context, f"{ram}GuidelineSpecifiedDocumentContextParameter"),
        f"{ram}ID",
        "urn.cpro.gouv.fr:1p0:CDV:invoice",
    )
    document = sub(root, f"{rsm}ExchangedDocument")
    sub(document, f"{ram}ID", ident)
    sub(document, f"{ram}Name", f"{invoice.number}-CDV-212_Encaissée")
    sub(sub(document, f"{ram}IssueDateTime"), f"{udt}DateTimeString", stamp, format="204")
    party(document, f"{ram}SenderTradeParty", "SE", ("0002", siren), seller.name)
    party(document, f"{ram}IssuerTradeParty", "SE", ("0002", siren), seller.name)
    buyer = party(
        document, f"{ram}RecipientTradeParty", "BY", ("0002", buyer_siren), invoice.customer.name
    )
    scheme, address = buyer_address
    sub(sub(buyer, f"{ram}URIUniversalCommunication"), f"{ram}URIID", address, schemeID=scheme)
    party(document, f"{ram}RecipientTradeParty", "DFH", PPF_ADDRESS, "PPF")

    ack = sub(root, f"{rsm}AcknowledgementDocument")
    sub(sub(ack, f"{ram}MultipleReferencesIndicator"), f"{udt}IndicatorString", "false")
    sub(ack, f"{ram}TypeCode", "23")
    sub(sub(ack, f"{ram}IssueDateTime"), f"{udt}DateTimeString", stamp, format="204")
    ref = sub(ack, f"{ram}ReferenceReferencedDocument")
    sub(ref, f"{ram}IssuerAssignedID", invoice.number)
    sub(ref, f"{ram}StatusCode", "47")
    sub(ref, f"{ram}TypeCode", type_code)
    issued = invoice.issued_on.strftime("%Y%m%d")
    sub(sub(ref, f"{ram}FormattedIssueDateTime"), f"{qdt}DateTimeString", issued, format="102")
    sub(ref, f"{ram}ProcessConditionCode", "212")
    sub(ref, f"{ram}ProcessCondition", "Encaissée")
    sub(sub(ref, f"{ram}IssuerTradeParty"), f"{ram}GlobalID", siren, schemeID="0002")
    status = sub(ref, f"{ram}SpecifiedDocumentStatus")
    sub(status, f"{ram}SequenceNumeric", "1")
    for amount, rate in parts:
        characteristic = sub(status, f"{ram}SpecifiedDocumentCharacteristic")
        sub(characteristic, f"{ram}TypeCode", "MEN")
        sub(characteristic, f"{ram}ValueAmount", f"{amount:.2f}", currencyID=invoice.currency)
        sub(characteristic, f"{ram}ValuePercent", f"{rate:.2f}")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
