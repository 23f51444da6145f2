"""E-invoice readers under malformed input, and the 212 message's amounts (hypothesis).

Stated as a supplier's platform sees them: whatever bytes arrive (a sample with bytes flipped,
cut, inserted; a PDF header on garbage), reading gives an invoice or a clear `EInvoiceError`,
never another exception and never a hang; and whatever a payment and its split by VAT rate,
the 212 message read back states exactly the amount collected.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import examples, require_extra

require_extra("einvoice")

from dunning import Creditor, Customer, Invoice, Payment  # noqa: E402
from dunning.einvoice import collected_status, read_invoice, read_lifecycle  # noqa: E402
from dunning.exceptions import EInvoiceError  # noqa: E402

DATA = Path(__file__).parents[1] / "data" / "einvoice"
SAMPLES = sorted(DATA.glob("*.xml"))
FUZZ = settings(
    max_examples=examples(200),
    deadline=2000,  # ms per example: a hang (entity expansion, a runaway loop) fails
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A sample with a few bytes replaced, deleted or inserted, or cut short."""
    data = bytearray(draw(st.sampled_from(SAMPLES)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["replace", "delete", "insert", "cut"]))
        if how == "replace":
            data[where] = draw(st.integers(0, 255))
        elif how == "delete":
            del data[where]
        elif how == "insert":
            data[where:where] = draw(
                st.sampled_from([b"<", b"&", b"]]>", b"\x00", b"<!DOCTYPE x>", b"9" * 40])
            )
        else:
            del data[where:]
        if not data:
            data = bytearray(b" ")
    return bytes(data)


@FUZZ
@given(damaged())
def test_a_damaged_document_reads_or_fails_clearly(data: bytes) -> None:
    for reader in (read_invoice, read_lifecycle):
        try:
            reader(data)
        except EInvoiceError as error:
            assert error.code in {  # noqa: PT017  (the code is what a host branches on)
                "not_xml",
                "unknown_document",
                "missing_element",
                "bad_value",
                "no_invoice_in_pdf",
            }
            assert str(error)  # noqa: PT017


@FUZZ
@given(st.binary(max_size=2000))
def test_garbage_behind_a_pdf_header_is_a_clear_error(tail: bytes) -> None:
    try:
        read_invoice(b"%PDF-1.7\n" + tail)
    except EInvoiceError as error:
        assert error.code in {"no_invoice_in_pdf", "not_xml"}  # noqa: PT017


SELLER = Creditor(
    name="Atelier Durand SAS",
    address="12 rue des Lilas, 69003 Lyon",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="compta@durand.example",
    siren="732829320",
)
RATES = [Decimal(r) for r in ("0", "2.1", "5.5", "8.5", "10", "13", "20")]


@settings(max_examples=examples(100), deadline=None)
@given(
    cents=st.lists(st.integers(1, 10**11), min_size=1, max_size=4),
    rates=st.lists(st.sampled_from(RATES), min_size=4, max_size=4, unique=True),
)
def test_the_212_states_exactly_the_amount_collected(
    cents: list[int], rates: list[Decimal]
) -> None:
    parts = {rate: Decimal(c).scaleb(-2) for rate, c in zip(rates, cents, strict=False)}
    total = sum(parts.values(), Decimal(0))
    invoice = Invoice(
        id="i",
        number="FA-1",
        customer=Customer(id="c", name="Garage Martin"),
        issued_on=date(2026, 10, 1),
        due_on=date(2026, 10, 31),
        total=total,
    )
    paid = Payment(on=date(2026, 11, 3), amount=total)
    xml = collected_status(
        invoice,
        paid,
        parts if len(parts) > 1 else next(iter(parts)),
        seller=SELLER,
        buyer_siren="552100554",
        buyer_address="552100554",
        at=datetime(2026, 11, 3, 9, tzinfo=UTC),
    )
    message = read_lifecycle(xml)
    assert message.amount == total
    assert message.event == Payment(on=date(2026, 11, 3), amount=total, reference="status 212")
