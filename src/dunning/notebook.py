"""DataFrames and plots for analysts: the ``dunning[notebook]`` extra (pandas, matplotlib).

This module imports without pandas or matplotlib; each function imports what it needs when
called and says which extra to install if it is missing (``pip install 'dunning[notebook]'``).
The core never imports this module: `Timeline`, `PenaltyBreakdown`, `Decision`, `Ageing`,
`SimulationResult` and `RunReport` show as HTML tables in a notebook on their own.

Values coming from pandas are converted here, at the boundary, before they reach the core:
numpy integers become exact amounts, `pandas.Timestamp` and `numpy.datetime64` become dates,
and floats are refused (a float cannot hold cents exactly) unless the caller opts in with
``float_amounts="round_to_cent"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning.core.engine import Decision
from dunning.core.ledger import amount_outstanding
from dunning.core.metrics import AGEING_BUCKETS, Ageing, CollectionCost, StepEffectiveness
from dunning.core.model import CreditNote, Customer, Invoice, Payment
from dunning.core.parsing import DateProblem, amount_text, read_day
from dunning.core.penalties.compute import PenaltyBreakdown, penalties_for_amount
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.portfolio import InvoiceHistory
from dunning.core.simulate import Comparison, SimulationResult, SyntheticPortfolio
from dunning.core.timeline import Timeline
from dunning.exceptions import ErrorDetail, InvoiceImportError
from dunning.importing import (
    CUSTOMER_COLUMNS,
    INVOICE_COLUMNS,
    REQUIRED_COLUMNS,
    column_name,
    import_details,
)
from dunning.runner import RunReport

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "PAYMENT_COLUMNS",
    "FloatAmounts",
    "as_amount",
    "as_date",
    "histories_from_frames",
    "penalties_dataframe",
    "plot_ageing",
    "plot_collections",
    "plot_penalty_accrual",
    "to_dataframe",
]

FloatAmounts = Literal["refuse", "round_to_cent"]
"""What to do with a float amount: refuse it (default) or round it half-up to the cent."""

_CENT = Decimal("0.01")
_INSTALL = "pip install 'dunning[notebook]'"


def _pandas() -> Any:
    try:
        import pandas as pd  # noqa: PLC0415  (optional dependency, imported when used)
    except ImportError as error:
        msg = f"DataFrames need pandas, which is not installed: {_INSTALL}"
        raise ImportError(msg) from error
    return pd


def _x(days: Sequence[date]) -> Any:
    """Dates as matplotlib's numbers (its typing does not take dates directly)."""
    from matplotlib.dates import date2num  # noqa: PLC0415  (optional dependency)

    return date2num(list(days))  # type: ignore[no-untyped-call]


def _figure() -> type[Figure]:
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415  (optional dependency)
    except ImportError as error:
        msg = f"plots need matplotlib, which is not installed: {_INSTALL}"
        raise ImportError(msg) from error
    return Figure


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
        value = _pandas().Timestamp(value)
    found = read_day(value)
    if isinstance(found, DateProblem):
        raise _error(found.code, "{problem}", {"problem": found.message}, loc, value)
    return found.date() if isinstance(found, datetime) else found


# --------------------------------------------------------------------------- DataFrames


def _frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return _pandas().DataFrame(list(rows), columns=list(columns))


def _breakdown_rows(b: PenaltyBreakdown) -> list[dict[str, Any]]:
    return [
        {
            "invoice_id": b.invoice_id,
            "installment": line.installment,
            "first_day": line.first_day,
            "last_day": line.last_day,
            "days": line.days,
            "principal": line.principal,
            "annual_rate": line.annual_rate,
            "rate_source": line.rate_source,
            "provisional": line.provisional,
            "interest": line.interest,
        }
        for line in b.lines
    ]


def _timeline_rows(t: Timeline) -> list[dict[str, Any]]:
    return [
        {
            "on": e.on,
            "invoice": t.invoice.number,
            "status": e.decision.status.value,
            "level": e.action.level if e.action else e.decision.level,
            "level_name": e.action.level_name if e.action else e.decision.level_name,
            "step_id": e.action.step_id if e.action else None,
            "channel": e.action.channel.value if e.action else None,
            "deadline_on": e.action.deadline_on if e.action else None,
            "outstanding": e.decision.outstanding,
            "note": e.note,
        }
        for e in t.entries
    ]


