"""Electronic invoices of the French 2026 reform: read invoices, turn lifecycle statuses into facts.

The extra ``dunning[einvoice]`` (lxml, pypdf) is needed to read files:

- `read_invoice` reads an EN 16931 invoice (Factur-X PDF, UN/CEFACT CII or UBL XML) into an
  `EInvoice`: the `dunning.Invoice` to chase, the facts it states (the amount already paid),
  the late-payment terms of its PMD note, and findings for a human (missing mandatory notes,
  a due date beyond the legal maximum, a credit note, a factored invoice).
- `lifecycle_event` maps a lifecycle status (AFNOR XP Z12-012: 207 "En litige", 212
  "Encaissée"...) to a dunning fact, as the table `LIFECYCLE_STATUSES` says; `read_lifecycle`
  reads a CDAR status message into the same.
- `collected_status` writes the 212 "Encaissée" message a supplier sends when it is paid.
- `chorus_status_event` does for a public buyer's Chorus Pro status what `lifecycle_event`
  does for the reform's; `public_payment_due` and `public_penalties_due` give the legal dates.

See docs/einvoicing.md for the table and worked examples.

Examples:
    >>> from datetime import date
    >>> from dunning.einvoice import lifecycle_event
    >>> lifecycle_event(207, invoice_id="F-1", on=date(2026, 10, 5), reason="prix").kind
    'dispute_opened'
"""

from __future__ import annotations

from dunning.einvoice._chorus import (
    CHORUS_STATUSES,
    PENALTIES_PAYMENT_DAYS,
    PUBLIC_PAYMENT_DAYS,
    ChorusStatus,
    chorus_status_event,
    public_payment_due,
    public_penalties_due,
)
from dunning.einvoice._collected import PPF_ADDRESS, collected_status
from dunning.einvoice._io import LifecycleMessage, read_invoice, read_lifecycle
from dunning.einvoice._lifecycle import (
    LIFECYCLE_STATUSES,
    PAYMENT_IN_TRANSIT_DAYS,
    LifecycleEffect,
    LifecycleStatus,
    lifecycle_event,
)
from dunning.einvoice._model import EInvoice, EInvoiceFinding
from dunning.einvoice._notes import MANDATORY_NOTES, read_penalty_note

__all__ = [
    "CHORUS_STATUSES",
    "LIFECYCLE_STATUSES",
    "MANDATORY_NOTES",
    "PAYMENT_IN_TRANSIT_DAYS",
    "PENALTIES_PAYMENT_DAYS",
    "PPF_ADDRESS",
    "PUBLIC_PAYMENT_DAYS",
    "ChorusStatus",
    "EInvoice",
    "EInvoiceFinding",
    "LifecycleEffect",
    "LifecycleMessage",
    "LifecycleStatus",
    "chorus_status_event",
    "collected_status",
    "lifecycle_event",
    "public_payment_due",
    "public_penalties_due",
    "read_invoice",
    "read_lifecycle",
    "read_penalty_note",
]
