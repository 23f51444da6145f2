"""Decisions, penalties and metrics over a Dask DataFrame or Bag: scale-out on a cluster.

Install with ``pip install 'dunning[dask]'`` (``dask[dataframe]`` and ``distributed``).

How this works: the collection holds **plain rows**, one per invoice, never pickled models.
A row (`invoice_row` makes one) has the invoice's fields as typed columns
(`INVOICE_COLUMNS`: ids, dates as ISO text, amounts as decimal text), its customer as JSON
text and its events as a JSON list (as `dunning.model.parse_events` reads them). Each
partition reads its rows into models the cheap way, and still validates everything:

- each distinct customer text is validated once per partition (a book has far fewer
  customers than invoices, and the customer was most of the cost of reading a row);
- the partition's invoices are validated a hundred at a time, in one call each (a pydantic
  ``TypeAdapter`` over the list, with each invoice's customer already built), and each event
  list straight from its JSON text; each hundred is decided before the next is read;
- the scenario (or the `Policy` choosing one per customer) is loaded from its JSON text once
  per worker process, not once per partition.

It then runs the same functions as a single process (`decide_many`, `compute_penalties`,
`ageing`, `plan_customer_actions`) and returns plain rows again: a list per column, read
from the results with no tuple or dict per row, then the partition's DataFrame (strings for
amounts and instants). A partition runs with Python's
cyclic garbage collector paused, as a simulation does (`dunning._collector`): it makes no
reference cycles, and the collector's passes over a worker's objects were about a tenth of
a run. Each partition is a pure function of its rows, the scenario text and the instant, so
the result is exactly the single-process result, whatever the number of workers or
partitions. Rules that span a
customer's invoices (one message per customer per day) need all of a customer's rows in one
partition: `customer_actions` shuffles the collection on ``customer_id`` itself.

The first layout of this module, one JSON text per invoice with its customer inside
(``customer_id``, ``invoice_id``, ``invoice``, ``events``), is still read, row by row as before
(about twice as slow): a collection with an ``invoice`` column is taken for one.

Examples:
    >>> import dask.bag as db
    >>> from datetime import date, datetime, timezone
    >>> from dunning import STANDARD, Customer, Invoice
    >>> acme = Customer(id="C1", name="ACME")
    >>> invoice = Invoice(id="F-1", number="1", customer=acme, issued_on=date(2026, 1, 2),
    ...                   due_on=date(2026, 2, 1), total="100.00")
    >>> rows = db.from_sequence([invoice_row(invoice, [])], npartitions=1)
    >>> at = datetime(2026, 2, 2, 9, tzinfo=timezone.utc)
    >>> [(r["invoice_id"], r["status"]) for r in decisions(rows, STANDARD, at=at).compute()]
    [('F-1', 'action_due')]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from dunning._collector import collector_paused
from dunning.core.engine import Decision, decide_many
from dunning.core.metrics import AGEING_BUCKETS, Ageing, ageing
from dunning.core.model import Customer, Event, Invoice, check_aware, parse_events
from dunning.core.penalties import PenaltyBreakdown, compute_penalties
from dunning.core.policy import Policy
from dunning.core.portfolio import CustomerAction, InvoiceHistory, plan_customer_actions
from dunning.core.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ACTION_COLUMNS",
    "DECISION_COLUMNS",
    "INVOICE_COLUMNS",
    "PENALTY_COLUMNS",
    "action_record",
    "ageing_of",
    "customer_actions",
    "decision_record",
    "decisions",
    "invoice_row",
    "penalties",
    "penalty_record",
]

Row = dict[str, Any]

Columns = dict[str, list[Any]]
"""A partition as its columns: name -> the column's values, None where a value is missing."""

INVOICE_COLUMNS = (
    "customer_id",
    "invoice_id",
    "number",
    "customer",
    "issued_on",
    "due_on",
    "installments",
    "total",
    "currency",
    "contractual_rate",
    "events",
)
"""The columns of a row (`invoice_row`): the invoice's fields, its customer, its events.

``issued_on`` and ``due_on`` are ISO dates, ``total`` and ``contractual_rate`` decimal text,
``customer`` the customer's JSON text (the same text for all of a customer's invoices),
``installments`` a JSON list of ``{"due_on", "amount"}`` or None, ``events`` a JSON list.
``due_on``, ``installments``, ``currency`` (EUR) and ``contractual_rate`` may be missing.
"""

