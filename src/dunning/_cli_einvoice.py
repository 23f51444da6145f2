"""The command line's e-invoicing parts: ``dunning import *.xml|*.pdf`` and ``record status``.

Reading needs the ``einvoice`` extra; without it both say how to install it. An import reads
every file before it writes anything: one unreadable file, and nothing is imported.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunning.core.model import (
    DisputeOpened,
    DunningStopped,
    Event,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
)
from dunning.exceptions import EInvoiceError, InvoiceHistoryError, NotFoundError

if TYPE_CHECKING:
    from dunning.einvoice import EInvoice
    from dunning.ports import InvoiceSource

__all__ = ["EINVOICE_SUFFIXES", "import_einvoices", "status_fact"]

EINVOICE_SUFFIXES = frozenset({".xml", ".pdf"})
"""Files ``dunning import`` reads as electronic invoices (Factur-X, CII, UBL)."""


StatusFact = Payment | DisputeOpened | HoldPlaced | HoldLifted | DunningStopped
"""The facts a status can state (docs/einvoicing.md)."""


def status_fact(args: argparse.Namespace, invoice: Invoice) -> StatusFact | None:
    """The fact ``record status INVOICE CODE`` states: a lifecycle code or a Chorus Pro status.

    Raises:
        argparse.ArgumentTypeError: an unknown status, or a 212 without ``--amount``.
    """
    from dunning.einvoice import chorus_status_event, lifecycle_event  # noqa: PLC0415

    code: str = args.code
    try:
        if code.strip().isdigit():
            event = lifecycle_event(
                code, invoice_id=invoice.id, on=args.on, amount=args.amount, reason=args.reason
            )
        else:
            event = chorus_status_event(code, invoice_id=invoice.id, on=args.on, reason=args.reason)
    except (NotFoundError, EInvoiceError) as error:
        raise argparse.ArgumentTypeError(str(error).strip("'\"")) from None
    if event is None:
        return None
    if not isinstance(event, Payment | DisputeOpened | HoldPlaced | HoldLifted | DunningStopped):
        msg = f"status {code} gave a {event.kind}, which the table never gives"
        raise TypeError(msg)  # pragma: no cover  (a defect of the table, not of the input)
    return event.model_copy(update={"id": args.id}) if args.id is not None else event


def _read_all(paths: list[str], kind: str) -> list[tuple[str, EInvoice]] | None:
    try:
        from dunning.einvoice import read_invoice  # noqa: PLC0415
    except ImportError as error:  # pragma: no cover  (the tests run with the extra)
        print(f"error: {error}", file=sys.stderr)
        return None
    read: list[tuple[str, EInvoice]] = []
    failed = False
    for path in paths:
        try:
            read.append((path, read_invoice(Path(path), customer_kind=kind)))
        except EInvoiceError as error:
            print(f"error: {error} [{error.code}]", file=sys.stderr)
            failed = True
    return None if failed else read


def _add(store: InvoiceSource, invoice_id: str, event: Event) -> str:
    """Record *event*; ``recorded``, or ``already`` when a re-import finds its id recorded."""
    try:
        store.add_event(invoice_id, event)  # type: ignore[attr-defined]
    except InvoiceHistoryError as error:
        if error.code == "duplicate_fact_id":
            return "already"
        raise
    return "recorded"


def import_einvoices(args: argparse.Namespace, open_store: Callable[[], Any]) -> int:
    """``dunning import`` of electronic invoices: read them all, then write them.

    Invoices are added or updated; the facts a document states (BT-113 amount paid, a factored
    invoice's stop) and credit notes are recorded with ids derived from the document number,
    so importing the same file twice records nothing twice. Findings are printed as warnings.
    *open_store* opens the database once every file has been read.
    """
    read = _read_all(args.files, args.customer_kind)
    if read is None:
        return 1
    invoices = [einv.invoice for _, einv in read if einv.invoice is not None]
    for path, einv in read:
        for finding in einv.findings:
            if finding.code == "credit_note":
                continue  # recorded below, or a warning says why not
            where = f" ({finding.xpath})" if finding.xpath else ""
            print(f"warning: {path}: {finding.code}: {finding.message}{where}", file=sys.stderr)
    with open_store() as store:
        new, updated = store.import_invoices(invoices) if invoices else (0, 0)
        facts = 0
        for path, einv in read:
            if einv.invoice is not None:
                for index, event in enumerate(einv.events, start=1):
                    fact = event.model_copy(update={"id": f"{einv.number}:{event.kind}:{index}"})
                    facts += _add(store, einv.invoice.id, fact) == "recorded"
            elif einv.credit_note is not None:
                facts += _record_credit_note(store, path, einv)
    print(
        f"{len(read)} electronic documents read: {len(invoices)} invoices imported"
        f" ({new} new, {updated} updated), {facts} facts recorded"
    )
    return 0


def _record_credit_note(store: Any, path: str, einv: EInvoice) -> bool:
    """Record a credit note on the invoice it corrects; a warning says why not if it cannot."""
    assert einv.credit_note is not None  # noqa: S101  (the caller checked)
    if einv.corrects is None:
        print(
            f"warning: {path}: credit note {einv.number} names no invoice (BT-25): not recorded",
            file=sys.stderr,
        )
        return False
    try:
        target = store.invoice(einv.corrects)
    except KeyError:
        print(
            f"warning: {path}: credit note {einv.number} corrects {einv.corrects}, which is not"
            " in the database: not recorded",
            file=sys.stderr,
        )
        return False
    note = einv.credit_note.model_copy(update={"id": f"{einv.number}:credit"})
    return _add(store, target.id, note) == "recorded"
