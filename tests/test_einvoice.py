"""Reading EN 16931 invoices and lifecycle statuses (issue 21), checked field by field.

Every file in tests/data/einvoice/ is described in its README; the expected values below are
read off the files by hand. Each reading then goes through `decide` to see the ladder start,
pause or stop as the status table says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import paris_at, require_extra

require_extra("einvoice")

from dunning import STANDARD, Decision, DecisionStatus, Event, decide  # noqa: E402
from dunning.einvoice import (  # noqa: E402
    LIFECYCLE_STATUSES,
    EInvoice,
    LifecycleEffect,
    lifecycle_event,
    read_invoice,
    read_lifecycle,
    read_penalty_note,
)
from dunning.exceptions import EInvoiceError, NotFoundError  # noqa: E402
from dunning.model import (  # noqa: E402
    CreditNote,
    CustomerKind,
    DisputeOpened,
    DunningStopped,
    HoldLifted,
    HoldPlaced,
    Installment,
    Payment,
    Reversal,
    ReversalReason,
)

DATA = Path(__file__).parent / "data" / "einvoice"
CII_TOP = "/rsm:CrossIndustryInvoice"


def _decide(einv: EInvoice, events: Sequence[Event] = (), *, at: datetime) -> Decision:
    assert einv.invoice is not None
    return decide(einv.invoice, [*einv.events, *events], STANDARD, at=at)


# --- reading invoices -----------------------------------------------------------------------


def test_cii_invoice_fields() -> None:
    """A CII invoice gives its number, dates, total, currency, customer and ECB + 10 terms."""
    einv = read_invoice(DATA / "cii_invoice.xml")
    inv = einv.invoice
    assert inv is not None
    assert (einv.syntax, einv.from_pdf, einv.type_code) == ("cii", False, "380")
    assert (inv.id, inv.number) == ("FA-2026-0042", "FA-2026-0042")
    assert (inv.issued_on, inv.due_on, inv.installments) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        (),
    )
    assert (inv.total, inv.currency) == (Decimal("1440.00"), "EUR")
    c = inv.customer
    assert (c.id, c.name, c.kind) == ("552100554", "Boulangerie Martin SARL", "business")
    assert c.email == "compta@boulangerie-martin.example"
    assert c.postal_address == "4 place Grenette, 38000 Grenoble, FR"
    assert einv.events == ()
    assert einv.terms.regime == "b2b_default"
    assert einv.findings == ()


def test_cii_invoice_starts_the_ladder_the_first_business_day_after_due() -> None:
    """Due Saturday 31 Oct 2026; 1 Nov is a Sunday and a holiday: the J+1 step is due Monday."""
    einv = read_invoice(DATA / "cii_invoice.xml", invoice_id="host-42")
    assert einv.invoice is not None
    assert einv.invoice.id == "host-42"
    assert _decide(einv, at=paris_at(2026, 10, 30)).status == DecisionStatus.NOT_DUE
    due = _decide(einv, at=paris_at(2026, 11, 2, 11))
    assert due.status == DecisionStatus.ACTION_DUE
    assert [a.step_id for a in due.actions] == ["informative"]


def test_factur_x_pdf_reads_like_its_xml(tmp_path: Path) -> None:
    """A Factur-X PDF built by the factur-x library gives the invoice of its attached CII."""
    facturx = pytest.importorskip("facturx")
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = tmp_path / "blank.pdf"
    with blank.open("wb") as out:
        writer.write(out)
    xml = (DATA / "cii_invoice.xml").read_bytes()
    pdf = facturx.generate_from_binary(blank.read_bytes(), xml, check_xsd=True)
    einv = read_invoice(pdf)
    assert (einv.syntax, einv.from_pdf) == ("cii", True)
    assert einv.invoice == read_invoice(DATA / "cii_invoice.xml").invoice
    path = tmp_path / "FA-2026-0042.pdf"
    path.write_bytes(pdf)
    assert read_invoice(path).invoice == einv.invoice


def test_installments_with_an_amount_already_paid() -> None:
    """Three dated parts of 400 + 240 paid at issue (BT-113) = 1440: four installments."""
    einv = read_invoice(DATA / "cii_installments.xml")
    inv = einv.invoice
    assert inv is not None
    assert inv.due_on is None
    assert inv.installments == (
        Installment(due_on=date(2026, 10, 1), amount=Decimal("240.00")),
        Installment(due_on=date(2026, 10, 31), amount=Decimal("400.00")),
        Installment(due_on=date(2026, 11, 30), amount=Decimal("400.00")),
        Installment(due_on=date(2026, 12, 31), amount=Decimal("400.00")),
    )
    assert einv.events == (Payment(on=date(2026, 10, 1), amount=Decimal("240.00")),)
    assert einv.terms.regime == "b2b_contractual"
    assert einv.terms.legal_rate_multiple == Decimal(3)
    # No AAB note; the last part (31 Dec) is after 15 Dec, the latest L441-10 date for an
    # invoice of 1 Oct (end of October + 45 days; 60 days and 45 days + end of month: 30 Nov).
    assert einv.finding_codes == ("missing_note", "due_date_over_legal_maximum")
    assert "AAB" in einv.findings[0].message
    assert "2026-12-15" in einv.findings[1].message
    paid_part_only = _decide(einv, at=paris_at(2026, 10, 20))
    assert paid_part_only.status == DecisionStatus.NOT_DUE


def test_ubl_invoice_fields() -> None:
    """A UBL invoice: 600 total, 200 prepaid, a 12 % rate, a due date past the legal maximum."""
    einv = read_invoice(DATA / "ubl_invoice.xml")
    inv = einv.invoice
    assert inv is not None
    assert (einv.syntax, inv.number, inv.issued_on, inv.due_on) == (
        "ubl",
        "2026-U-0317",
        date(2026, 9, 15),
        date(2026, 12, 31),
    )
    assert (inv.total, inv.currency) == (Decimal("600.00"), "EUR")
    c = inv.customer
    assert (c.id, c.name, c.email) == (
        "487654321",
        "Pâtisserie Lenoir EURL",
        "factures@lenoir.example",
    )
    assert c.postal_address == "18 avenue Jean Jaurès, 69100 Villeurbanne, FR"
    assert einv.events == (Payment(on=date(2026, 9, 15), amount=Decimal("200.00")),)
    assert (einv.terms.regime, einv.terms.contractual_rate) == ("b2b_contractual", Decimal(12))
    assert (einv.buyer_reference, einv.order_reference) == ("ACHATS-42", "BC-7781")
    # 15 Sep 2026: 60 days = 14 Nov; +45 days = 30 Oct -> 31 Oct; 30 Sep + 45 days = 14 Nov.
    assert einv.finding_codes == ("due_date_over_legal_maximum",)
    assert "2026-11-14" in einv.findings[0].message
    assert (
        einv.findings[0].xpath
        == "/inv:Invoice/cbc:DueDate | /inv:Invoice/cac:PaymentMeans/cbc:PaymentDueDate"
    )


def test_ubl_credit_note_corrects_an_invoice() -> None:
    """A 381 credit note is no invoice to chase: it gives the credit note for FA-2026-0042."""
    einv = read_invoice(DATA / "ubl_credit_note.xml")
    assert einv.invoice is None
    assert (einv.type_code, einv.number, einv.corrects) == ("381", "AV-2026-0007", "FA-2026-0042")
    assert einv.credit_note == CreditNote(
        on=date(2026, 10, 20),
        amount=Decimal("240.00"),
        number="AV-2026-0007",
        corrects_invoice=True,
    )
    assert einv.finding_codes == ("credit_note",)
    corrected = read_invoice(DATA / "cii_invoice.xml")
    assert corrected.invoice is not None
    late = decide(corrected.invoice, [einv.credit_note], STANDARD, at=paris_at(2026, 11, 2, 11))
    assert late.status == DecisionStatus.ACTION_DUE  # 1200 still owed


def test_a_corrected_invoice_with_a_negative_total_is_a_credit_note() -> None:
    """A 384 with a negative total gives money back (a credit note); positive, an invoice.

    ZUGFeRD's "Rechnungskorrektur" samples are written this way.
    """
    text = (DATA / "cii_invoice.xml").read_text(encoding="utf-8")
    corrected = text.replace("<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode>384</ram:TypeCode>")
    negative = corrected.replace(">1440.00<", ">-1440.00<")
    einv = read_invoice(negative.encode())
    assert einv.invoice is None
    assert einv.credit_note == CreditNote(
        on=date(2026, 10, 1), amount=Decimal("1440.00"), number="FA-2026-0042"
    )
    assert "credit_note" in einv.finding_codes
    positive = read_invoice(corrected.encode())
    assert positive.invoice is not None
    assert positive.invoice.total == Decimal("1440.00")


def test_accounting_information_is_read_and_never_chased() -> None:
    """A 751 (accounting data, not the claim itself): read, a finding, the ladder closed."""
    text = (DATA / "cii_invoice.xml").read_text(encoding="utf-8")
    einv = read_invoice(
        text.replace(
            "<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode>751</ram:TypeCode>"
        ).encode()
    )
    assert einv.type_code == "751"
    assert einv.invoice is not None
    assert einv.invoice.total == Decimal("1440.00")
    reason = "accounting information (type 751), not the invoice: chase the invoice it describes"
    assert einv.events == (DunningStopped(on=date(2026, 10, 1), reason=reason),)
    assert einv.finding_codes == ("accounting_information",)
    decision = _decide(einv, at=paris_at(2026, 12, 20))  # long past its due date
    assert decision.status == DecisionStatus.CLOSED
    assert decision.actions == ()
    assert _decide(read_invoice(text.encode()), at=paris_at(2026, 12, 20)).actions  # the 380 is


def test_factored_invoice_stops_dunning() -> None:
    """A 393 invoice is collected by the factor: a finding, and the ladder is closed."""
    einv = read_invoice(DATA / "cii_factored_393.xml")
    assert einv.type_code == "393"
    assert einv.events == (
        DunningStopped(
            on=date(2026, 10, 5), reason="factored invoice (type 393): the factor collects"
        ),
    )
    assert einv.finding_codes == ("factored_invoice",)
    decision = _decide(einv, at=paris_at(2026, 11, 20))
    assert decision.status == DecisionStatus.CLOSED
    assert decision.actions == ()


def test_public_buyer_with_service_code_and_commitment() -> None:
    """BT-10 service code and BT-13 commitment are kept; ECB + 8 is the public regime."""
    einv = read_invoice(DATA / "cii_public_buyer.xml", customer_kind="public")
    assert einv.invoice is not None
    assert einv.invoice.customer.kind == CustomerKind.PUBLIC
    assert einv.invoice.customer.name == "Commune de Saint-Égrève"
    assert (einv.buyer_reference, einv.order_reference) == ("SERV-TECH-01", "EJ-2026-000123")
    assert einv.terms.regime == "public_buyer"
    assert einv.findings == ()


def test_unreadable_notes_and_no_due_date_are_findings() -> None:
    """Notes that state no rate or amount, no AAB note, no BT-9: findings, legal defaults."""
    einv = read_invoice(DATA / "cii_no_notes.xml")
    assert einv.invoice is not None
    assert einv.invoice.due_on == date(2026, 10, 31)  # 1 Oct + 30 days (L441-10 I)
    assert einv.terms.regime == "b2b_default"
    assert einv.finding_codes == (
        "missing_note",
        "unreadable_note",
        "unreadable_note",
        "due_date_missing",
    )
    assert einv.findings[0].xpath == f"{CII_TOP}/rsm:ExchangedDocument/ram:IncludedNote"


@pytest.mark.parametrize(
    ("text", "kind", "regime", "multiple", "rate"),
    [
        ("Taux BCE majoré de 10 points", "business", "b2b_default", None, None),
        ("taux de la Banque centrale européenne + 10 pts", "business", "b2b_default", None, None),
        ("3 fois le taux d'intérêt légal", "business", "b2b_contractual", Decimal(3), None),
        (
            "égal à trois fois le taux de l\N{RIGHT SINGLE QUOTATION MARK}intérêt légal",
            "business",
            "b2b_contractual",
            3,
            None,
        ),
        ("pénalités au taux annuel de 10,5 %", "business", "b2b_contractual", None, "10.5"),
        ("BCE + 8 points", "public", "public_buyer", None, None),
        ("intérêts au taux de 5 % l'an", "consumer", "consumer", None, Decimal(5)),
    ],
)
def test_usual_pmd_wordings(text, kind, regime, multiple, rate) -> None:  # type: ignore[no-untyped-def]
    """The usual PMD wordings map to the regimes the library computes."""
    terms = read_penalty_note(text, CustomerKind(kind)).terms
    assert terms is not None
    assert terms.regime == regime
    assert terms.legal_rate_multiple == (None if multiple is None else Decimal(multiple))
    assert terms.contractual_rate == (None if rate is None else Decimal(rate))


def test_a_formula_the_library_does_not_model_is_not_guessed() -> None:
    """ECB + 7 points for a business is no regime of the library: no terms, a reason."""
    reading = read_penalty_note("taux BCE majoré de 7 points", CustomerKind.BUSINESS)
    assert reading.terms is None
    assert reading.problem is not None
    assert "ECB rate + 7 points" in reading.problem


# --- unreadable input: clear errors naming the element --------------------------------------


def _cii_without(element: str) -> bytes:
    text = (DATA / "cii_invoice.xml").read_text(encoding="utf-8")
    assert element in text
    return text.replace(element, "").encode()


def test_a_missing_mandatory_element_is_named_by_its_xpath() -> None:
    """No invoice number: the error says which element, with a stable code."""
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(_cii_without("<ram:ID>FA-2026-0042</ram:ID>"))
    assert caught.value.code == "missing_element"
    assert caught.value.xpath == f"{CII_TOP}/rsm:ExchangedDocument/ram:ID"
    assert str(caught.value).startswith("<bytes>: /rsm:CrossIndustryInvoice/")


def test_a_bad_date_and_a_bad_amount_are_named() -> None:
    """A date that is no date, an amount that is no amount: ``bad_value`` at their XPath."""
    text = (DATA / "cii_invoice.xml").read_text(encoding="utf-8")
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(text.replace(">20261001<", ">20261301<").encode())
    assert caught.value.code == "bad_value"
    assert caught.value.xpath == (
        f"{CII_TOP}/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"
    )
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(text.replace(">1440.00<", ">1 440,00<").encode())
    assert caught.value.code == "bad_value"
    assert caught.value.xpath is not None
    assert caught.value.xpath.endswith("ram:GrandTotalAmount")


def test_a_value_the_library_refuses_is_named_by_its_xpath() -> None:
    """A currency that is not ISO 4217 (the fuzz property found it): ``bad_value`` at its XPath."""
    text = (DATA / "cii_invoice.xml").read_text(encoding="utf-8")
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(
            text.replace(">EUR</ram:InvoiceCurrencyCode>", ">UR</ram:InvoiceCurrencyCode>").encode()
        )
    assert caught.value.code == "bad_value"
    assert caught.value.xpath is not None
    assert caught.value.xpath.endswith("ram:InvoiceCurrencyCode")
    assert "'UR'" in str(caught.value)
    # A rule over several fields (XRechnung-O of ConnectingEurope's examples is due before
    # its issue date): its message, at the due date's XPath, without the model's fields.
    early = text.replace(">20261031<", ">20260901<")
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(early.encode())
    assert caught.value.code == "bad_value"
    assert str(caught.value).endswith("due_on 2026-09-01 is before the issue date 2026-10-01")
    assert caught.value.xpath is not None
    assert "DueDateDateTime" in caught.value.xpath or "PaymentTerms" in caught.value.xpath


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_xml"),
        (b"not xml at all", "not_xml"),
        (b"<a><b></a>", "not_xml"),
        (b"<Order xmlns='urn:x'/>", "unknown_document"),
        (b"%PDF-1.7\n garbage", "no_invoice_in_pdf"),
        (b"\x00\xff\xfe" * 100, "not_xml"),
    ],
)
def test_malformed_input_gives_a_clear_error(data: bytes, code: str) -> None:
    """Malformed bytes never give a traceback of the parser: an EInvoiceError with a code."""
    with pytest.raises(EInvoiceError) as caught:
        read_invoice(data)
    assert caught.value.code == code


def test_entities_are_never_expanded() -> None:
    """XXE and "billion laughs": any DTD is refused before a value is read."""
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<r>&c;</r>"
    )
    for data in (xxe, laughs):
        with pytest.raises(EInvoiceError, match="DTD") as caught:
            read_invoice(data)
        assert caught.value.code == "not_xml"
        with pytest.raises(EInvoiceError, match="DTD"):
            read_lifecycle(data)


def test_a_pdf_without_an_invoice_is_named(tmp_path: Path) -> None:
    """A plain PDF: ``no_invoice_in_pdf`` listing what it holds."""
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.add_attachment("notes.txt", b"hello")
    path = tmp_path / "plain.pdf"
    with path.open("wb") as out:
        writer.write(out)
    with pytest.raises(EInvoiceError, match=r"attachments: notes\.txt") as caught:
        read_invoice(path)
    assert caught.value.code == "no_invoice_in_pdf"


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A path that cannot be read names itself."""
    with pytest.raises(EInvoiceError, match="cannot be read"):
        read_invoice(tmp_path / "nope.xml")


