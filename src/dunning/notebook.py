"""DataFrames and plots for analysts: the ``dunning[notebook]`` extra (pandas, matplotlib).

This module imports without pandas or matplotlib; each function imports what it needs when
called and says which extra to install if it is missing (``pip install 'dunning[notebook]'``).
The core never imports this module: `Timeline`, `PenaltyBreakdown`, `Decision`, `Ageing`,
`CollectionCost`, `StepEffectivenessTable`, `SimulationResult`, `Comparison` and `RunReport`
show as HTML tables in a notebook on their own, money written with Babel. The plots live in
`dunning._plots` and are re-exported here.

Values coming from pandas are converted here, at the boundary, before they reach the core:
numpy integers become exact amounts, `pandas.Timestamp` and `numpy.datetime64` become dates,
and floats are refused (a float cannot hold cents exactly) unless the caller opts in with
``float_amounts="round_to_cent"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dunning._frames import (
    PAYMENT_COLUMNS,
    FloatAmounts,
    as_amount,
    as_date,
    histories_from_frames,
    pandas_module,
)
from dunning._plots import plot_ageing, plot_collections, plot_penalty_accrual
from dunning.core.engine import Decision
from dunning.core.ledger import amount_outstanding
from dunning.core.metrics import Ageing, CollectionCost, StepEffectiveness
from dunning.core.penalties.compute import PenaltyBreakdown, penalties_for_amount
from dunning.core.penalties.rates import PenaltyRates
from dunning.core.portfolio import InvoiceHistory
from dunning.core.simulate import Comparison, SimulationResult, SyntheticPortfolio
from dunning.core.timeline import Timeline
from dunning.runner import RunReport

if TYPE_CHECKING:
    import pandas as pd

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


# --------------------------------------------------------------------------- DataFrames


def _frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pandas_module().DataFrame(list(rows), columns=list(columns))


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
    return _sequence_table(obj, part)


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


def _labelled(key: str, parts: Sequence[tuple[object, _Table]]) -> _Table:
    """Tables of several results stacked, each row first naming its result in column *key*."""
    columns = parts[0][1].columns if parts else ()
    rows = [{key: name, **row} for name, table in parts for row in table.rows]
    return _Table((key, *columns), rows)


def _sequence_table(obj: object, part: str) -> _Table:
    if (
        isinstance(obj, Mapping)
        and obj
        and all(isinstance(v, SimulationResult) for v in obj.values())
    ):
        return _labelled("label", [(k, _simulation_table(v, part)) for k, v in obj.items()])
    items = list(obj) if isinstance(obj, Iterable) and not isinstance(obj, str | bytes) else None
    if items and all(isinstance(i, SimulationResult) for i in items):
        # Several runs, one frame: each row says which run it is from.
        return _labelled("label", [(i.label, _simulation_table(i, part)) for i in items])
    if items and all(isinstance(i, Ageing) for i in items):
        return _labelled("at", [(i.at, _table(i, part)) for i in items])
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
        "PenaltyBreakdown, Timeline, Decision, RunReport, Ageing or SimulationResult of one "
        "kind (rows stacked), or a mapping of label to SimulationResult"
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
    for a `SimulationResult`, a day, a message, a payment or a late invoice (*part*). Several
    simulation results (a list, or a mapping of label to result such as
    ``comparison.results``) stack their rows after a ``label`` column; several `Ageing`
    results after an ``at`` column.

    Args:
        obj: the result.
        part: for simulation results, which table (default ``days``).
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
    pd = pandas_module()
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
