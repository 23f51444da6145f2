"""Reading an ERP's export into the library: values from DataFrames, and whole frames.

The conversions of `dunning.notebook` (`as_amount`, `as_date`) and its reader of an invoices
frame plus a payments frame (`histories_from_frames`), kept apart from the tables and plots.
Public through `dunning.notebook`, which re-exports them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning.core.model import CreditNote, Customer, Invoice, Payment
from dunning.core.parsing import DateProblem, amount_text, read_day
from dunning.core.portfolio import InvoiceHistory
from dunning.exceptions import ErrorDetail, InvoiceImportError
from dunning.importing import (
    CUSTOMER_COLUMNS,
    INVOICE_COLUMNS,
    REQUIRED_COLUMNS,
    column_name,
    import_details,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PAYMENT_COLUMNS",
    "FloatAmounts",
    "as_amount",
    "as_date",
    "histories_from_frames",
]

FloatAmounts = Literal["refuse", "round_to_cent"]
"""What to do with a float amount: refuse it (default) or round it half-up to the cent."""

_CENT = Decimal("0.01")
NOTEBOOK_EXTRA = "pip install 'dunning[notebook]'"


def pandas_module() -> Any:
    try:
        import pandas as pd  # noqa: PLC0415  (optional dependency, imported when used)
    except ImportError as error:
        msg = f"DataFrames need pandas, which is not installed: {NOTEBOOK_EXTRA}"
        raise ImportError(msg) from error
    return pd


# ------------------------------------------------------------------------ conversions


def _error(
    code: str, template: str, ctx: dict[str, Any], loc: tuple[str | int, ...], value: object
) -> ValidationError:
    return ValidationError.from_exception_data(
        "dunning.notebook",
        [InitErrorDetails(type=PydanticCustomError(code, template, ctx), loc=loc, input=value)],
    )


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        # NaN, NaT and pandas.NA are not equal to themselves.
        return bool(value != value)  # noqa: PLR0124
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _text_amount(text: str, loc: tuple[str | int, ...]) -> Decimal:
    try:
        value = Decimal(amount_text(text))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _error(
            "invalid_amount",
            "'{value}' is not an amount: write 1103.82, 1103,82 or 1 103,82",
            {"value": text},
            loc,
            text,
        )
    return value


def as_amount(
    value: object,
    *,
    float_amounts: FloatAmounts = "refuse",
    field: str | tuple[str | int, ...] = "amount",
) -> Decimal:
    """Turn a value from a DataFrame into an exact amount.

    Text is read as the CSV importer reads it (`dunning.core.parsing.amount_text`): a decimal
    point or comma, spaces, no-break spaces or narrow no-break spaces between thousands, and a
    lone ``-`` for zero. Decimals pass through; Python and numpy integers become `Decimal`;
    floats (Python or numpy) are refused unless *float_amounts* is ``"round_to_cent"``, in
    which case their shortest decimal form is rounded half-up to the cent.

    Args:
        value: the cell.
        float_amounts: ``"refuse"`` (default) or ``"round_to_cent"``.
        field: where the value came from, quoted in the error (a column, or column and row).

    Returns:
        A `Decimal` (never text: a bad cell fails here, naming *field*).

    Raises:
        pydantic.ValidationError: ``missing_amount`` for None/NaN, ``float_amount`` for a float
            that was not opted in (saying how to convert), ``invalid_amount`` otherwise.

    Examples:
        >>> as_amount(12), as_amount("1 103,82"), as_amount(12.5, float_amounts="round_to_cent")
        (Decimal('12'), Decimal('1103.82'), Decimal('12.50'))
        >>> as_amount(0.1 + 0.2, float_amounts="round_to_cent"), as_amount("-")
        (Decimal('0.30'), Decimal('0'))
    """
    loc = (field,) if isinstance(field, str) else field
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _error("invalid_amount", "an amount must be finite", {}, loc, value)
        return value
    if isinstance(value, str):
        return _text_amount(value, loc)
    if isinstance(value, bool) or type(value).__name__ in {"bool", "bool_"}:  # numpy's too
        raise _error("invalid_amount", "an amount cannot be a boolean", {}, loc, value)
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if _is_missing(value):
        raise _error("missing_amount", "the amount is missing", {}, loc, value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if float_amounts == "round_to_cent":
            if not math.isfinite(number):
                raise _error(
                    "invalid_amount",
                    "{value} is not a finite amount",
                    {"value": number},
                    loc,
                    value,
                )
            return Decimal(repr(number)).quantize(_CENT, ROUND_HALF_UP)
        raise _error(
            "float_amount",
            "{value} is a float, which cannot hold cents exactly: keep amounts as text "
            "(e.g. read_csv(..., dtype={'amount': str})), convert the column with "
            "df['amount'].map(lambda x: Decimal(str(x))), or pass "
            "float_amounts='round_to_cent' to round each to the cent",
            {"value": number},
            loc,
            value,
        )
    raise _error(
        "invalid_amount",
        "expected a Decimal, an integer or a decimal string, got {type}",
        {"type": type(value).__name__},
        loc,
        value,
    )


def as_date(value: object, *, field: str | tuple[str | int, ...] = "date") -> date:
    """Turn a value from a DataFrame into a calendar date.

    Accepts a `date`; ISO text (``2025-12-30``), French text (``30/12/2025``, as the CSV
    importer) or ISO instant text; a `datetime`, `pandas.Timestamp` or `numpy.datetime64`.
    The time-zone policy (`dunning.core.parsing`): an aware instant gives its own civil
    date; a naive one must be at midnight (what a date column holds), since a naive time of
    day names no instant.

    Args:
        value: the cell.
        field: where the value came from, quoted in the error.

    Returns:
        The date.

    Raises:
        pydantic.ValidationError: ``missing_date`` for None/NaT, ``date_with_time`` for a
            naive timestamp that is not at midnight (is it a date or an instant?),
            ``invalid_date`` otherwise.

    Examples:
        >>> from datetime import datetime
        >>> as_date("2026-03-02"), as_date("02/03/2026"), as_date(datetime(2026, 3, 2))
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), datetime.date(2026, 3, 2))
        >>> as_date("2026-03-02T23:30+01:00")
        datetime.date(2026, 3, 2)
    """
    loc = (field,) if isinstance(field, str) else field
    if type(value).__name__ == "datetime64" and not _is_missing(value):
        value = pandas_module().Timestamp(value)
    found = read_day(value)
    if isinstance(found, DateProblem):
        raise _error(found.code, "{problem}", {"problem": found.message}, loc, value)
    return found.date() if isinstance(found, datetime) else found


# --------------------------------------------------------------------------- ERP frames

PAYMENT_COLUMNS = ("invoice_id", "paid_on", "amount", "kind", "currency", "reference")
"""The columns of a payments frame `histories_from_frames` reads (the first three required)."""

_REQUIRED_PAYMENT_COLUMNS = ("invoice_id", "paid_on", "amount")
_DATES = frozenset({"issued_on", "due_on"})


def _renamed(frame: pd.DataFrame, columns: Mapping[str, str]) -> dict[str, Any]:
    """Our column name -> the frame's, after *columns* (ERP -> ours) and the importer's rule."""
    return {columns.get(str(c), column_name(str(c))): c for c in frame.columns}


def _cells(
    frame: pd.DataFrame, names: Mapping[str, Any], wanted: Iterable[str]
) -> Iterable[tuple[int, dict[str, object]]]:
    """``(row number, {our name: cell})`` per row, without the missing cells."""
    chosen = [(ours, names[ours]) for ours in wanted if ours in names]
    for n, values in enumerate(zip(*(frame[c] for _, c in chosen), strict=True)):
        row = {
            ours: value
            for (ours, _), value in zip(chosen, values, strict=True)
            if not _is_missing(value) and not (isinstance(value, str) and not value.strip())
        }
        yield n, row


def _converted(
    row: Mapping[str, object],
    where: str,
    names: Mapping[str, Any],
    float_amounts: FloatAmounts,
    problems: list[ErrorDetail],
) -> dict[str, Any]:
    """Dates and amounts through `as_date` and `as_amount`, other cells as stripped text."""
    out: dict[str, Any] = {}
    for ours, value in row.items():
        try:
            if ours in _DATES or ours == "paid_on":
                out[ours] = as_date(value, field=ours)
            elif ours in {"total", "amount"}:
                out[ours] = as_amount(value, float_amounts=float_amounts, field=ours)
            else:
                out[ours] = str(value).strip()
        except ValidationError as error:
            [e] = error.errors(include_url=False)
            problems.append(ErrorDetail(f"{where}: {names[ours]}", e["msg"], str(e["type"])))
    return out


def histories_from_frames(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None,
    *,
    columns: Mapping[str, str] | None = None,
    customers: pd.DataFrame | Iterable[Customer] | None = None,
    float_amounts: FloatAmounts = "refuse",
) -> list[InvoiceHistory]:
    """Invoice histories from an ERP's invoices and payments DataFrames, ready for the KPIs.

    *invoices* has one row per invoice, with the CSV importer's columns
    (`dunning.importing.COLUMNS`: ``invoice_number``, ``customer_id``, ``customer_name``,
    ``issued_on``, ``due_on``, ``total``; optionally ``invoice_id``, ``currency`` and the
    customer's contact columns). *payments* has one row per payment or credit note:
    ``invoice_id`` (the invoice's id, or its number), ``paid_on``, ``amount``, and optionally
    ``kind`` (``payment``, the default, or ``credit_note``), ``currency``, ``reference``.
    Column names are matched as the importer matches them (``Due On`` is ``due_on``), after
    *columns* renames the ERP's own (``{"Montant TTC": "total"}``; one mapping for both
    frames, so a name both frames use maps to one of ours); other columns are ignored.
    Cells go through `as_date` and `as_amount` (``1 103,82``, ``30/12/2025``, Timestamps...).

    Args:
        invoices: the invoices frame.
        payments: the payments frame, or None if nothing was paid.
        columns: the ERP's column names -> ours, for both frames.
        customers: the customers, as a frame (``customer_id``, ``customer_name``, contact
            columns) or `Customer` objects; then *invoices* needs only ``customer_id``. By
            default each invoice row carries its customer.
        float_amounts: ``"refuse"`` (default) or ``"round_to_cent"``, as for `as_amount`.

    Returns:
        One `InvoiceHistory` per invoice with its payments and credit notes (by date), sorted
        by customer id, then due date and invoice id (grouped by customer, as the runner and
        `plan_customer_actions` read a portfolio).

    Raises:
        ImportError: if pandas is not installed.
        InvoiceImportError: listing every problem in ``details``, each located by frame, row
            (counted from 0, as ``df.iloc``) and the frame's own column name
            (``payments row 4: Montant``): a missing column, a bad cell, a customer whose
            rows disagree, a duplicate invoice, a payment for an unknown invoice.

    Examples:
        >>> import pandas as pd
        >>> erp = pd.DataFrame({"N° facture": ["F-1"], "Client": ["C-7"], "Raison sociale":
        ...     ["ACME"], "Date": ["01/12/2025"], "Échéance": ["31/12/2025"], "TTC": ["1 200,00"]})
        >>> paid = pd.DataFrame({"Facture": ["F-1"], "Réglé le": ["15/01/2026"],
        ...                      "Montant": ["200,5"]})
        >>> [h] = histories_from_frames(erp, paid, columns={"N° facture": "invoice_number",
        ...     "Client": "customer_id", "Raison sociale": "customer_name", "Date": "issued_on",
        ...     "Échéance": "due_on", "TTC": "total", "Facture": "invoice_id",
        ...     "Réglé le": "paid_on", "Montant": "amount"})
        >>> h.invoice.total, h.events[0].on, h.events[0].amount
        (Decimal('1200.00'), datetime.date(2026, 1, 15), Decimal('200.5'))
        >>> histories_from_frames(erp, None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dunning.exceptions.InvoiceImportError: histories_from_frames: 6 problem(s), ...
    """
    pandas_module()
    reader = _FrameReader(dict(columns or {}), float_amounts)
    known = None if customers is None else reader.customers(customers)
    names = reader.names("invoices", invoices, REQUIRED_COLUMNS if known is None else _KEYS)
    pay_names = {}
    if payments is not None:
        pay_names = reader.names("payments", payments, _REQUIRED_PAYMENT_COLUMNS)
    reader.refuse()
    built: dict[str, Invoice] = {}
    first_row: dict[str, int] = {}
    for n, row in _cells(invoices, names, (*CUSTOMER_COLUMNS, *INVOICE_COLUMNS)):
        invoice = reader.invoice(n, row, names, known)
        if invoice is None:
            continue
        first = first_row.setdefault(invoice.id, n)
        if first != n:
            reader.problem(
                f"invoices row {n}",
                names.get("invoice_id", names["invoice_number"]),
                f"invoice {invoice.id!r} is already on invoices row {first}",
                "duplicate_invoice",
            )
        else:
            built[invoice.id] = invoice
    events: dict[str, list[Payment | CreditNote]] = {}
    if payments is not None:
        events = reader.payments(payments, pay_names, built)
    reader.refuse()
    for settled in events.values():
        settled.sort(key=_on)
    histories = [
        InvoiceHistory(invoice=inv, events=tuple(events.get(key, ()))) for key, inv in built.items()
    ]
    histories.sort(key=lambda h: (h.invoice.customer.id, h.invoice.last_due_on, h.invoice.id))
    return histories


_KEYS = ("invoice_number", "customer_id", "issued_on", "due_on", "total")


def _on(event: Payment | CreditNote) -> date:
    return event.on


class _FrameReader:
    """One reading of an ERP's frames: the column mapping, and every problem found."""

    def __init__(self, columns: dict[str, str], float_amounts: FloatAmounts) -> None:
        self.columns = columns
        self.float_amounts: FloatAmounts = float_amounts
        self.problems: list[ErrorDetail] = []
        self.seen: dict[str, tuple[Customer, int]] = {}
        self.bad_rows: set[str] = set()

    def problem(self, where: str, column: object, message: str, code: str) -> None:
        self.problems.append(ErrorDetail(f"{where}: {column}", message, code))

    def refuse(self) -> None:
        if self.problems:
            _refuse(self.problems)

    def names(self, where: str, frame: pd.DataFrame, required: Iterable[str]) -> dict[str, Any]:
        names = _renamed(frame, self.columns)
        for c in required:
            if c not in names:
                self.problem(where, c, f"no column {c!r} (map yours with columns=...)",
                             "missing_column")  # fmt: skip
        return names

    def converted(
        self, row: Mapping[str, object], where: str, names: Mapping[str, Any]
    ) -> dict[str, Any]:
        before = len(self.problems)
        out = _converted(row, where, names, self.float_amounts, self.problems)
        if len(self.problems) > before:
            self.bad_rows.add(where)
        return out

    def model_problems(
        self, error: ValidationError, where: str, columns: Mapping[str, str]
    ) -> None:
        """A model's errors for a row, less those that only echo a bad cell already reported."""
        for detail in import_details(error, where, columns):
            echo = detail.code == "missing" or detail.location.endswith(": ")
            if not (echo and where in self.bad_rows):
                self.problems.append(detail)

    def customers(self, customers: pd.DataFrame | Iterable[Customer]) -> dict[str, Customer]:
        if not hasattr(customers, "columns"):
            return {c.id: c for c in customers}
        frame: pd.DataFrame = customers
        names = self.names("customers", frame, ("customer_id", "customer_name"))
        found: dict[str, Customer] = {}
        if self.problems:
            return found
        reverse = {field: names.get(col, col) for col, field in CUSTOMER_COLUMNS.items()}
        for n, row in _cells(frame, names, CUSTOMER_COLUMNS):
            where = f"customers row {n}"
            fields = self.converted(row, where, names)
            try:
                customer = Customer.model_validate(
                    {CUSTOMER_COLUMNS[k]: v for k, v in fields.items()}
                )
            except ValidationError as error:
                self.model_problems(error, where, reverse)
                continue
            found[customer.id] = customer
        return found

    def customer(
        self,
        where: str,
        n: int,
        fields: Mapping[str, Any],
        names: Mapping[str, Any],
        known: Mapping[str, Customer] | None,
    ) -> Customer | None:
        if known is not None:
            customer = known.get(str(fields.get("customer_id", "")))
            if customer is None and "customer_id" in fields:
                self.problem(where, names["customer_id"],
                             f"customer {fields['customer_id']!r} is not in customers",
                             "unknown_customer")  # fmt: skip
            return customer
        reverse = {f: names.get(c, c) for c, f in CUSTOMER_COLUMNS.items()}
        try:
            customer = Customer.model_validate(
                {CUSTOMER_COLUMNS[k]: v for k, v in fields.items() if k in CUSTOMER_COLUMNS}
            )
        except ValidationError as error:
            self.model_problems(error, where, reverse)
            return None
        earlier = self.seen.setdefault(customer.id, (customer, n))
        if earlier[0] != customer:
            self.problem(
                where,
                names["customer_id"],
                f"customer {customer.id!r} differs from invoices row {earlier[1]} "
                "(name, email...): give each customer the same details on every row",
                "customer_mismatch",
            )
        return customer

    def invoice(
        self,
        n: int,
        row: Mapping[str, object],
        names: Mapping[str, Any],
        known: Mapping[str, Customer] | None,
    ) -> Invoice | None:
        where = f"invoices row {n}"
        fields = self.converted(row, where, names)
        customer = self.customer(where, n, fields, names, known)
        data = {INVOICE_COLUMNS[k]: v for k, v in fields.items() if k in INVOICE_COLUMNS}
        data.setdefault("id", data.get("number", ""))
        try:
            invoice = Invoice.model_validate({**data, "customer": customer or _SOMEONE})
        except ValidationError as error:
            reverse = {f: names.get(c, c) for c, f in INVOICE_COLUMNS.items()}
            self.model_problems(error, where, reverse)
            return None
        return None if customer is None else invoice

    def payments(
        self, payments: pd.DataFrame, names: Mapping[str, Any], invoices: Mapping[str, Invoice]
    ) -> dict[str, list[Payment | CreditNote]]:
        """Each payment or credit note, by the id of the invoice it settles."""
        by_number: dict[str, str] = {}
        for invoice_id, invoice in invoices.items():
            by_number.setdefault(invoice.number, invoice_id)
        out: dict[str, list[Payment | CreditNote]] = {}
        reverse = {"on": names["paid_on"], "amount": names["amount"]}
        reverse |= {k: names[k] for k in ("kind", "currency", "reference") if k in names}
        reverse["number"] = reverse.get("reference", "reference")
        for n, row in _cells(payments, names, PAYMENT_COLUMNS):
            where = f"payments row {n}"
            fields = self.converted(row, where, names)
            ref = str(fields.pop("invoice_id", ""))
            key: str | None = ref if ref in invoices else by_number.get(ref)
            kind = column_name(str(fields.pop("kind", "payment")))
            if key is None:
                self.problem(where, names["invoice_id"],
                             f"no invoice {ref!r} (by id or number) in invoices",
                             "unknown_invoice")  # fmt: skip
                continue
            if kind not in {"payment", "credit_note"}:
                self.problem(where, names["kind"], f"'{kind}' is not payment or credit_note",
                             "invalid_kind")  # fmt: skip
                continue
            data: dict[str, Any] = {("on" if k == "paid_on" else k): v for k, v in fields.items()}
            data.setdefault("currency", invoices[key].currency)
            try:
                if kind == "credit_note":
                    data["number"] = data.pop("reference", None)
                    event: Payment | CreditNote = CreditNote.model_validate(data)
                else:
                    event = Payment.model_validate(data)
            except ValidationError as error:
                self.model_problems(error, where, reverse)
                continue
            out.setdefault(key, []).append(event)
        return out


def _refuse(problems: list[ErrorDetail]) -> None:
    msg = f"{len(problems)} problem(s), nothing built: " + "; ".join(str(p) for p in problems)
    raise InvoiceImportError(msg, details=tuple(problems), source="histories_from_frames")


_SOMEONE = Customer(id="-", name="-")