def _invoice_rows(entries: Iterable[InvoiceHistory], on: date | None) -> list[dict[str, Any]]:
    rows = []
    for e in entries:
        inv = e.invoice
        row: dict[str, Any] = {
            "invoice_id": inv.id,
            "number": inv.number,
            "customer_id": inv.customer.id,
            "customer_kind": inv.customer.kind.value,
            "issued_on": inv.issued_on,
            "due_on": inv.last_due_on,
            "total": inv.total,
            "currency": inv.currency,
        }
        if on is not None:
            row["outstanding"] = amount_outstanding(inv, e.events, on=on)
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class _Table:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def _table(  # noqa: C901, PLR0911  (one branch per kind of result)
    obj: object, part: str
) -> _Table:
    if isinstance(obj, PenaltyBreakdown):
        cols: tuple[str, ...] = ("invoice_id", "installment", "first_day", "last_day", "days")
        cols += ("principal", "annual_rate", "rate_source", "provisional", "interest")
        return _Table(cols, _breakdown_rows(obj))
    if isinstance(obj, Timeline):
        cols = ("on", "invoice", "status", "level", "level_name", "step_id", "channel")
        return _Table((*cols, "deadline_on", "outstanding", "note"), _timeline_rows(obj))
    rows: list[dict[str, Any]]
    if isinstance(obj, RunReport):
        rows = [
            {
                "outcome": i.outcome.value,
                "customer_id": i.customer_id,
                "key": i.key,
                "channel": i.channel.value if i.channel else None,
                "reason": i.reason,
            }
            for i in obj.items
        ]
        return _Table(("outcome", "customer_id", "key", "channel", "reason"), rows)
    if isinstance(obj, Ageing):
        return _Table(("bucket", "amount", "count"), obj.records())
    if isinstance(obj, SimulationResult):
        return _simulation_table(obj, part)
    if isinstance(obj, Comparison):
        records = obj.records()
        return _Table(tuple(records[0]) if records else ("label",), records)
    if isinstance(obj, SyntheticPortfolio):
        cols = ("invoice_id", "number", "customer_id", "customer_kind", "issued_on", "due_on")
        rows = _invoice_rows(obj.entries, obj.as_of)
        for row in rows:
            row["payer_type"] = obj.payer_types[str(row["customer_id"])].value
        return _Table((*cols, "total", "currency", "outstanding", "payer_type"), rows)
    if isinstance(obj, CollectionCost):
        rows = [{"channel": ch, "messages": n} for ch, n in obj.messages.items()]
        return _Table(("channel", "messages"), rows)
    if isinstance(obj, Decision):
        return _Table(
            ("invoice_id", "at", "status", "level", "outstanding", "days_late", "next_review_at"),
            [
                {
                    "invoice_id": obj.invoice_id,
                    "at": obj.at,
                    "status": obj.status.value,
                    "level": obj.level,
                    "outstanding": obj.outstanding,
                    "days_late": obj.days_late,
                    "next_review_at": obj.next_review_at,
                }
            ],
        )
    return _sequence_table(obj)


def _simulation_table(obj: SimulationResult, part: str) -> _Table:
    rows: list[dict[str, Any]]
    if part == "messages":
        rows = [
            {
                "on": m.on,
                "customer_id": m.customer_id,
                "channel": m.channel.value,
                "kind": m.kind.value,
                "level": m.level,
                "invoices": len(m.invoice_ids),
                "amount_due": m.amount_due,
            }
            for m in obj.messages
        ]
        cols = ("on", "customer_id", "channel", "kind", "level", "invoices", "amount_due")
        return _Table(cols, rows)
    if part == "payments":
        rows = [
            {
                "on": p.on,
                "customer_id": p.customer_id,
                "invoice_id": p.invoice_id,
                "amount": p.amount,
                "partial": p.partial,
            }
            for p in obj.payments
        ]
        return _Table(("on", "customer_id", "invoice_id", "amount", "partial"), rows)
    if part == "penalties":
        return _Table(
            ("invoice_id", "interest", "recovery_indemnity", "total"),
            [
                {
                    "invoice_id": k,
                    "interest": b.interest,
                    "recovery_indemnity": b.recovery_indemnity,
                    "total": b.total,
                }
                for k, b in obj.penalties.items()
            ],
        )
    if part != "days":
        msg = f"part: expected 'days', 'messages', 'payments' or 'penalties', got {part!r}"
        raise ValueError(msg)
    cols = ("on", "outstanding", "overdue", "collected", "messages", "formal_notices", "dso")
    return _Table(cols, obj.records())


