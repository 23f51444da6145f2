"""What reading an electronic invoice gives: `EInvoice`, its findings, and the fields read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dunning.model import CreditNote, Event, Invoice
from dunning.penalties import LatePaymentTerms

__all__ = ["Buyer", "EInvoice", "EInvoiceFinding", "InvoiceFields"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class EInvoiceFinding(BaseModel):
    """Something a human should know about an invoice read, which did not stop the reading.

    Attributes:
        code: stable snake_case code: ``missing_note``, ``unreadable_note``,
            ``due_date_over_legal_maximum``, ``due_date_missing``, ``credit_note``,
            ``factored_invoice``.
        message: what it means, in plain English.
        xpath: the element concerned, if any.
    """

    model_config = _FROZEN

    code: str
    message: str
    xpath: str | None = None


class EInvoice(BaseModel):
    """An electronic invoice (or credit note) read for dunning.

    Attributes:
        syntax: ``cii`` (UN/CEFACT CII, also inside a Factur-X PDF) or ``ubl``.
        from_pdf: read from a Factur-X / ZUGFeRD PDF attachment.
        type_code: the document type (BT-3, UNTDID 1001): 380 invoice, 381 credit note,
            393 factored invoice...
        number: the document number (BT-1).
        invoice: the invoice to chase; None for a credit note.
        credit_note: for a credit note, the `CreditNote` to record on the invoice it
            corrects (`corrects`); None for an invoice.
        corrects: the number of the invoice a credit note corrects (BT-25), if stated.
        events: the facts the document states: the amount already paid (BT-113) as a
            `Payment` on the issue date; a factored invoice's `DunningStopped`.
        terms: the late-payment terms, from the PMD note where it states them (else the
            legal default for the customer's kind).
        findings: what a human should look at (see `EInvoiceFinding`).
        buyer_reference: BT-10 (for a public buyer on Chorus Pro: the service code).
        order_reference: BT-13 (for a public buyer: the commitment number).
    """

    model_config = _FROZEN

    syntax: Literal["cii", "ubl"]
    from_pdf: bool = False
    type_code: str
    number: str
    invoice: Invoice | None
    credit_note: CreditNote | None = None
    corrects: str | None = None
    events: tuple[Event, ...] = ()
    terms: LatePaymentTerms
    findings: tuple[EInvoiceFinding, ...] = ()
    buyer_reference: str | None = None
    order_reference: str | None = None

    @property
    def finding_codes(self) -> tuple[str, ...]:
        """The findings' codes, in order (handy in tests and filters)."""
        return tuple(f.code for f in self.findings)


@dataclass(frozen=True, slots=True)
class Buyer:
    """The buyer as the document states it (BG-7), before it becomes a `Customer`."""

    name: str
    siren: str | None = None
    identifier: str | None = None
    address: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceFields:
    """The fields dunning needs, as read from a CII or UBL document (no meaning added yet).

    Each optional field is None when the document leaves it out; ``xpaths`` gives the XPath
    of each field read, for findings.
    """

    syntax: Literal["cii", "ubl"]
    from_pdf: bool
    type_code: str
    number: str
    issued_on: date
    currency: str
    buyer: Buyer
    grand_total: Decimal
    prepaid: Decimal | None
    due_payable: Decimal | None
    due_dates: tuple[tuple[date, Decimal | None], ...]
    payment_terms: str | None
    notes: tuple[tuple[str | None, str], ...]
    buyer_reference: str | None
    order_reference: str | None
    preceding_invoice: str | None
    xpaths: dict[str, str]