# --- lifecycle statuses ---------------------------------------------------------------------


def test_the_status_table() -> None:
    """The table maps the statuses of issue 21; the four mandatory ones are marked."""
    effects = {code: status.effect for code, status in LIFECYCLE_STATUSES.items()}
    assert {c for c, s in LIFECYCLE_STATUSES.items() if s.mandatory} == {200, 210, 212, 213}
    assert effects[207] is LifecycleEffect.DISPUTE
    assert (effects[208], effects[209]) == (LifecycleEffect.HOLD, LifecycleEffect.HOLD_LIFTED)
    assert effects[210] is effects[220] is effects[225] is LifecycleEffect.STOP
    assert effects[213] is effects[221] is LifecycleEffect.BLOCK
    assert effects[212] is LifecycleEffect.PAYMENT
    assert effects[206] is LifecycleEffect.PARTIAL_DISPUTE
    assert effects[211] is LifecycleEffect.SHORT_HOLD
    assert {c for c, e in effects.items() if e is LifecycleEffect.NONE} == {
        200, 201, 202, 203, 204, 205,
    }  # fmt: skip


def test_each_status_gives_its_fact() -> None:
    """lifecycle_event builds the fact of each effect, with the status in its reason."""
    on = date(2026, 11, 2)
    kw = {"invoice_id": "F-1", "on": on}
    assert lifecycle_event(205, **kw) is None  # type: ignore[arg-type]
    assert lifecycle_event(207, reason="prix", **kw) == DisputeOpened(  # type: ignore[arg-type]
        on=on, reason="207 En litige: prix"
    )
    assert lifecycle_event(206, amount=Decimal("300.00"), **kw) == DisputeOpened(  # type: ignore[arg-type]
        on=on, reason="206 Approuvée partiellement", amount=Decimal("300.00")
    )
    assert lifecycle_event(208, **kw) == HoldPlaced(on=on, reason="208 Suspendue")  # type: ignore[arg-type]
    assert lifecycle_event(209, **kw) == HoldLifted(on=on)  # type: ignore[arg-type]
    assert lifecycle_event("211", **kw) == HoldPlaced(  # type: ignore[arg-type]
        on=on, reason="211 Paiement transmis", until=date(2026, 11, 9)
    )
    assert lifecycle_event(211, transit_days=3, **kw) == HoldPlaced(  # type: ignore[arg-type]
        on=on, reason="211 Paiement transmis", until=date(2026, 11, 5)
    )
    assert lifecycle_event(221, **kw) == HoldPlaced(  # type: ignore[arg-type]
        on=on, reason="221 Erreur de routage (until deposited again)"
    )
    assert lifecycle_event(220, **kw) == DunningStopped(on=on, reason="220 Annulée")  # type: ignore[arg-type]
    assert lifecycle_event(225, **kw) == DunningStopped(on=on, reason="225 Affacturée")  # type: ignore[arg-type]


