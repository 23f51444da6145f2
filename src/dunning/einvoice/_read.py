"""Reading a CII or UBL document into `InvoiceFields`: where each EN 16931 term lives.

The XPaths are the EN 16931 syntax bindings (CEN/TS 16931-3-2 for UBL, 16931-3-3 for CII),
as the FNFE-MPE specifications use them; each field names its business term (BT-n).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from dunning.einvoice._model import Buyer, InvoiceFields
from dunning.einvoice._xml import Doc
from dunning.exceptions import EInvoiceError

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["CII_NS", "UBL_NS", "read_fields"]

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": _UBL_CAC,
    "cbc": _UBL_CBC,
}
_SIREN_SCHEME = "0002"
"""ISO 6523 ICD of the SIREN (BT-47 scheme), as the French CIUS requires."""


def read_fields(root: _Element, *, source: str, from_pdf: bool) -> InvoiceFields:
    """The fields of the CII or UBL invoice whose root is *root*.

    Raises:
        EInvoiceError: ``unknown_document`` for another root; ``missing_element`` or
            ``bad_value`` naming the XPath of a mandatory field absent or unreadable.
    """
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == f"{{{CII_NS['rsm']}}}CrossIndustryInvoice":
        return _cii(Doc(root, CII_NS, source), from_pdf=from_pdf)
    for prefix, name in (("inv", "Invoice"), ("cn", "CreditNote")):
        if tag == f"{{{UBL_NS[prefix]}}}{name}":
            return _ubl(Doc(root, UBL_NS, source), prefix, name, from_pdf=from_pdf)
    msg = f"the root element {tag or root.tag!r} is not a CII or UBL invoice or credit note"
    raise EInvoiceError(msg, source=source, code="unknown_document", xpath="/*")


def _cii(doc: Doc, *, from_pdf: bool) -> InvoiceFields:
    top = "/rsm:CrossIndustryInvoice"
    head = f"{top}/rsm:ExchangedDocument"
    deal = f"{top}/rsm:SupplyChainTradeTransaction"
    agreement = f"{deal}/ram:ApplicableHeaderTradeAgreement"
    settlement = f"{deal}/ram:ApplicableHeaderTradeSettlement"
    totals = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    buyer = f"{agreement}/ram:BuyerTradeParty"
    date_path = f"{head}/ram:IssueDateTime/udt:DateTimeString"
    xpaths = {
        "number": f"{head}/ram:ID",
        "type_code": f"{head}/ram:TypeCode",
        "issued_on": date_path,
        "currency": f"{settlement}/ram:InvoiceCurrencyCode",
        "grand_total": f"{totals}/ram:GrandTotalAmount",
        "prepaid": f"{totals}/ram:TotalPrepaidAmount",
        "due_payable": f"{totals}/ram:DuePayableAmount",
        "buyer_name": f"{buyer}/ram:Name",
        "due_dates": f"{settlement}/ram:SpecifiedTradePaymentTerms",
        "notes": f"{head}/ram:IncludedNote",
    }
    issued_on = doc.day(doc.required(date_path), where=date_path)
    grand_total = doc.amount(doc.required(xpaths["grand_total"]), where=xpaths["grand_total"])
    terms_path = xpaths["due_dates"]
    due_dates: list[tuple[date, Decimal | None]] = []
    descriptions = []
    for n, node in enumerate(doc.nodes(terms_path), start=1):
        here = f"{terms_path}[{n}]"
        due_path = f"{here}/ram:DueDateDateTime/udt:DateTimeString"
        due = doc.day(doc.text("ram:DueDateDateTime/udt:DateTimeString", at=node), where=due_path)
        part_path = f"{here}/ram:PartialPaymentAmount"
        part = doc.amount(doc.text("ram:PartialPaymentAmount", at=node), where=part_path)
        if due is not None:
            due_dates.append((due, part))
        description = doc.text("ram:Description", at=node)
        if description:
            descriptions.append(description)
    notes = tuple(
        (doc.text("ram:SubjectCode", at=node), doc.text("ram:Content", at=node) or "")
        for node in doc.nodes(xpaths["notes"])
    )
    siren = doc.text(f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='{_SIREN_SCHEME}']")
    place = f"{buyer}/ram:PostalTradeAddress/ram:"
    address = _join(
        [
            *(doc.text(place + part) for part in ("LineOne", "LineTwo", "LineThree")),
            _join([doc.text(place + "PostcodeCode"), doc.text(place + "CityName")], " "),
            doc.text(place + "CountryID"),
        ]
    )
    email = doc.text(
        f"{buyer}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"
    ) or doc.text(f"{buyer}/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']")
    assert issued_on is not None  # noqa: S101  (required above)
    assert grand_total is not None  # noqa: S101
    return InvoiceFields(
        syntax="cii",
        from_pdf=from_pdf,
        type_code=doc.required(xpaths["type_code"]),
        number=doc.required(xpaths["number"]),
        issued_on=issued_on,
        currency=doc.required(xpaths["currency"]),
        buyer=Buyer(
            name=doc.required(xpaths["buyer_name"]),
            siren=siren,
            identifier=doc.text(f"{buyer}/ram:ID") or doc.text(f"{buyer}/ram:GlobalID"),
            address=address,
            email=email,
        ),
        grand_total=grand_total,
        prepaid=doc.amount(doc.text(xpaths["prepaid"]), where=xpaths["prepaid"]),
        due_payable=doc.amount(doc.text(xpaths["due_payable"]), where=xpaths["due_payable"]),
        due_dates=tuple(due_dates),
        payment_terms=" ".join(descriptions) or None,
        notes=notes,
        buyer_reference=doc.text(f"{agreement}/ram:BuyerReference"),
        order_reference=doc.text(
            f"{agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
        ),
        preceding_invoice=doc.text(
            f"{settlement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
        ),
        xpaths=xpaths,
    )


def _ubl(doc: Doc, prefix: str, name: str, *, from_pdf: bool) -> InvoiceFields:
    top = f"/{prefix}:{name}"
    buyer = f"{top}/cac:AccountingCustomerParty/cac:Party"
    totals = f"{top}/cac:LegalMonetaryTotal"
    type_element = "cbc:InvoiceTypeCode" if name == "Invoice" else "cbc:CreditNoteTypeCode"
    xpaths = {
        "number": f"{top}/cbc:ID",
        "type_code": f"{top}/{type_element}",
        "issued_on": f"{top}/cbc:IssueDate",
        "currency": f"{top}/cbc:DocumentCurrencyCode",
        "grand_total": f"{totals}/cbc:TaxInclusiveAmount",
        "prepaid": f"{totals}/cbc:PrepaidAmount",
        "due_payable": f"{totals}/cbc:PayableAmount",
        "buyer_name": f"{buyer}/cac:PartyLegalEntity/cbc:RegistrationName",
        # BT-9: cbc:DueDate in an Invoice, cac:PaymentMeans/cbc:PaymentDueDate in a CreditNote.
        "due_dates": f"{top}/cbc:DueDate | {top}/cac:PaymentMeans/cbc:PaymentDueDate",
        "notes": f"{top}/cbc:Note",
    }
    issued_on = doc.day(doc.required(xpaths["issued_on"]), where=xpaths["issued_on"])
    grand_total = doc.amount(doc.required(xpaths["grand_total"]), where=xpaths["grand_total"])
    due_dates: list[tuple[date, Decimal | None]] = []
    for node in doc.nodes(xpaths["due_dates"]):
        due = doc.day((node.text or "").strip() or None, where=xpaths["due_dates"])
        if due is not None and all(due != d for d, _ in due_dates):
            due_dates.append((due, None))
    notes = tuple(_ubl_note((node.text or "").strip()) for node in doc.nodes(xpaths["notes"]))
    siren = doc.text(f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='{_SIREN_SCHEME}']")
    place = f"{buyer}/cac:PostalAddress/"
    address = _join(
        [
            *(
                doc.text(place + part)
                for part in (
                    "cbc:StreetName",
                    "cbc:AdditionalStreetName",
                    "cac:AddressLine/cbc:Line",
                )
            ),
            _join([doc.text(place + "cbc:PostalZone"), doc.text(place + "cbc:CityName")], " "),
            doc.text(place + "cac:Country/cbc:IdentificationCode"),
        ]
    )
    email = doc.text(f"{buyer}/cac:Contact/cbc:ElectronicMail") or doc.text(
        f"{buyer}/cbc:EndpointID[@schemeID='EM']"
    )
    assert issued_on is not None  # noqa: S101  (required above)
    assert grand_total is not None  # noqa: S101
    name_text = doc.text(xpaths["buyer_name"]) or doc.required(
        f"{buyer}/cac:PartyName/cbc:Name", where=xpaths["buyer_name"]
    )
    return InvoiceFields(
        syntax="ubl",
        from_pdf=from_pdf,
        type_code=doc.text(xpaths["type_code"]) or ("380" if name == "Invoice" else "381"),
        number=doc.required(xpaths["number"]),
        issued_on=issued_on,
        currency=doc.required(xpaths["currency"]),
        buyer=Buyer(
            name=name_text,
            siren=siren or doc.text(f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID"),
            identifier=doc.text(f"{buyer}/cac:PartyIdentification/cbc:ID"),
            address=address,
            email=email,
        ),
        grand_total=grand_total,
        prepaid=doc.amount(doc.text(xpaths["prepaid"]), where=xpaths["prepaid"]),
        due_payable=doc.amount(doc.text(xpaths["due_payable"]), where=xpaths["due_payable"]),
        due_dates=tuple(due_dates),
        payment_terms=doc.text(f"{top}/cac:PaymentTerms/cbc:Note"),
        notes=notes,
        buyer_reference=doc.text(f"{top}/cbc:BuyerReference"),
        order_reference=doc.text(f"{top}/cac:OrderReference/cbc:ID"),
        preceding_invoice=doc.text(
            f"{top}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
        ),
        xpaths=xpaths,
    )


def _ubl_note(text: str) -> tuple[str | None, str]:
    """A UBL note's subject code and text (None when it states no code).

    UBL has no subject code: the French CIUS writes it first, between hashes
    (``#PMD#Pénalités...``).
    """
    if text.startswith("#") and text.count("#") >= 2:  # noqa: PLR2004
        _, code, rest = text.split("#", 2)
        return (code.strip() or None, rest.strip())
    return (None, text)


def _join(parts: Iterable[str | None], separator: str = ", ") -> str | None:
    found = [p for p in parts if p]
    return separator.join(found) or None
