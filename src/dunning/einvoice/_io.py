"""The shell of `dunning.einvoice`: bytes or a path in, `EInvoice` or `LifecycleMessage` out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from dunning.einvoice._lifecycle import PAYMENT_IN_TRANSIT_DAYS, lifecycle_event
from dunning.einvoice._mapping import to_einvoice
from dunning.einvoice._model import EInvoice
from dunning.einvoice._read import read_fields
from dunning.einvoice._xml import Doc, parse_xml, xml_from_pdf
from dunning.exceptions import EInvoiceError, NotFoundError
from dunning.model import CustomerKind, Event

__all__ = ["CDAR_NS", "LifecycleMessage", "read_invoice", "read_lifecycle"]

Source = bytes | str | os.PathLike[str]

CDAR_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}


def _load(source: Source) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "<bytes>"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        msg = f"cannot be read: {error.strerror or error}"
        raise EInvoiceError(msg, source=str(path), code="not_xml") from None


def read_invoice(
    source: Source,
    *,
    invoice_id: str | None = None,
    customer_kind: CustomerKind | str = CustomerKind.BUSINESS,
) -> EInvoice:
    """Read an EN 16931 invoice or credit note: Factur-X PDF, CII XML or UBL XML.

    Args:
        source: the file's bytes, or its path.
        invoice_id: the host's id for the invoice (defaults to its number, BT-1).
        customer_kind: the buyer's kind, which the document does not state (business by
            default; ``public`` for a public buyer, ``consumer`` for a private person).

    Returns:
        An `EInvoice`: the `Invoice` to chase (or the `CreditNote` a credit note makes),
        the facts it states, the late-payment terms and the findings to look at.

    Raises:
        EInvoiceError: naming the file and the element (an XPath) that cannot be read:
            ``not_xml``, ``no_invoice_in_pdf``, ``unknown_document``, ``missing_element``,
            ``bad_value``.
        ImportError: without the ``einvoice`` extra (``pip install 'dunning[einvoice]'``).

    Examples:
        >>> from pathlib import Path
        >>> einv = read_invoice(Path("tests/data/einvoice/cii_invoice.xml"))
        >>> einv.invoice.number, einv.invoice.due_on, einv.invoice.total, einv.terms.regime
        ('FA-2026-0042', datetime.date(2026, 10, 31), Decimal('1440.00'), <PenaltyRegime.B2B_DEFAULT: 'b2b_default'>)
    """  # noqa: E501  (a repr, as it is printed)
    data, name = _load(source)
    from_pdf = data.lstrip()[:5] == b"%PDF-"
    if from_pdf:
        data = xml_from_pdf(data, source=name)
    root = parse_xml(data, source=name)
    fields = read_fields(root, source=name, from_pdf=from_pdf)
    return to_einvoice(fields, invoice_id=invoice_id, kind=CustomerKind(customer_kind), source=name)


@dataclass(frozen=True, slots=True)
class LifecycleMessage:
    """A CDAR lifecycle status message, read.

    Attributes:
        invoice_number: the invoice the status is about (MDT-87).
        code: the status (MDT-105), e.g. 212.
        on: the status date (MDT-8, the message's date).
        amount: the amount the status states (MDT-215), if any.
        reason: the reason (MDT-114, else its code MDT-113), if any.
        event: the dunning fact it states (`lifecycle_event`), or None.
    """

    invoice_number: str
    code: int
    on: date
    amount: Decimal | None
    reason: str | None
    event: Event | None


def read_lifecycle(
    source: Source,
    *,
    invoice_id: str | None = None,
    transit_days: int = PAYMENT_IN_TRANSIT_DAYS,
) -> LifecycleMessage:
    """Read a CDAR lifecycle status message (AFNOR XP Z12-012) into a dunning fact.

    Args:
        source: the message's bytes, or its path.
        invoice_id: the host's id of the invoice (defaults to the number the message names).
        transit_days: how long a 211 "Paiement transmis" holds dunning.

    Returns:
        A `LifecycleMessage` with its ``event`` (see `lifecycle_event` for the table).

    Raises:
        EInvoiceError: naming the element (an XPath) that cannot be read, or
            ``unknown_document`` for a status code the table does not list.

    Examples:
        >>> from pathlib import Path
        >>> msg = read_lifecycle(Path("tests/data/einvoice/cdar_212_encaissee.xml"))
        >>> msg.code, msg.on, msg.amount, msg.event.kind
        (212, datetime.date(2026, 11, 3), Decimal('1440.00'), 'payment')
    """
    data, name = _load(source)
    root = parse_xml(data, source=name)
    top = "/rsm:CrossDomainAcknowledgementAndResponse"
    if root.tag != f"{{{CDAR_NS['rsm']}}}CrossDomainAcknowledgementAndResponse":
        msg = f"the root element {root.tag!r} is not a CDAR status message"
        raise EInvoiceError(msg, source=name, code="unknown_document", xpath="/*")
    doc = Doc(root, CDAR_NS, name)
    ref = f"{top}/rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
    status = f"{ref}/ram:SpecifiedDocumentStatus"
    number = doc.required(f"{ref}/ram:IssuerAssignedID")
    code_path = f"{ref}/ram:ProcessConditionCode"
    code_text = doc.required(code_path)
    date_path = f"{top}/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"
    on = doc.day(doc.required(date_path), where=date_path)
    if not code_text.isdigit():
        raise doc.bad(code_path, f"{code_text!r} is not a status code")
    amount_path, amount = _stated_amount(doc, status, int(code_text))
    reason = doc.text(f"{status}/ram:Reason") or doc.text(f"{status}/ram:ReasonCode")
    assert on is not None  # noqa: S101  (required above)
    try:
        event = lifecycle_event(
            code_text,
            invoice_id=invoice_id or number,
            on=on,
            amount=amount,
            reason=reason,
            transit_days=transit_days,
        )
    except NotFoundError as error:
        raise EInvoiceError(
            str(error), source=name, code="unknown_document", xpath=code_path
        ) from None
    except EInvoiceError as error:
        msg = "this status needs an amount"
        raise EInvoiceError(msg, source=name, code=error.code, xpath=amount_path) from None
    return LifecycleMessage(
        invoice_number=number,
        code=int(code_text),
        on=on,
        amount=amount,
        reason=reason,
        event=event,
    )


_AMOUNT_KINDS = {212: ("MEN",), 206: ("MNATTC", "MNA")}
"""Which characteristic (MDT-207) carries a status's amount: 212 the amounts collected (one per
VAT rate, added up), 206 the amount not approved (with VAT if stated, else without)."""


def _stated_amount(doc: Doc, status: str, code: int) -> tuple[str, Decimal | None]:
    """The XPath read and the amount the status states (None if it states none)."""
    characteristic = f"{status}/ram:SpecifiedDocumentCharacteristic"
    for kind in _AMOUNT_KINDS.get(code, ()):
        path = f"{characteristic}[normalize-space(ram:TypeCode)='{kind}']/ram:ValueAmount"
        values = [
            doc.amount((node.text or "").strip() or None, where=path) for node in doc.nodes(path)
        ]
        found = [v for v in values if v is not None]
        if found:
            return path, sum(found, Decimal(0))
    path = f"{characteristic}/ram:ValueAmount"
    return path, doc.amount(doc.text(path), where=path)