def test_an_unknown_status_or_a_212_without_amount_is_refused() -> None:
    """An unknown code lists the known ones; 212 needs the amount collected."""
    with pytest.raises(NotFoundError, match=r"unknown lifecycle status 299.*known are 200, 201"):
        lifecycle_event(299, invoice_id="F-1", on=date(2026, 11, 2))
    with pytest.raises(EInvoiceError, match="amount collected") as caught:
        lifecycle_event(212, invoice_id="F-1", on=date(2026, 11, 2))
    assert caught.value.code == "missing_element"


def test_cdar_212_pays_the_invoice_and_closes_it() -> None:
    """A CDAR 212 "Encaissée" of 1440.00 on 3 Nov: a payment, and the ladder closes."""
    msg = read_lifecycle(DATA / "cdar_212_encaissee.xml")
    assert (msg.invoice_number, msg.code, msg.on, msg.amount, msg.reason) == (
        "FA-2026-0042",
        212,
        date(2026, 11, 3),
        Decimal("1440.00"),
        None,
    )
    assert msg.event == Payment(
        on=date(2026, 11, 3), amount=Decimal("1440.00"), reference="status 212"
    )
    einv = read_invoice(DATA / "cii_invoice.xml")
    assert _decide(einv, [msg.event], at=paris_at(2026, 11, 2, 11)).status == "action_due"
    assert _decide(einv, [msg.event], at=paris_at(2026, 11, 4)).status == "closed"


