"""`still_due`: what an approver must know before approving (issue 19: made public)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning import STANDARD, Channel, DisputeOpened, Payment
from dunning.engine import action_id
from dunning.exceptions import NotFoundError
from dunning.model import InvoiceHistory
from dunning.ports import Covered, EntryStatus, LogEntry
from dunning.render import Message
from dunning.runner import still_due
from dunning.testing import make_invoice, paris

INVOICE = make_invoice(due_on=date(2026, 5, 4))  # 1,200.00 EUR, number 2026-0001
AT = paris(2026, 5, 5, 10)  # J+1: STANDARD's "informative" step is due
COVER = Covered("INV-001", action_id("INV-001", "informative"), "informative", Decimal("1200.00"))
ENTRY = LogEntry(
    key="m1",
    customer_id="C-001",
    channel=Channel.EMAIL,
    covers=(COVER,),
    message=Message(
        action_id="m1",
        channel=Channel.EMAIL,
        template="friendly",
        locale="fr_FR",
        subject="Relance",
        text="Relance",
    ),
    status=EntryStatus.PENDING_APPROVAL,
    owner="r1",
    reserved_at=AT,
    updated_at=AT,
)


def _status(*events: object) -> str:
    history = InvoiceHistory(invoice=INVOICE, events=events)  # type: ignore[arg-type]
    [status] = still_due(ENTRY, {"INV-001": history}, STANDARD, at=AT)
    return str(status)


def test_an_untouched_invoice_is_still_due() -> None:
    assert _status() == "2026-0001: still due"


def test_a_partial_payment_shows_what_is_owed_now() -> None:
    """1,200.00 - 450.00 = 750.00 owed now, 1,200.00 in the preview."""
    assert _status(Payment(on=date(2026, 5, 5), amount=Decimal("450.00"))) == (
        "2026-0001: still due, 750.00 EUR owed now (1200.00 in its preview: the next run"
        " updates it)"
    )


def test_a_paid_or_disputed_invoice_is_no_longer_due() -> None:
    paid = _status(Payment(on=date(2026, 5, 5), amount=Decimal("1200.00")))
    assert paid.startswith("2026-0001: no longer due (")
    disputed = _status(DisputeOpened(on=date(2026, 5, 5), reason="goods damaged"))
    assert disputed.startswith("2026-0001: no longer due (")


def test_a_covered_invoice_without_its_history_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no history given for invoice 'INV-001'"):
        still_due(ENTRY, {}, STANDARD, at=AT)
