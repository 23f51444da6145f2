"""Read customers and invoices from a CSV file, as invoicing tools export them.

The layout (one invoice per row, a header row naming the columns, in any order):

| column | required | example | meaning |
| --- | --- | --- | --- |
| ``invoice_number`` | yes | ``2026-0042`` | the number printed on the invoice |
| ``invoice_id`` | no | ``F-42`` | the host's id (default: the number) |
| ``customer_id`` | yes | ``C-7`` | the customer's id; rows of one customer must agree |
| ``customer_name`` | yes | ``ACME SARL`` | legal or display name |
| ``issued_on`` | yes | ``2026-03-01`` or ``01/03/2026`` | issue date |
| ``due_on`` | yes | ``2026-03-31`` or ``31/03/2026`` | due date |
| ``total`` | yes | ``1200.50``, ``1 200,50`` | amount incl. VAT |
| ``currency`` | no | ``EUR`` | ISO code (default EUR) |
| ``email``, ``phone``, ``contact_name``, ``postal_address`` | no | | how to reach the customer |
| ``kind`` | no | ``business`` | ``business`` (default), ``consumer`` or ``public`` |
| ``segment`` | no | ``late`` | the segment a policy chooses by |
| ``locale`` | no | ``fr_FR`` | language of the messages (default ``fr_FR``) |

Columns are matched without regard to case, spaces or dashes (``Invoice Number`` is
``invoice_number``); other columns are ignored. The separator is a comma or a semicolon (read
from the header row; spreadsheets set to French write semicolons), amounts may use a decimal
comma and spaces between thousands, dates are ISO (``2026-03-31``) or French
(``31/03/2026``). The file is UTF-8 (a byte-order mark is fine). Empty cells count as absent.

Every bad row is reported with its line number; a file with a bad row gives no invoice.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dunning.core.model import Customer, Invoice
from dunning.core.parsing import amount_text, day_text
from dunning.exceptions import ErrorDetail, InvoiceImportError

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "read_invoices_csv"]

REQUIRED_COLUMNS = (
    "invoice_number",
    "customer_id",
    "customer_name",
    "issued_on",
    "due_on",
    "total",
)
"""The columns a file must have."""

CUSTOMER_COLUMNS = {
    "customer_id": "id",
    "customer_name": "name",
    "email": "email",
    "phone": "phone",
    "contact_name": "contact_name",
    "postal_address": "postal_address",
    "kind": "kind",
    "segment": "segment",
    "locale": "locale",
}
INVOICE_COLUMNS = {
    "invoice_id": "id",
    "invoice_number": "number",
    "issued_on": "issued_on",
    "due_on": "due_on",
    "total": "total",
    "currency": "currency",
}
COLUMNS = (*REQUIRED_COLUMNS, "invoice_id", "currency", *sorted(set(CUSTOMER_COLUMNS) - {
    "customer_id", "customer_name"}))  # fmt: skip
"""Every column read (the others are ignored)."""

# CUSTOMER_COLUMNS, INVOICE_COLUMNS, column_name and import_details are shared with
# dunning.notebook.histories_from_frames (DataFrames are read as this file is), not in __all__.


def column_name(name: str) -> str:
    """A header as the importer matches it: lower case, spaces and dashes as ``_``.

    Examples:
        >>> column_name(" Due-On "), column_name("Invoice Number")
        ('due_on', 'invoice_number')
    """
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _fields(row: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    return {field: row[col] for col, field in columns.items() if row.get(col)}


def read_invoices_csv(path: str | Path) -> list[Invoice]:
    r"""Read the invoices (with their customers) of a CSV file in the layout above.

    Args:
        path: the file.

    Returns:
        The invoices, in file order.

    Raises:
        InvoiceImportError: if the file cannot be read, lacks a required column, or has bad
            rows; its ``details`` locate each problem by line (``line 3: total``).

    Examples:
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> file = Path(folder.name) / "invoices.csv"
        >>> _ = file.write_text(
        ...     "Invoice Number;Customer ID;Customer Name;Issued On;Due On;Total\n"
        ...     "2026-0042;C-7;ACME SARL;01/03/2026;31/03/2026;1 200,50\n", encoding="utf-8")
        >>> [invoice] = read_invoices_csv(file)
        >>> invoice.id, invoice.customer.name, invoice.due_on, invoice.total
        ('2026-0042', 'ACME SARL', datetime.date(2026, 3, 31), Decimal('1200.50'))
        >>> folder.cleanup()
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        msg = f"cannot read the file: {error.strerror or error}"
        raise InvoiceImportError(msg, source=source) from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        msg = f"not UTF-8 text (line {line}): export the file as UTF-8 CSV"
        raise InvoiceImportError(msg, source=source) from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = [column_name(n) for n in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        msg = (
            f"line 1: missing column(s) {', '.join(missing)}; the header row must name at least "
            f"{', '.join(REQUIRED_COLUMNS)}"
        )
        raise InvoiceImportError(msg, source=source)
    invoices: list[Invoice] = []
    problems: list[ErrorDetail] = []
    customers: dict[str, tuple[Customer, int]] = {}
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = {name: cell.strip() for name, cell in zip(names, cells, strict=False)}
        found = _row(row, line, customers, seen)
        if isinstance(found, Invoice):
            invoices.append(found)
        else:
            problems.extend(found)
    if problems:
        lines = len({p.location.split(":")[0] for p in problems})
        msg = f"{lines} bad row(s), nothing imported: fix them and import the file again"
        raise InvoiceImportError(msg, details=tuple(problems), source=source)
    return invoices


def _row(
    row: dict[str, str],
    line: int,
    customers: dict[str, tuple[Customer, int]],
    seen: dict[str, int],
) -> Invoice | list[ErrorDetail]:
    """One row's invoice, or its problems (each located ``line N: column``)."""
    where = f"line {line}"
    problems: list[ErrorDetail] = []
    try:
        customer = Customer.model_validate(_fields(row, CUSTOMER_COLUMNS))
    except ValidationError as error:
        reverse = {field: col for col, field in CUSTOMER_COLUMNS.items()}
        problems.extend(import_details(error, where, reverse))
        customer = None
    fields = _fields(row, INVOICE_COLUMNS)
    fields.setdefault("id", fields.get("number", ""))
    for name in ("issued_on", "due_on"):
        if name in fields:
            # Not a day in either form: the text goes on, for pydantic to name the error.
            fields[name] = day_text(fields[name]) or fields[name]
    if "total" in fields:
        fields["total"] = amount_text(fields["total"])
    invoice = None
    try:
        invoice = Invoice.model_validate({**fields, "customer": customer or _PLACEHOLDER})
    except ValidationError as error:
        reverse = {field: col for col, field in INVOICE_COLUMNS.items()}
        problems.extend(import_details(error, where, reverse))
    problems.extend(_agreement(customer, invoice, line, customers, seen))
    if problems or invoice is None:
        return problems
    return invoice


def _agreement(
    customer: Customer | None,
    invoice: Invoice | None,
    line: int,
    customers: dict[str, tuple[Customer, int]],
    seen: dict[str, int],
) -> list[ErrorDetail]:
    """A row's customer must match its earlier rows; an invoice id must appear once."""
    out = []
    if customer is not None:
        known = customers.setdefault(customer.id, (customer, line))
        if known[0] != customer:
            out.append(
                ErrorDetail(
                    f"line {line}: customer_id",
                    f"customer {customer.id!r} differs from line {known[1]} (name, email...): "
                    "give each customer the same details on every row",
                    "customer_mismatch",
                )
            )
    if invoice is not None:
        first = seen.setdefault(invoice.id, line)
        if first != line:
            out.append(
                ErrorDetail(
                    f"line {line}: invoice_id",
                    f"invoice {invoice.id!r} is already on line {first}",
                    "duplicate_invoice",
                )
            )
    return out


_PLACEHOLDER = Customer(id="-", name="-")


def import_details(
    error: ValidationError, where: str, columns: Mapping[str, str]
) -> list[ErrorDetail]:
    """A model's validation errors as `ErrorDetail` items located ``{where}: {column}``.

    *columns* maps a model field to the column it came from; errors on ``customer`` (the
    placeholder of a row whose customer was already reported) are skipped.
    """
    out = []
    for e in error.errors(include_url=False):
        field = str(e["loc"][0]) if e["loc"] else ""
        if field == "customer":
            continue
        column = columns.get(field, field)
        message = "missing" if e["type"] == "missing" else e["msg"]
        out.append(ErrorDetail(f"{where}: {column}", message, str(e["type"])))
    return out