_STACKED = (PenaltyBreakdown, Timeline, Decision, RunReport)


def _sequence_table(obj: object) -> _Table:
    items = list(obj) if isinstance(obj, Iterable) and not isinstance(obj, str | bytes) else None
    if items is not None and all(isinstance(i, StepEffectiveness) for i in items):
        rows = [
            {
                "step_id": s.step_id,
                "delivered": s.delivered,
                "paid_after": s.paid_after,
                "paid_share": s.paid_share,
                "average_days_to_pay": s.average_days_to_pay,
            }
            for s in items
        ]
        return _Table(
            ("step_id", "delivered", "paid_after", "paid_share", "average_days_to_pay"), rows
        )
    if items and all(isinstance(i, _STACKED) for i in items):
        # One row set per result, stacked: many breakdowns, timelines or decisions in one frame.
        tables = [_table(i, "days") for i in items]
        if len({t.columns for t in tables}) == 1:
            return _Table(tables[0].columns, [row for t in tables for row in t.rows])
    if items is not None and all(isinstance(i, InvoiceHistory) for i in items):
        cols = ("invoice_id", "number", "customer_id", "customer_kind", "issued_on", "due_on")
        return _Table((*cols, "total", "currency"), _invoice_rows(items, None))
    msg = (
        f"to_dataframe: cannot tabulate a {type(obj).__name__}; it takes a PenaltyBreakdown, "
        "Timeline, RunReport, Decision, Ageing, CollectionCost, SimulationResult, Comparison, "
        "SyntheticPortfolio, or a sequence of StepEffectiveness, InvoiceHistory, or of "
        "PenaltyBreakdown, Timeline, Decision or RunReport of one kind (rows stacked)"
    )
    raise TypeError(msg)


def to_dataframe(
    obj: object,
    *,
    part: Literal["days", "messages", "payments", "penalties"] = "days",
    amounts: Literal["decimal", "float"] = "decimal",
) -> pd.DataFrame:
    """A `pandas.DataFrame` of a result of the library, one row per line, day, item...

    What one row is: a period for a `PenaltyBreakdown`; a day with something on it for a
    `Timeline`; a message for a `RunReport`; a bucket for an `Ageing`; a channel for a
    `CollectionCost`; a step for a sequence of `StepEffectiveness`; an invoice for a
    `SyntheticPortfolio` or a sequence of `InvoiceHistory`; a scenario for a `Comparison`;
    a list of breakdowns, timelines, decisions or run reports (one kind) stacks their rows;
    for a `SimulationResult`, a day, a message, a payment or a late invoice (*part*).

    Args:
        obj: the result.
        part: for a `SimulationResult`, which table (default ``days``).
        amounts: keep money as exact `Decimal` objects (default) or turn every Decimal
            column into floats, for plotting and quick arithmetic (not for accounting).

    Returns:
        The DataFrame (columns are present even when there are no rows).

    Raises:
        ImportError: if pandas is not installed (``pip install 'dunning[notebook]'``).
        TypeError: for an object it cannot tabulate.
        ValueError: for an unknown *part*.

    Examples:
        >>> from datetime import date
        >>> from dunning.penalties import penalties_for_amount
        >>> b = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))
        >>> to_dataframe(b)[["first_day", "days", "annual_rate", "interest"]]
            first_day  days annual_rate interest
        0  2025-06-16    15       13.15    64.85
        1  2025-07-01    15       12.15    59.92
    """
    table = _table(obj, part)
    frame = _frame(table.rows, table.columns)
    if amounts == "float":
        for column in table.columns:
            if any(isinstance(row.get(column), Decimal) for row in table.rows):
                frame[column] = frame[column].map(lambda v: None if v is None else float(v))
    return frame


