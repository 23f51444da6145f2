"""Penalty options of issue 10, point 12: correcting credit notes, debtors outside France."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dunning.core.model import CreditNote, Customer, Invoice
from dunning.core.penalties import compute_penalties


def _invoice(country: str = "FR") -> Invoice:
    """1,200 EUR due Monday 27 April 2026 (B2B default: ECB 2.15 % + 10 = 12.15 % in 2026 H1)."""
    return Invoice(
        id="F-1",
        number="2026-0001",
        customer=Customer(id="C", name="ACME SARL", country=country),
        issued_on=date(2026, 3, 27),
        due_on=date(2026, 4, 27),
        total=Decimal("1200.00"),
    )


def test_correcting_credit_note_reduces_the_principal_from_the_due_date() -> None:
    """A 200 EUR correction dated 10 May: interest on 1,000 for all 21 days to 18 May."""
    note = CreditNote(on=date(2026, 5, 10), amount=Decimal("200.00"), corrects_invoice=True)
    b = compute_penalties(_invoice(), [note], until=date(2026, 5, 18))
    # 28 April .. 18 May = 21 days; 1000 x 0.1215 x 21 / 365 = 6.9904... -> 6.99
    assert [(line.principal, line.days) for line in b.lines] == [(Decimal("1000.00"), 21)]
    assert b.interest == Decimal("6.99")
    assert b.recovery_indemnity == Decimal("40.00")


def test_credit_note_is_a_settlement_on_its_date_by_default() -> None:
    """Without corrects_invoice the 200 EUR count from 10 May, like a payment."""
    note = CreditNote(on=date(2026, 5, 10), amount=Decimal("200.00"))
    assert note.corrects_invoice is False
    b = compute_penalties(_invoice(), [note], until=date(2026, 5, 18))
    # 28 April .. 10 May: 13 days on 1,200; 11 .. 18 May: 8 days on 1,000.
    assert [(line.principal, line.days) for line in b.lines] == [
        (Decimal("1200.00"), 13),
        (Decimal("1000.00"), 8),
    ]
    # 1200 x 0.1215 x 13 / 365 = 5.1929 -> 5.19 and 1000 x 0.1215 x 8 / 365 = 2.6630 -> 2.66,
    # rounded per line (the default): 7.85.
    assert [line.interest for line in b.lines] == [Decimal("5.19"), Decimal("2.66")]
    assert b.interest == Decimal("7.85")


def test_correction_dated_before_the_due_date_counts_from_its_date() -> None:
    """A correction issued before the due date simply lowers the principal from the start."""
    note = CreditNote(on=date(2026, 4, 1), amount=Decimal("200.00"), corrects_invoice=True)
    b = compute_penalties(_invoice(), [note], until=date(2026, 5, 18))
    assert [(line.principal, line.days) for line in b.lines] == [(Decimal("1000.00"), 21)]


def test_debtor_outside_france_is_flagged() -> None:
    """A Belgian debtor gets a finding: French late-payment law may not govern the contract."""
    b = compute_penalties(_invoice("BE"), [], until=date(2026, 5, 18))
    assert [f.code for f in b.findings] == ["governing_law_to_check"]
    assert "the debtor is in BE" in b.findings[0].message
    assert compute_penalties(_invoice(), [], until=date(2026, 5, 18)).findings == ()
