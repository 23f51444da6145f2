"""The ``dunning record ...`` and ``dunning import`` commands: the host's facts, by hand.

``record`` adds one event to an invoice (named by its number or its id): a payment, a credit
note, a dispute and its resolution, a promise to pay, a hold and its lifting, or the reversal
of an earlier one (by the id it was recorded with). The store checks it against the invoice
and its history before writing it. ``import`` adds
or updates customers and invoices from a CSV file (`dunning.importing`), all or nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dunning._cli_einvoice import EINVOICE_SUFFIXES, import_einvoices, status_fact
from dunning._cli_shell import open_store, with_db
from dunning._cli_types import day_arg
from dunning.adapters.sqlite import SqliteStore
from dunning.core.model import (
    CreditNote,
    DisputeOpened,
    DisputeResolved,
    DunningStopped,
    HoldLifted,
    HoldPlaced,
    Invoice,
    Payment,
    PromiseToPay,
    Reversal,
    ReversalReason,
)
from dunning.exceptions import InvoiceHistoryError, InvoiceImportError
from dunning.importing import read_invoices_csv

__all__ = ["register"]

_Fact = (
    Payment
    | CreditNote
    | DisputeOpened
    | DisputeResolved
    | PromiseToPay
    | HoldPlaced
    | HoldLifted
    | Reversal
    | DunningStopped
)

_OPTION_OF = {"event.on": " --on", "event.id": " --id", "event.reverses": " --fact-id"}
"""The option that set the field a store refused (`InvoiceHistoryError.location`)."""


def _amount(text: str) -> Decimal:
    value = text.strip().replace(" ", "")
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0:
        msg = f"{text!r} is not an amount greater than zero, e.g. 620.00"
        raise argparse.ArgumentTypeError(msg)
    return amount


def _payment(args: argparse.Namespace, invoice: Invoice) -> _Fact:
    return Payment(
        on=args.on,
        amount=args.amount,
        currency=invoice.currency,
        reference=args.reference,
        id=args.id,
    )


def _credit(args: argparse.Namespace, invoice: Invoice) -> _Fact:
    return CreditNote(
        on=args.on, amount=args.amount, currency=invoice.currency, number=args.number, id=args.id
    )


def _dispute(args: argparse.Namespace, _: Invoice) -> _Fact:
    return DisputeOpened(on=args.on, reason=args.reason, amount=args.amount, id=args.id)


def _resolve_dispute(args: argparse.Namespace, _: Invoice) -> _Fact:
    return DisputeResolved(on=args.on, outcome=args.outcome, id=args.id)


def _promise(args: argparse.Namespace, _: Invoice) -> _Fact:
    return PromiseToPay(on=args.on, promised_on=args.to, amount=args.amount, id=args.id)


def _hold(args: argparse.Namespace, _: Invoice) -> _Fact:
    return HoldPlaced(on=args.on, reason=args.reason, until=args.until, id=args.id)


def _lift_hold(args: argparse.Namespace, _: Invoice) -> _Fact:
    return HoldLifted(on=args.on, id=args.id)


def _reverse(args: argparse.Namespace, _: Invoice) -> _Fact:
    return Reversal(
        on=args.on, reverses=args.fact_id, reason=args.reason, note=args.note, id=args.id
    )


def _record(args: argparse.Namespace) -> int:
    make: Callable[[argparse.Namespace, Invoice], _Fact | None] = args.make
    with open_store(args) as store:
        try:
            invoice = store.invoice(args.invoice)
        except KeyError as error:
            print(f"error: {error.args[0]} (see 'dunning history')", file=sys.stderr)
            return 1
        if args.on is None:
            args.on = datetime.now(invoice.customer.tz).date()
        try:
            event = make(args, invoice)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            field = " --" + str(first["loc"][0]).replace("_", "-") if first["loc"] else ""
            print(f"error: record {args.kind}{field}: {first['msg']}", file=sys.stderr)
            return 1
        except argparse.ArgumentTypeError as error:
            print(f"error: record {args.kind}: {error}", file=sys.stderr)
            return 1
        if event is None:
            print(f"{invoice.number}: status {args.code} states no fact: nothing recorded")
            return 0
        try:
            store.add_event(invoice.id, event)
        except InvoiceHistoryError as error:
            where = f"invoice {error.invoice_id!r}: {error.location}: "
            text = str(error).removeprefix(where)
            option = _OPTION_OF.get(error.location, "")
            print(f"error: record {args.kind}{option}: {text} [{error.code}]", file=sys.stderr)
            return 1
    fields = event.model_dump(exclude={"kind", "on"}, exclude_none=True, exclude_defaults=True)
    detail = "".join(f", {k} {v}" for k, v in fields.items())
    print(f"{invoice.number} ({invoice.customer.name}): {event.kind} on {event.on}{detail}")
    return 0


def _import(args: argparse.Namespace) -> int:
    suffixes = {Path(name).suffix.lower() in EINVOICE_SUFFIXES for name in args.files}
    if suffixes == {True}:
        return import_einvoices(
            args,
            lambda: SqliteStore(args.db, tenant=args.tenant) if args.create else open_store(args),
        )
    if len(args.files) > 1:
        print(
            "error: import takes one CSV file, or electronic invoices (.xml, .pdf) only",
            file=sys.stderr,
        )
        return 2
    args.file = args.files[0]
    try:
        invoices = read_invoices_csv(args.file)
    except InvoiceImportError as error:
        print(f"error: {error}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.location}: {detail.message} [{detail.code}]", file=sys.stderr)
        return 1
    opened = SqliteStore(args.db, tenant=args.tenant) if args.create else open_store(args)
    with opened as store:
        new, updated = store.import_invoices(invoices)
    customers = len({invoice.customer.id for invoice in invoices})
    print(
        f"{args.file}: {len(invoices)} invoices of {customers} customers imported"
        f" ({new} new, {updated} updated)"
    )
    return 0


_KINDS: tuple[tuple[str, str, Callable[[argparse.Namespace, Invoice], _Fact | None], str], ...] = (
    ("payment", "a payment received", _payment, "amount"),
    ("credit", "a credit note issued against the invoice", _credit, "amount"),
    ("dispute", "the customer disputes the invoice: reminders pause", _dispute, ""),
    ("resolve-dispute", "the dispute is settled: reminders resume", _resolve_dispute, ""),
    ("promise", "the customer promises to pay by a date: reminders pause until then", _promise, ""),
    ("hold", "stop the reminders (until a date, or until lifted)", _hold, ""),
    ("lift-hold", "lift a hold: reminders resume", _lift_hold, ""),
    (
        "reverse",
        "cancel an earlier fact by its id (a mistake, a returned direct debit, a chargeback)",
        _reverse,
        "",
    ),
    (
        "status",
        (
            "an e-invoicing status: a lifecycle code (212 Encaissée, 207 En litige...) or a"
            " Chorus Pro status (SUSPENDUE, MISE_EN_PAIEMENT...), as docs/einvoicing.md maps it"
        ),
        status_fact,
        "",
    ),
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``record`` and ``import`` to the ``dunning`` parser."""
    record = sub.add_parser(
        "record", help="record a payment, credit, dispute, promise or hold, or reverse one"
    )
    kinds = record.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, text, make, positional in _KINDS:
        one = kinds.add_parser(name, help=text, description=text)
        one.add_argument(
            "invoice", metavar="INVOICE", help="the invoice number or id, e.g. 2026-0002"
        )
        if positional:
            one.add_argument("amount", type=_amount, metavar="AMOUNT", help="e.g. 620.00")
        one.add_argument(
            "--on",
            type=day_arg,
            help="the day it happened (default: today, in the customer's time zone)",
        )
        options: dict[str, tuple[str, dict[str, Any]]] = {
            "payment": ("--reference", {"help": "the bank reference"}),
            "credit": ("--number", {"help": "the credit note's number"}),
            "dispute": ("--reason", {"default": "", "help": "what the customer disputes"}),
            "resolve-dispute": ("--outcome", {"default": "", "help": "how it was settled"}),
            "hold": ("--reason", {"default": "", "help": "why"}),
        }
        if name in options:
            flag, kwargs = options[name]
            one.add_argument(flag, **kwargs)
        if name in {"dispute", "promise"}:
            one.add_argument(
                "--amount", type=_amount, help="the part concerned (default: the whole invoice)"
            )
        if name == "promise":
            one.add_argument(
                "--to", type=day_arg, required=True, metavar="DATE", help="the promised date"
            )
        if name == "hold":
            one.add_argument("--until", type=day_arg, help="the hold ends that day")
        if name == "status":
            one.add_argument("code", metavar="CODE", help="e.g. 212, 207 or SUSPENDUE")
            one.add_argument(
                "--amount", type=_amount, help="212: the amount collected; 206: not approved"
            )
            one.add_argument("--reason", help="the status's reason, if it gives one")
        if name == "reverse":
            one.add_argument(
                "--fact-id", required=True, metavar="ID", help="the id of the fact cancelled"
            )
            one.add_argument(
                "--reason",
                required=True,
                choices=[reason.value for reason in ReversalReason],
                help="why it is cancelled",
            )
            one.add_argument("--note", help="free text, e.g. the bank's return code")
        one.add_argument(
            "--id",
            help="your id for this fact (a later 'record reverse --fact-id' names it)",
        )
        with_db(one)
        one.set_defaults(handler=_record, make=make)

    load = sub.add_parser(
        "import",
        help="add or update customers and invoices from a CSV file or electronic invoices"
        " (all or nothing)",
        description="A CSV file: columns invoice_number, customer_id, customer_name, issued_on, "
        "due_on, total (required); invoice_id, currency, email, phone, contact_name, "
        "postal_address, kind, segment, locale (optional). Or electronic invoices: Factur-X "
        "PDFs, CII or UBL XML files (the 'einvoice' extra). See the 'Command line' page.",
    )
    load.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="one CSV file (comma or semicolon separated), or .xml / .pdf invoices",
    )
    load.add_argument(
        "--customer-kind",
        choices=["business", "consumer", "public"],
        default="business",
        help="electronic invoices: the buyers' kind, which the documents do not state",
    )
    with_db(load)
    load.add_argument(
        "--create", action="store_true", help="create the database if it does not exist"
    )
    load.set_defaults(handler=_import)