DECISION_COLUMNS = (
    "invoice_id",
    "customer_id",
    "status",
    "level",
    "outstanding",
    "currency",
    "days_late",
    "next_review_at",
    "next_step_id",
    "action_id",
    "step_id",
    "channel",
    "template",
    "penalties_total",
    "reason",
)
"""The columns of `decisions`: amounts as decimal text, instants as ISO text, ``level`` and
``days_late`` whole numbers; a missing value is ``pd.NA`` in a DataFrame, None in a Bag."""

PENALTY_COLUMNS = (
    "invoice_id",
    "customer_id",
    "until",
    "periods",
    "interest",
    "recovery_indemnity",
    "total",
)
"""The columns of `penalties` (amounts as decimal text)."""

ACTION_COLUMNS = (
    "customer_id",
    "currency",
    "channel",
    "template",
    "action_ids",
    "invoice_ids",
    "amount_due",
)
"""The columns of `customer_actions` (ids as JSON lists, amounts as decimal text)."""


def _dask() -> tuple[Any, Any]:
    """The ``dask.bag`` and ``dask.dataframe`` modules, or an error naming the extra."""
    try:
        import dask.bag as db  # noqa: PLC0415
        import dask.dataframe as dd  # noqa: PLC0415
    except ImportError as error:
        msg = (
            f"dunning.dask needs Dask: install the extra with pip install 'dunning[dask]' ({error})"
        )
        raise ImportError(msg) from error
    return db, dd


# ------------------------------------------------------------------------------- rows