def penalties_dataframe(
    frame: pd.DataFrame,
    *,
    amount: str = "amount",
    due_on: str = "due_on",
    until: str | date = "until",
    regime: str | None = None,
    rate: str | None = None,
    float_amounts: FloatAmounts = "refuse",
    rates: PenaltyRates | None = None,
    payments: pd.DataFrame | None = None,
    key: str = "invoice_id",
) -> pd.DataFrame:
    """Late-payment penalties for every row of a DataFrame: DataFrame in, DataFrame out.

    Each row goes through `penalties_for_amount`. Without *payments*, *amount* is what is
    still due, all of it late since the due date. With *payments* (a frame with the columns
    ``invoice_id``, ``paid_on`` and ``amount``, as `histories_from_frames` reads them), *amount*
    is the amount first due and the payments and credit notes of the row's *key* dated up to
    its last day are applied on their dates, so the interest that ran on the whole amount
    before a partial payment is kept. The columns ``interest``,
    ``recovery_indemnity``, ``penalties_total`` (Decimal) and ``rate_source`` (the first
    period's) are added to a copy of *frame*. Cells are converted with `as_amount` and
    `as_date` (numpy integers, Timestamps and datetime64 are fine; floats need
    *float_amounts*).

    Args:
        frame: one row per late amount.
        amount: the column of amounts due, incl. VAT.
        due_on: the column of due dates.
        until: the column of last days to count, or one date for every row.
        regime: a column of regimes (``b2b_default``, ``consumer``...), if any.
        rate: a column of contractual rates in percent, if any.
        float_amounts: ``"refuse"`` (default) or ``"round_to_cent"``.
        rates: rate tables; by default the packaged ones.
        payments: partial payments and credit notes, one per row (``invoice_id``,
            ``paid_on``, ``amount``), if any.
        key: the column of *frame* matched with the payments' ``invoice_id``.

    Returns:
        A copy of *frame* with the four columns added.

    Raises:
        ImportError: if pandas is not installed.
        KeyError: naming a column that is not in *frame*.
        pydantic.ValidationError: naming the column and row of a bad cell (``float_amount``,
            ``missing_amount``, ``invalid_date``...) or of a bad combination
            (``until_before_due_date``...).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"amount": [5000, 2000], "due_on": pd.to_datetime(
        ...     ["2025-01-10", "2025-01-10"]), "rate": ["10", "10"]})
        >>> out = penalties_dataframe(df, until=date(2025, 2, 9), rate="rate")
        >>> out["interest"].tolist()
        [Decimal('41.10'), Decimal('16.44')]
    """
    pd = _pandas()
    names = [amount, due_on, *(c for c in (regime, rate) if c is not None)]
    names += [key] if payments is not None else []
    if isinstance(until, str):
        names.append(until)
    missing = [c for c in names if c not in frame.columns]
    if missing:
        msg = f"columns not in the DataFrame: {', '.join(missing)} (have: {list(frame.columns)})"
        raise KeyError(msg)
    paid = {} if payments is None else _paid_by_key(payments, float_amounts)
    results: list[PenaltyBreakdown] = []
    for n, (_, row) in enumerate(frame.iterrows()):
        last = as_date(row[until], field=(until, n)) if isinstance(until, str) else until
        value = as_amount(row[amount], float_amounts=float_amounts, field=(amount, n))
        due = as_date(row[due_on], field=(due_on, n))
        contractual = None if rate is None else _rate(row[rate], (rate, n))
        try:
            breakdown = penalties_for_amount(
                value,
                due,
                last,
                regime=None if regime is None else str(row[regime]),
                rate=contractual,
                rates=rates,
                payments=[p for p in paid.get(str(row[key]).strip(), ()) if p[0] <= last]
                if payments is not None
                else (),
            )
        except ValidationError as error:
            raise _at_row(error, n) from None
        results.append(breakdown)
    out = frame.copy()
    out["interest"] = pd.Series([b.interest for b in results], index=frame.index, dtype=object)
    out["recovery_indemnity"] = pd.Series(
        [b.recovery_indemnity for b in results], index=frame.index, dtype=object
    )
    out["penalties_total"] = pd.Series([b.total for b in results], index=frame.index, dtype=object)
    out["rate_source"] = pd.Series(
        [b.lines[0].rate_source if b.lines else "" for b in results],
        index=frame.index,
        dtype=object,
    )
    return out