def test_cdar_207_pauses_the_ladder() -> None:
    """A CDAR 207 "En litige" with its reason: the invoice is paused, not chased."""
    msg = read_lifecycle(DATA / "cdar_207_en_litige.xml")
    assert (msg.code, msg.on) == (207, date(2026, 10, 12))
    assert msg.reason == "Quantité facturée différente de la quantité livrée"
    assert isinstance(msg.event, DisputeOpened)
    einv = read_invoice(DATA / "cii_invoice.xml")
    decision = _decide(einv, [msg.event], at=paris_at(2026, 11, 2, 11))
    assert decision.status == DecisionStatus.PAUSED
    assert decision.actions == ()


def test_cdar_213_blocks_until_deposited_again() -> None:
    """A CDAR 213 "Rejetée": nothing is chased until the host lifts the block."""
    msg = read_lifecycle(DATA / "cdar_213_rejetee.xml")
    assert (msg.code, msg.on, msg.reason) == (213, date(2026, 10, 2), "DOUBLON")
    assert msg.event == HoldPlaced(
        on=date(2026, 10, 2), reason="213 Rejetée: DOUBLON (until deposited again)"
    )
    einv = read_invoice(DATA / "cii_invoice.xml")
    at = paris_at(2026, 11, 2, 11)
    assert _decide(einv, [msg.event], at=at).status == DecisionStatus.PAUSED
    lifted = HoldLifted(on=date(2026, 10, 6))
    assert _decide(einv, [msg.event, lifted], at=at).status == DecisionStatus.ACTION_DUE


