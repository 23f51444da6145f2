"""From the fields of an invoice to what dunning reads: a pure module (no I/O, no clock).

How this works: `to_einvoice` turns `InvoiceFields` into an `EInvoice`. The due dates (BT-9,
one per payment term) become the due date or the installments; the amount already paid
(BT-113) a `Payment` on the issue date; the PMD note the late-payment terms (`_notes`). What
a human should look at becomes a finding, never a silent guess: a mandatory note missing or
unreadable, a due date beyond the legal maximum (Code de commerce L441-10 I: 60 days from the
invoice date, or 45 days end of month under either reading), a credit note and what it
corrects, a factored invoice (the factor collects: dunning stops), a document of accounting
information (type 751: the invoice it describes is what is chased, so dunning stops).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import ValidationError

from dunning.einvoice._model import EInvoice, EInvoiceFinding, InvoiceFields
from dunning.einvoice._notes import MANDATORY_NOTES, read_penalty_note, states_indemnity
from dunning.exceptions import EInvoiceError
from dunning.model import (
    CreditNote,
    Customer,
    CustomerKind,
    DunningStopped,
    Event,
    Installment,
    Invoice,
    Payment,
)
from dunning.penalties import LatePaymentTerms, PaymentTermRule, maximum_due_date

__all__ = ["ACCOUNTING_INFORMATION", "CREDIT_NOTE_TYPES", "FACTORED_TYPES", "to_einvoice"]

CREDIT_NOTE_TYPES = frozenset({"381", "261", "262", "396", "502", "503"})
"""UNTDID 1001 codes of credit notes the French CIUS accepts (FNFE-MPE, BR-FR-04)."""

CORRECTED_INVOICE = "384"
"""UNTDID 1001 "corrected invoice": a credit note when its total is negative."""

FACTORED_TYPES = frozenset({"393", "396", "501", "502"})
"""UNTDID 1001 codes of factored documents (affacturage): the factor collects."""

ACCOUNTING_INFORMATION = "751"
"""UNTDID 1001 "invoice information for accounting purposes": accounting data about a sale,
which need not be a complete invoice in law (XRechnung allows it for that). The claim for
payment is the invoice itself, so this document is read, and never chased."""

DEFAULT_TERM = timedelta(days=30)
"""Payment term when none is agreed: 30 days (Code de commerce L441-10 I, first paragraph)."""

_MAXIMUM_RULES = (
    PaymentTermRule.SIXTY_DAYS,
    PaymentTermRule.FORTY_FIVE_DAYS_THEN_END_OF_MONTH,
    PaymentTermRule.END_OF_MONTH_THEN_FORTY_FIVE_DAYS,
)


_XPATH_OF_FIELD = {
    "currency": "currency",
    "total": "grand_total",
    "amount": "grand_total",
    "number": "number",
    "id": "number",
    "name": "buyer_name",
    "issued_on": "issued_on",
    "due_on": "due_dates",
    "installments": "due_dates",
}
"""Which XPath holds the value a model field refused (for a `ValidationError`'s location)."""


def to_einvoice(
    fields: InvoiceFields, *, invoice_id: str | None, kind: CustomerKind, source: str
) -> EInvoice:
    """The `EInvoice` the fields of a document describe.

    Raises:
        EInvoiceError: ``bad_value`` when the amounts contradict each other (installments
            that add up to neither the total nor the amount due, an amount paid above the
            total, a total that is not positive), or when a value is not one the library
            takes (a currency that is not ISO 4217, an amount of 10^15 or more...), naming
            the element that holds it.
    """
    try:
        return _to_einvoice(fields, invoice_id=invoice_id, kind=kind, source=source)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = str(first["loc"][-1]) if first["loc"] else ""
        if not field:  # a rule over several fields: its message names them
            field = next((f for f in _XPATH_OF_FIELD if first["msg"].startswith(f)), "")
            msg = first["msg"]
        else:
            msg = f"{first['msg']} ({field} {first.get('input')!r})"
        key = _XPATH_OF_FIELD.get(field)
        xpath = fields.xpaths.get(key) if key else None
        raise EInvoiceError(msg, source=source, code="bad_value", xpath=xpath) from None


def _to_einvoice(
    fields: InvoiceFields, *, invoice_id: str | None, kind: CustomerKind, source: str
) -> EInvoice:
    findings: list[EInvoiceFinding] = []
    xpaths = fields.xpaths
    terms = _terms(fields, kind, findings)
    factored = fields.type_code in FACTORED_TYPES
    common = {
        "syntax": fields.syntax,
        "from_pdf": fields.from_pdf,
        "type_code": fields.type_code,
        "number": fields.number,
        "terms": terms,
        "buyer_reference": fields.buyer_reference,
        "order_reference": fields.order_reference,
    }
    # A corrected invoice (384) with a negative total gives money back: a credit note in all
    # but name (the German samples of ZUGFeRD "Rechnungskorrektur" are written this way).
    negative_correction = fields.type_code == CORRECTED_INVOICE and fields.grand_total < 0
    if fields.grand_total <= 0 and not negative_correction:
        msg = f"the total {fields.grand_total} is not a positive amount"
        raise EInvoiceError(msg, source=source, code="bad_value", xpath=xpaths["grand_total"])
    if fields.type_code in CREDIT_NOTE_TYPES or negative_correction:
        what = f"invoice {fields.preceding_invoice}" if fields.preceding_invoice else "an invoice"
        findings.append(
            EInvoiceFinding(
                code="credit_note",
                message=f"credit note {fields.number} (type {fields.type_code}) corrects "
                f"{what}: record its credit_note on that invoice",
                xpath=xpaths["type_code"],
            )
        )
        credit = CreditNote(
            on=fields.issued_on,
            amount=abs(fields.grand_total),
            currency=fields.currency,
            number=fields.number,
            corrects_invoice=fields.preceding_invoice is not None,
        )
        return EInvoice(
            **common,  # type: ignore[arg-type]
            invoice=None,
            credit_note=credit,
            corrects=fields.preceding_invoice,
            findings=tuple(findings),
        )
    invoice = _invoice(fields, invoice_id, kind, findings, source)
    events: list[Event] = []
    if fields.prepaid:
        if fields.prepaid > fields.grand_total:
            msg = f"the amount paid {fields.prepaid} is above the total {fields.grand_total}"
            raise EInvoiceError(msg, source=source, code="bad_value", xpath=xpaths["prepaid"])
        if fields.prepaid > 0:
            events.append(
                Payment(on=fields.issued_on, amount=fields.prepaid, currency=fields.currency)
            )
    if factored:
        reason = f"factored invoice (type {fields.type_code}): the factor collects"
        events.append(DunningStopped(on=fields.issued_on, reason=reason))
        findings.append(
            EInvoiceFinding(code="factored_invoice", message=reason, xpath=xpaths["type_code"])
        )
    elif fields.type_code == ACCOUNTING_INFORMATION:
        reason = (
            f"accounting information (type {ACCOUNTING_INFORMATION}), not the invoice: "
            "chase the invoice it describes"
        )
        events.append(DunningStopped(on=fields.issued_on, reason=reason))
        findings.append(
            EInvoiceFinding(
                code="accounting_information", message=reason, xpath=xpaths["type_code"]
            )
        )
    return EInvoice(
        **common,  # type: ignore[arg-type]
        invoice=invoice,
        events=tuple(events),
        findings=tuple(findings),
    )


def _invoice(
    fields: InvoiceFields,
    invoice_id: str | None,
    kind: CustomerKind,
    findings: list[EInvoiceFinding],
    source: str,
) -> Invoice:
    buyer = fields.buyer
    customer = Customer(
        id=buyer.siren or buyer.identifier or buyer.name,
        name=buyer.name,
        kind=kind,
        email=buyer.email,
        postal_address=buyer.address,
    )
    schedule = _schedule(fields, findings, source)
    for due_on, _ in schedule:
        _check_maximum(fields, due_on, findings)
    base = {
        "id": invoice_id or fields.number,
        "number": fields.number,
        "customer": customer,
        "issued_on": fields.issued_on,
        "total": fields.grand_total,
        "currency": fields.currency,
    }
    if len(schedule) == 1:
        return Invoice(**base, due_on=schedule[0][0])  # type: ignore[arg-type]
    parts = tuple(Installment(due_on=d, amount=a) for d, a in schedule)
    return Invoice(**base, installments=parts)  # type: ignore[arg-type]


def _schedule(
    fields: InvoiceFields, findings: list[EInvoiceFinding], source: str
) -> list[tuple[date, Decimal]]:
    where = fields.xpaths["due_dates"]
    dated = sorted(fields.due_dates, key=lambda part: part[0])
    if not dated:
        due = fields.issued_on + DEFAULT_TERM
        findings.append(
            EInvoiceFinding(
                code="due_date_missing",
                message=f"no due date (BT-9): the legal default of 30 days is assumed ({due})",
                xpath=where,
            )
        )
        return [(due, fields.grand_total)]
    if len(dated) == 1:
        return [(dated[0][0], fields.grand_total)]
    amounts = [a for _, a in dated]
    if any(a is None for a in amounts):
        due = dated[-1][0]
        findings.append(
            EInvoiceFinding(
                code="installments_without_amounts",
                message=f"{len(dated)} due dates without their amounts: the last one ({due}) "
                "is used for the whole invoice",
                xpath=where,
            )
        )
        return [(due, fields.grand_total)]
    parts = [(d, a) for d, a in dated if a is not None]
    added = sum((a for _, a in parts), Decimal(0))
    prepaid = fields.prepaid or Decimal(0)
    if added == fields.grand_total - prepaid and prepaid > 0:
        # The installments cover what is left to pay: what was paid is a part due at issue.
        parts.insert(0, (fields.issued_on, prepaid))
    elif added != fields.grand_total:
        msg = f"the installments add up to {added}, not to the total {fields.grand_total}"
        if prepaid:
            msg += f" nor to the amount due {fields.grand_total - prepaid}"
        raise EInvoiceError(msg, source=source, code="bad_value", xpath=where)
    return parts


def _check_maximum(fields: InvoiceFields, due_on: date, findings: list[EInvoiceFinding]) -> None:
    issued = fields.issued_on
    latest = max(maximum_due_date(issued, rule=rule) for rule in _MAXIMUM_RULES)
    if due_on > latest:
        findings.append(
            EInvoiceFinding(
                code="due_date_over_legal_maximum",
                message=f"due date {due_on} is after {latest}, the latest L441-10 I allows for "
                f"an invoice of {issued} (60 days, or 45 days end of month)",
                xpath=fields.xpaths["due_dates"],
            )
        )


def _terms(
    fields: InvoiceFields, kind: CustomerKind, findings: list[EInvoiceFinding]
) -> LatePaymentTerms:
    default = LatePaymentTerms.for_kind(kind, None)
    if kind is CustomerKind.CONSUMER:
        return default  # the mandatory notes are those of a sale between professionals
    notes = {code.upper(): text for code, text in fields.notes if code}
    where = fields.xpaths["notes"]
    for code, what in MANDATORY_NOTES.items():
        if code not in notes:
            findings.append(
                EInvoiceFinding(
                    code="missing_note",
                    message=f"no {code} note ({what}), which a French B2B invoice must carry",
                    xpath=where,
                )
            )
    terms = default
    if "PMD" in notes:
        reading = read_penalty_note(notes["PMD"], kind)
        if reading.terms is None:
            findings.append(
                EInvoiceFinding(
                    code="unreadable_note",
                    message=f"the PMD note {reading.problem}: the legal default applies "
                    f"({default.regime.value}); check the terms by hand",
                    xpath=where,
                )
            )
        else:
            terms = reading.terms
    if "PMT" in notes and states_indemnity(notes["PMT"]) is None:
        findings.append(
            EInvoiceFinding(
                code="unreadable_note",
                message="the PMT note states no amount for the recovery indemnity (40 EUR)",
                xpath=where,
            )
        )
    return terms