def _paid_by_key(
    payments: pd.DataFrame, float_amounts: FloatAmounts
) -> dict[str, list[tuple[date, Decimal]]]:
    """``(paid_on, amount)`` of each row of *payments*, by ``invoice_id``."""
    missing = [c for c in ("invoice_id", "paid_on", "amount") if c not in payments.columns]
    if missing:
        msg = f"payments: columns not in the DataFrame: {', '.join(missing)}"
        raise KeyError(msg)
    out: dict[str, list[tuple[date, Decimal]]] = {}
    rows = zip(payments["invoice_id"], payments["paid_on"], payments["amount"], strict=True)
    for n, (ref, on, value) in enumerate(rows):
        out.setdefault(str(ref).strip(), []).append(
            (
                as_date(on, field=("payments", "paid_on", n)),
                as_amount(value, float_amounts=float_amounts, field=("payments", "amount", n)),
            )
        )
    return out


def _rate(value: object, loc: tuple[str | int, ...]) -> Decimal | str:
    """A contractual rate: text goes to the core as is (``"12%"``), numbers as amounts."""
    return value if isinstance(value, str) else as_amount(value, field=loc)


def _at_row(error: ValidationError, row: int) -> ValidationError:
    details = [
        InitErrorDetails(
            type=PydanticCustomError(e["type"], e["msg"]),
            loc=(*e["loc"], row),
            input=e["input"],
        )
        for e in error.errors(include_url=False)
    ]
    return ValidationError.from_exception_data(error.title, details)


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
    _pandas()
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


# -------------------------------------------------------------------------------- plots