def test_211_holds_a_week_then_dunning_resumes() -> None:
    """Money on its way is not chased for 7 days; then the ladder resumes."""
    einv = read_invoice(DATA / "cii_invoice.xml")
    hold = lifecycle_event(211, invoice_id="FA-2026-0042", on=date(2026, 10, 30))
    assert hold is not None
    assert _decide(einv, [hold], at=paris_at(2026, 11, 6, 11)).status == DecisionStatus.PAUSED
    assert _decide(einv, [hold], at=paris_at(2026, 11, 9, 11)).status == "action_due"


def test_210_refused_closes_and_a_reversal_reopens() -> None:
    """A refusal stops dunning for good; reversing it (recorded by mistake) resumes it."""
    einv = read_invoice(DATA / "cii_invoice.xml")
    refused = DunningStopped(on=date(2026, 10, 10), reason="210 Refusée", id="S-1")
    at = paris_at(2026, 11, 2, 11)
    decision = _decide(einv, [refused], at=at)
    assert decision.status == DecisionStatus.CLOSED
    assert decision.reason == "stopped on 2026-10-10: 210 Refusée"
    undo = Reversal(on=date(2026, 10, 12), reverses="S-1", reason=ReversalReason.MISTAKE)
    assert _decide(einv, [refused, undo], at=at).status == DecisionStatus.ACTION_DUE
    lifted = HoldLifted(on=date(2026, 10, 11))
    assert _decide(einv, [refused, lifted], at=at).status == DecisionStatus.CLOSED


def test_a_stop_dated_later_does_not_close_earlier() -> None:
    """Like every fact, a stop counts from its date: before it, the ladder runs."""
    einv = read_invoice(DATA / "cii_invoice.xml")
    later = DunningStopped(on=date(2026, 11, 20), reason="225 Affacturée")
    assert _decide(einv, [later], at=paris_at(2026, 11, 2, 11)).status == "action_due"
    assert _decide(einv, [later], at=paris_at(2026, 11, 20, 11)).status == "closed"