def _text(value: Decimal | datetime | date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def invoice_row(invoice: Invoice, events: Sequence[Event] = ()) -> Row:
    """The plain row of one invoice and its events, as the functions of this module read it.

    Args:
        invoice: the invoice (its customer is stored with it, as JSON text).
        events: its history.

    Returns:
        A dict with the keys of `INVOICE_COLUMNS`: ids, the invoice's fields as text, the
        customer and the events as JSON texts.

    Examples:
        >>> from datetime import date
        >>> from dunning import Customer, Invoice
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C1", name="A"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="100.00")
        >>> row = invoice_row(inv)
        >>> row["customer_id"], row["due_on"], row["total"], row["installments"], row["events"]
        ('C1', '2026-02-01', '100.00', None, '[]')
        >>> Customer.model_validate_json(row["customer"]) == inv.customer
        True
    """
    installments = [part.model_dump(mode="json") for part in invoice.installments]
    return {
        "customer_id": invoice.customer.id,
        "invoice_id": invoice.id,
        "number": invoice.number,
        "customer": invoice.customer.model_dump_json(),
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": _text(invoice.due_on),
        "installments": json.dumps(installments) if installments else None,
        "total": str(invoice.total),
        "currency": invoice.currency,
        "contractual_rate": _text(invoice.contractual_rate),
        "events": json.dumps([event.model_dump(mode="json") for event in events]),
    }


_INVOICES: TypeAdapter[list[Invoice]] = TypeAdapter(list[Invoice])
_EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def _events(text: str | None) -> list[Event]:
    return _EVENTS.validate_json(text) if text and text != "[]" else []


_CHUNK = 100
"""Rows validated in one call, then decided: enough to amortise the call, few enough that a
chunk's models are decided while they are still in the processor's caches and dropped while
young (a partition's models are never all alive at once, which keeps the garbage collector's
full passes rare). Measured on 25,000-row partitions: 100 rows a chunk cost 31 us an invoice
(reading, deciding, the result's columns), 1,000 rows 38 us, the whole partition 41 us."""


def _invoices(
    columns: Columns, start: int, stop: int, customers: dict[str, Customer]
) -> list[Invoice]:
    """The invoices of rows *start* to *stop* of a partition in `INVOICE_COLUMNS`, validated.

    Each distinct customer text is validated once (*customers* keeps them for the partition);
    the invoices are then validated in one call, each with its customer already built
    (pydantic takes a model instance as it is).
    """

    def column(name: str) -> list[Any]:
        values = columns.get(name)  # an optional column may be left out
        return [None] * (stop - start) if values is None else values[start:stop]

    fields: list[dict[str, Any]] = []
    for customer_id, invoice_id, number, text, issued, due, parts, total, currency, rate in zip(
        column("customer_id"),
        column("invoice_id"),
        column("number"),
        column("customer"),
        column("issued_on"),
        column("due_on"),
        column("installments"),
        column("total"),
        column("currency"),
        column("contractual_rate"),
        strict=True,
    ):
        customer = customers.get(text)
        if customer is None:
            customer = customers[text] = Customer.model_validate_json(text)
        if customer.id != customer_id:
            msg = (
                f"invoice {invoice_id}: customer_id is {customer_id!r} but its customer's id "
                f"is {customer.id!r}"
            )
            raise ValueError(msg)
        invoice: dict[str, Any] = {
            "id": invoice_id,
            "number": number,
            "customer": customer,
            "issued_on": issued,
            "due_on": due,
            "total": total,
            "contractual_rate": rate,
        }
        if parts:
            invoice["installments"] = json.loads(parts)
        if currency is not None:
            invoice["currency"] = currency
        fields.append(invoice)
    try:
        return _INVOICES.validate_python(fields)
    except ValidationError as error:
        where = error.errors()[0]["loc"][0]  # the position of the first bad invoice
        if isinstance(where, int):
            error.add_note(f"in the row of invoice {fields[where]['id']}")
        raise


def _histories(columns: Columns) -> Iterator[tuple[Invoice, list[Event]]]:
    """The invoices and events of a partition, in its order, from either row layout."""
    if "invoice" in columns:  # the first layout: one JSON text per invoice, read row by row
        for text, events in zip(columns["invoice"], columns["events"], strict=True):
            yield Invoice.model_validate_json(text), parse_events(json.loads(events or "[]"))
        return
    customers: dict[str, Customer] = {}
    size = len(columns["invoice_id"])
    for start in range(0, size, _CHUNK):
        stop = min(start + _CHUNK, size)
        invoices = _invoices(columns, start, stop, customers)
        events = [_events(text) for text in columns["events"][start:stop]]
        yield from zip(invoices, events, strict=True)


@lru_cache(maxsize=16)
def _scenario(text: str) -> Scenario | Policy:
    """The scenario, or the policy, of its JSON text, validated once per worker process.

    A policy's JSON has its ``rules``; a scenario's has its ``steps`` and no rules.
    """
    try:
        data = json.loads(text)
    except ValueError:
        data = None  # not JSON: the scenario's validation says so
    if isinstance(data, dict) and "rules" in data:
        return Policy.model_validate_json(text)
    return Scenario.model_validate_json(text)


def _scenario_text(scenario: Scenario | Policy | str) -> str:
    if isinstance(scenario, str):
        _scenario(scenario)  # a bad text fails here, once, not in every partition
        return scenario
    if not isinstance(scenario, Scenario | Policy):
        msg = (
            f"scenario: a Scenario, a Policy or the JSON text of one, not {type(scenario).__name__}"
        )
        raise TypeError(msg)
    return scenario.model_dump_json()


def _choice(text: str) -> Scenario | Callable[[Customer], Scenario]:
    """What `plan_customer_actions` takes, from a scenario's or a policy's JSON text."""
    chosen = _scenario(text)
    return chosen.scenario_for if isinstance(chosen, Policy) else chosen


# ------------------------------------------------------------------------------ records


def _decision_columns(decisions: Sequence[Decision], customer_ids: Sequence[str]) -> Columns:
    """The `decisions` columns of *decisions* (the one place they are made).

    Built column by column (a list per column, no tuple per row): about a fifth cheaper than
    a row at a time, once the DataFrame is built from them.
    """
    actions = [decision.action for decision in decisions]
    return {
        "invoice_id": [decision.invoice_id for decision in decisions],
        "customer_id": list(customer_ids),
        "status": [decision.status.value for decision in decisions],
        "level": [decision.level for decision in decisions],
        "outstanding": [str(decision.outstanding) for decision in decisions],
        "currency": [decision.currency for decision in decisions],
        "days_late": [decision.days_late for decision in decisions],
        "next_review_at": [
            None if decision.next_review_at is None else decision.next_review_at.isoformat()
            for decision in decisions
        ],
        "next_step_id": [decision.next_step_id for decision in decisions],
        "action_id": [None if action is None else action.id for action in actions],
        "step_id": [None if action is None else action.step_id for action in actions],
        "channel": [None if action is None else action.channel.value for action in actions],
        "template": [None if action is None else action.template for action in actions],
        "penalties_total": [
            None if decision.penalties is None else str(decision.penalties.total)
            for decision in decisions
        ],
        "reason": [decision.reason for decision in decisions],
    }


def _penalty_columns(
    breakdowns: Sequence[PenaltyBreakdown], customer_ids: Sequence[str]
) -> Columns:
    """The `penalties` columns of *breakdowns*."""
    return {
        "invoice_id": [breakdown.invoice_id for breakdown in breakdowns],
        "customer_id": list(customer_ids),
        "until": [breakdown.until.isoformat() for breakdown in breakdowns],
        "periods": [len(breakdown.lines) for breakdown in breakdowns],
        "interest": [str(breakdown.interest) for breakdown in breakdowns],
        "recovery_indemnity": [str(breakdown.recovery_indemnity) for breakdown in breakdowns],
        "total": [str(breakdown.total) for breakdown in breakdowns],
    }


def _action_columns(actions: Sequence[CustomerAction]) -> Columns:
    """The `customer_actions` columns of *actions*."""
    return {
        "customer_id": [action.customer_id for action in actions],
        "currency": [action.currency for action in actions],
        "channel": [action.channel.value for action in actions],
        "template": [action.template for action in actions],
        "action_ids": [json.dumps([covered.id for covered in action.covers]) for action in actions],
        "invoice_ids": [json.dumps([line.id for line in action.invoices]) for action in actions],
        "amount_due": [str(action.amount_due) for action in actions],
    }


def _record(columns: Columns) -> Row:
    """The one row of *columns*, as a dict."""
    return {name: values[0] for name, values in columns.items()}


def decision_record(decision: Decision, customer_id: str) -> Row:
    """One row of `decisions` from a `Decision` (what a single process compares with).

    Args:
        decision: the decision.
        customer_id: its invoice's customer.

    Returns:
        A dict with the keys of `DECISION_COLUMNS`.
    """
    return _record(_decision_columns([decision], [customer_id]))


def penalty_record(breakdown: PenaltyBreakdown, customer_id: str) -> Row:
    """One row of `penalties` from a `PenaltyBreakdown`.

    Args:
        breakdown: the breakdown.
        customer_id: its invoice's customer.

    Returns:
        A dict with the keys of `PENALTY_COLUMNS`.
    """
    return _record(_penalty_columns([breakdown], [customer_id]))


def action_record(action: CustomerAction) -> Row:
    """One row of `customer_actions` from a `CustomerAction`.

    Args:
        action: one message to one customer.

    Returns:
        A dict with the keys of `ACTION_COLUMNS`.
    """
    return _record(_action_columns([action]))


# ------------------------------------------------------------------- partition functions

Partition = Callable[[Columns], Columns]
"""What runs on each partition: its columns in, the result's columns out."""

_AGEING_COLUMNS = ("bucket", "amount", "count")
"""The columns of a partition's ageing: each bucket, its amount (decimal text), its count."""


def _decide_partition(
    columns: Columns, scenario: str, at: datetime, *, with_penalties: bool
) -> Columns:
    chosen = _scenario(scenario)
    made = list(decide_many(_histories(columns), chosen, at=at, with_penalties=with_penalties))
    return _decision_columns(made, columns["customer_id"])


def _penalties_partition(columns: Columns, until: date) -> Columns:
    breakdowns, customer_ids = [], []
    for invoice, events in _histories(columns):
        if invoice.first_due_on < until:
            breakdowns.append(compute_penalties(invoice, events, until=until))
            customer_ids.append(invoice.customer.id)
    return _penalty_columns(breakdowns, customer_ids)


def _ageing_partition(columns: Columns, at: datetime, currency: str) -> Columns:
    entries = [InvoiceHistory(invoice=i, events=tuple(e)) for i, e in _histories(columns)]
    result = ageing(entries, at=at, currency=currency)
    return {
        "bucket": list(AGEING_BUCKETS),
        "amount": [str(result.amounts[bucket]) for bucket in AGEING_BUCKETS],
        "count": [result.counts[bucket] for bucket in AGEING_BUCKETS],
    }


def _actions_partition(columns: Columns, scenario: str, at: datetime) -> Columns:
    keys = list(zip(columns["customer_id"], columns["invoice_id"], strict=True))
    pairs = sorted(zip(keys, _histories(columns), strict=True), key=lambda pair: pair[0])
    entries = (InvoiceHistory(invoice=i, events=tuple(e)) for _, (i, e) in pairs)
    return _action_columns(list(plan_customer_actions(entries, _choice(scenario), at=at)))


def _columns_of_rows(rows: Iterable[Row]) -> Columns:
    """The columns of a Bag's partition of dicts (None where a row lacks a key)."""
    rows = list(rows)
    names = INVOICE_COLUMNS if not rows or "invoice" not in rows[0] else tuple(rows[0])
    return {name: [row.get(name) for row in rows] for name in names}


def _columns_of_frame(frame: pd.DataFrame) -> Columns:
    """The columns of a DataFrame's partition as Python values, None where one is missing."""
    return {
        str(name): frame[name].to_numpy(dtype=object, na_value=None).tolist()
        for name in frame.columns
    }


def _on_rows(function: Partition, columns: Sequence[str]) -> Callable[[Iterable[Row]], list[Row]]:
    """*function* for a Bag: dicts in, dicts out."""

    def run(rows: Iterable[Row]) -> list[Row]:
        with collector_paused():
            result = function(_columns_of_rows(rows))
            return [
                dict(zip(columns, values, strict=True))
                for values in zip(*(result[name] for name in columns), strict=True)
            ]

    return run


_INTEGER_COLUMNS = frozenset({"level", "days_late", "periods", "count"})
"""Result columns of whole numbers (int64); every other result column is text."""


def _frame(result: Columns, columns: Sequence[str]) -> pd.DataFrame:
    """A partition's result columns as a DataFrame of typed columns.

    Text goes into Arrow-backed string columns (missing values are ``pd.NA``), whole numbers
    into int64: both travel between processes as buffers, where Python objects would be
    pickled one by one (the result of a partition is shipped once or twice on its way to
    the client, and that cost does not shrink with more workers).
    """
    import pandas as pd  # noqa: PLC0415 - installed with dask[dataframe]
    import pyarrow as pa  # noqa: PLC0415 - idem

    data: dict[str, Any] = {}
    for name in columns:
        column = result[name]
        if name in _INTEGER_COLUMNS:
            data[name] = pd.array(column, dtype="int64")
        else:
            data[name] = pd.arrays.ArrowStringArray(pa.array(column, type=pa.large_string()))
    return pd.DataFrame(data)


def _apply(collection: Any, function: Partition, columns: Sequence[str]) -> Any:
    """Run *function* on each partition of a DataFrame or a Bag."""
    db, dd = _dask()
    if isinstance(collection, db.Bag):
        return collection.map_partitions(_on_rows(function, columns))
    if not isinstance(collection, dd.DataFrame):
        msg = f"expected a Dask DataFrame or Bag, got {type(collection).__name__}"
        raise TypeError(msg)

    def on_frame(frame: pd.DataFrame) -> pd.DataFrame:
        with collector_paused():
            return _frame(function(_columns_of_frame(frame)), columns)

    return collection.map_partitions(on_frame, meta=_frame({name: [] for name in columns}, columns))


# --------------------------------------------------------------------------- the API


def decisions(
    rows: Any, scenario: Scenario | Policy | str, *, at: datetime, with_penalties: bool = False
) -> Any:
    """Decide every invoice of a Dask DataFrame or Bag of `invoice_row` rows, lazily.

    Args:
        rows: a ``dask.dataframe.DataFrame`` with the columns of `INVOICE_COLUMNS` (or of the
            first layout, see the module's documentation), or a ``dask.bag.Bag`` of such dicts.
        scenario: a `Scenario`, or a `Policy` choosing one per customer (either is sent to
            the workers as its JSON text), or that JSON text.
        at: the instant to decide for (timezone-aware).
        with_penalties: also compute each late invoice's penalties (`penalties_total`).

    Returns:
        The same kind of collection, one row per invoice with `DECISION_COLUMNS` (call
        ``.compute()``, or write it to Parquet). A DataFrame's text columns are Arrow-backed
        strings (``string[pyarrow]``), its whole numbers ``int64``; a Bag gives dicts.

    Raises:
        ValueError: if *at* is naive; on the workers, if a row's ``customer_id`` is not its
            customer's id.
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag, or *scenario* is none of
            the three.
        pydantic.ValidationError: if *scenario* is a text that is not a valid scenario or
            policy (at the call, not on the workers); on the workers, for a row that is not a
            valid invoice (with a note naming it).
        ImportError: if Dask is not installed (naming the ``dunning[dask]`` extra).
    """
    check_aware(at)
    text = _scenario_text(scenario)

    def run(part: Columns) -> Columns:
        return _decide_partition(part, text, at, with_penalties=with_penalties)

    return _apply(rows, run, DECISION_COLUMNS)


def penalties(rows: Any, *, until: date) -> Any:
    """The penalties of every invoice due before *until* (packaged rate tables, default terms).

    Args:
        rows: a Dask DataFrame or Bag of `invoice_row` rows (or rows of the first layout).
        until: the last day counted (included).

    Returns:
        The same kind of collection, one row per invoice due before *until*, with
        `PENALTY_COLUMNS`.

    Raises:
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag.
        ImportError: if Dask is not installed.
    """

    def run(part: Columns) -> Columns:
        return _penalties_partition(part, until)

    return _apply(rows, run, PENALTY_COLUMNS)


def ageing_of(rows: Any, *, at: datetime, currency: str = "EUR") -> Ageing:
    """The ageing balance of every invoice of the collection (computed now, on the cluster).

    Each partition computes its own buckets with `dunning.metrics.ageing`; the buckets are sums, so
    adding the partitions' amounts and counts gives exactly the single-process figure.

    Args:
        rows: a Dask DataFrame or Bag of `invoice_row` rows (or rows of the first layout).
        at: the instant (timezone-aware).
        currency: only invoices in this currency count.

    Returns:
        The `Ageing` of the whole collection.

    Raises:
        ValueError: if *at* is naive.
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag.
        ImportError: if Dask is not installed.
    """
    check_aware(at)

    def run(part: Columns) -> Columns:
        return _ageing_partition(part, at, currency)

    parts = _apply(rows, run, _AGEING_COLUMNS).compute()
    records = parts if isinstance(parts, list) else parts.to_dict("records")
    amounts = dict.fromkeys(AGEING_BUCKETS, Decimal("0.00"))
    counts = dict.fromkeys(AGEING_BUCKETS, 0)
    for record in records:
        amounts[record["bucket"]] += Decimal(record["amount"])
        counts[record["bucket"]] += int(record["count"])
    return Ageing(at=at, currency=currency, amounts=amounts, counts=counts)


def customer_actions(rows: Any, scenario: Scenario | Policy | str, *, at: datetime) -> Any:
    """The messages due at *at*, one per customer (and currency), over the whole collection.

    The collection is first shuffled on ``customer_id`` (a DataFrame with
    ``shuffle(on="customer_id")``, a Bag grouped by it), so each customer's invoices are in
    one partition; each partition sorts its rows by customer and runs
    `plan_customer_actions`.

    Args:
        rows: a Dask DataFrame or Bag of `invoice_row` rows (or rows of the first layout).
        scenario: a `Scenario`, a `Policy` choosing one per customer, or the JSON text of
            either.
        at: the instant (timezone-aware).

    Returns:
        The same kind of collection, one row per message with `ACTION_COLUMNS`.

    Raises:
        ValueError: if *at* is naive.
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag, or *scenario* is none of
            the three.
        pydantic.ValidationError: if *scenario* is a text that is not a valid scenario or
            policy.
        ImportError: if Dask is not installed.
    """
    check_aware(at)
    db, dd = _dask()
    text = _scenario_text(scenario)

    def run(part: Columns) -> Columns:
        return _actions_partition(part, text, at)

    if isinstance(rows, dd.DataFrame):
        return _apply(rows.shuffle(on="customer_id"), run, ACTION_COLUMNS)
    if isinstance(rows, db.Bag):
        grouped = rows.groupby(lambda row: row["customer_id"])
        on_rows = _on_rows(run, ACTION_COLUMNS)

        def flatten(groups: Iterable[tuple[str, list[Row]]]) -> list[Row]:
            return on_rows(row for _, group in groups for row in group)

        return grouped.map_partitions(flatten)
    return _apply(rows, run, ACTION_COLUMNS)  # raises the TypeError