def plot_penalty_accrual(breakdown: PenaltyBreakdown, *, title: str | None = None) -> Figure:
    """Interest accrued day by day, with each change of rate or principal marked.

    Args:
        breakdown: a `PenaltyBreakdown` (from `compute_penalties` or `penalties_for_amount`).
        title: the figure's title; by default names the invoice and the regime.

    Returns:
        A matplotlib `Figure` (display it in a notebook, or ``savefig`` it).

    Raises:
        ImportError: if matplotlib is not installed.
    """
    figure = _figure()(figsize=(8, 4), layout="constrained")
    ax = figure.add_subplot()
    days: list[date] = []
    totals: list[float] = []
    accrued = Decimal(0)
    for line in breakdown.lines:
        days.append(line.first_day - timedelta(days=1))
        totals.append(float(accrued))
        accrued += line.interest
        days.append(line.last_day)
        totals.append(float(accrued))
    ax.plot(_x(days), totals, color="tab:blue", linewidth=2, label="interest accrued")
    previous = None
    for line in breakdown.lines:
        if previous is not None and (
            line.annual_rate != previous.annual_rate or line.principal != previous.principal
        ):
            ax.axvline(_x([line.first_day])[0], color="tab:red", linestyle="--", linewidth=1)
            ax.annotate(
                f"{line.annual_rate} % on {line.principal}",
                xy=(_x([line.first_day])[0], 1),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                rotation=90,
                fontsize=8,
                color="tab:red",
                va="top",
            )
        previous = line
    if breakdown.lines:
        first = breakdown.lines[0]
        ax.annotate(
            f"{first.annual_rate} % on {first.principal}",
            xy=(_x([first.first_day])[0], 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            rotation=90,
            fontsize=8,
            color="tab:blue",
            va="top",
        )
    ax.set_title(
        title or f"Late-payment interest, {breakdown.invoice_id} ({breakdown.regime.value})"
    )
    ax.set_ylabel(f"interest ({breakdown.currency})")
    ax.set_xlabel(f"total {breakdown.interest} + indemnity {breakdown.recovery_indemnity}")
    ax.grid(visible=True, alpha=0.3)
    ax.xaxis_date()
    figure.autofmt_xdate()
    return figure


def plot_ageing(ageing: Ageing | pd.DataFrame, *, title: str | None = None) -> Figure:
    """Outstanding amounts by ageing bucket, as bars labelled with their invoice counts.

    Args:
        ageing: an `Ageing`, or its DataFrame (``to_dataframe(ageing)``: columns ``bucket``,
            ``amount``, ``count``; amounts as Decimals or floats).
        title: the figure's title; by default the day and the total.

    Returns:
        A matplotlib `Figure`.

    Raises:
        ImportError: if matplotlib is not installed.
        KeyError: for a DataFrame without those columns.
    """
    figure_class = _figure()
    if isinstance(ageing, Ageing):
        amounts = {b: Decimal(ageing.amounts[b]) for b in AGEING_BUCKETS}
        counts = dict(ageing.counts)
        at = ageing.at.date() if isinstance(ageing.at, datetime) else ageing.at
        heading = f"Ageing at {at}: {ageing.total:,.2f} {ageing.currency}"
        currency = ageing.currency
    else:
        missing = [c for c in ("bucket", "amount", "count") if c not in ageing.columns]
        if missing:
            msg = f"plot_ageing: columns not in the DataFrame: {', '.join(missing)}"
            raise KeyError(msg)
        rows = dict(zip(ageing["bucket"], zip(ageing["amount"], ageing["count"], strict=True),
                        strict=True))  # fmt: skip
        amounts = {b: Decimal(str(rows.get(b, (0, 0))[0])) for b in AGEING_BUCKETS}
        counts = {b: int(rows.get(b, (0, 0))[1]) for b in AGEING_BUCKETS}
        heading = f"Ageing: {sum(amounts.values(), Decimal(0)):,.2f}"
        currency = "amount"
    figure = figure_class(figsize=(7, 4), layout="constrained")
    ax = figure.add_subplot()
    values = [float(amounts[b]) for b in AGEING_BUCKETS]
    colours = ["tab:green", "gold", "orange", "tab:red", "darkred"]
    bars = ax.bar(list(AGEING_BUCKETS), values, color=colours)
    labels = [f"{amounts[b]:,.0f}\n({counts[b]} inv.)" for b in AGEING_BUCKETS]
    ax.bar_label(bars, labels=labels, fontsize=8)
    ax.set_ylabel(f"outstanding ({currency})")
    ax.set_xlabel("days late")
    ax.set_ylim(0, max([*values, 1.0]) * 1.2)
    ax.set_title(title or heading)
    return figure


def plot_collections(
    results: SimulationResult
    | Comparison
    | Mapping[str, SimulationResult]
    | Iterable[SimulationResult],
    *,
    title: str = "Cash collected",
) -> Figure:
    """Cumulative cash collected day by day, one curve per simulated scenario.

    Takes one `SimulationResult`, a `Comparison`, a mapping of label to result, or a
    sequence of results. Days 30, 60 and 90 of the runs are marked.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    if isinstance(results, SimulationResult):
        runs = [(results.label, results)]
    elif isinstance(results, Comparison):
        runs = list(results.results.items())
    elif isinstance(results, Mapping):
        runs = list(results.items())
    else:
        runs = [(r.label, r) for r in results]
    figure = _figure()(figsize=(8, 4), layout="constrained")
    ax = figure.add_subplot()
    for label, result in runs:
        ax.plot(
            _x([d.on for d in result.days]),
            [float(d.collected) for d in result.days],
            label=f"{label} ({result.collected:,.0f})",
            linewidth=2,
        )
    if runs:
        start = runs[0][1].start
        end = runs[0][1].end
        for mark in (30, 60, 90):
            day = start + timedelta(days=mark - 1)
            if day <= end:
                ax.axvline(_x([day])[0], color="grey", linestyle=":", linewidth=1)
                ax.annotate(f"day {mark}", xy=(_x([day])[0], 0), xytext=(-3, 3), ha="right",
                            textcoords="offset points", fontsize=8, color="grey")  # fmt: skip
    ax.set_title(title)
    ax.set_ylabel("collected (cumulative)")
    ax.legend(loc="upper left")
    ax.grid(visible=True, alpha=0.3)
    ax.xaxis_date()
    figure.autofmt_xdate()
    return figure
