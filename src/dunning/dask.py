"""Decisions, penalties and metrics over a Dask DataFrame or Bag: scale-out on a cluster.

Install with ``pip install 'dunning[dask]'`` (``dask[dataframe]`` and ``distributed``).

How this works: the collection holds **plain rows**, one per invoice, never pickled models:
``customer_id``, ``invoice_id``, ``invoice`` (the invoice as JSON text, its customer
included) and ``events`` (its events as a JSON list, as `dunning.model.parse_events` reads them);
`invoice_row` makes one. Each partition validates its own rows into models, loads the
scenario (or the `Policy` choosing one per customer) from its JSON text (once per worker
process), and runs the same functions as a single
process (`decide_many`, `compute_penalties`, `ageing`, `plan_customer_actions`); it returns
plain rows again (strings for amounts and instants). Each partition is a pure function of its
rows, the scenario text and the instant, so the result is exactly the single-process result,
whatever the number of workers or partitions. Rules that span a customer's invoices (one
message per customer per day) need all of a customer's rows in one partition:
`customer_actions` shuffles the collection on ``customer_id`` itself.

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
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

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
"""The columns of `decisions` (amounts as decimal text, instants as ISO text, None if none)."""

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


def invoice_row(invoice: Invoice, events: Sequence[Event] = ()) -> Row:
    """The plain row of one invoice and its events, as the functions of this module read it.

    Args:
        invoice: the invoice (its customer is stored with it).
        events: its history.

    Returns:
        ``{"customer_id", "invoice_id", "invoice", "events"}``: ids, and JSON texts.

    Examples:
        >>> from datetime import date
        >>> from dunning import Customer, Invoice
        >>> inv = Invoice(id="F-1", number="1", customer=Customer(id="C1", name="A"),
        ...               issued_on=date(2026, 1, 2), due_on=date(2026, 2, 1), total="100.00")
        >>> row = invoice_row(inv)
        >>> row["customer_id"], row["events"], Invoice.model_validate_json(row["invoice"]) == inv
        ('C1', '[]', True)
    """
    return {
        "customer_id": invoice.customer.id,
        "invoice_id": invoice.id,
        "invoice": invoice.model_dump_json(),
        "events": json.dumps([event.model_dump(mode="json") for event in events]),
    }


def _models(rows: Iterable[Row]) -> Iterable[tuple[Invoice, list[Event]]]:
    for row in rows:
        invoice = Invoice.model_validate_json(row["invoice"])
        yield invoice, parse_events(json.loads(row["events"] or "[]"))


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


def _text(value: Decimal | datetime | date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def decision_record(decision: Decision, customer_id: str) -> Row:
    """One row of `decisions` from a `Decision` (what a single process compares with).

    Args:
        decision: the decision.
        customer_id: its invoice's customer.

    Returns:
        A dict with the keys of `DECISION_COLUMNS`.
    """
    action = decision.action
    return {
        "invoice_id": decision.invoice_id,
        "customer_id": customer_id,
        "status": decision.status.value,
        "level": decision.level,
        "outstanding": _text(decision.outstanding),
        "currency": decision.currency,
        "days_late": decision.days_late,
        "next_review_at": _text(decision.next_review_at),
        "next_step_id": decision.next_step_id,
        "action_id": action.id if action else None,
        "step_id": action.step_id if action else None,
        "channel": action.channel.value if action else None,
        "template": action.template if action else None,
        "penalties_total": _text(decision.penalties.total) if decision.penalties else None,
        "reason": decision.reason,
    }


def penalty_record(breakdown: PenaltyBreakdown, customer_id: str) -> Row:
    """One row of `penalties` from a `PenaltyBreakdown`.

    Args:
        breakdown: the breakdown.
        customer_id: its invoice's customer.

    Returns:
        A dict with the keys of `PENALTY_COLUMNS`.
    """
    return {
        "invoice_id": breakdown.invoice_id,
        "customer_id": customer_id,
        "until": breakdown.until.isoformat(),
        "periods": len(breakdown.lines),
        "interest": str(breakdown.interest),
        "recovery_indemnity": str(breakdown.recovery_indemnity),
        "total": str(breakdown.total),
    }


def action_record(action: CustomerAction) -> Row:
    """One row of `customer_actions` from a `CustomerAction`.

    Args:
        action: one message to one customer.

    Returns:
        A dict with the keys of `ACTION_COLUMNS`.
    """
    return {
        "customer_id": action.customer_id,
        "currency": action.currency,
        "channel": action.channel.value,
        "template": action.template,
        "action_ids": json.dumps([covered.id for covered in action.covers]),
        "invoice_ids": json.dumps([line.id for line in action.invoices]),
        "amount_due": str(action.amount_due),
    }


# ------------------------------------------------------------------- partition functions


def _decide_partition(
    rows: Iterable[Row], scenario: str, at: datetime, *, with_penalties: bool
) -> list[Row]:
    rows = list(rows)
    chosen = _scenario(scenario)
    made = decide_many(_models(rows), chosen, at=at, with_penalties=with_penalties)
    return [
        decision_record(decision, row["customer_id"])
        for decision, row in zip(made, rows, strict=True)
    ]


def _penalties_partition(rows: Iterable[Row], until: date) -> list[Row]:
    out = []
    for invoice, events in _models(rows):
        if invoice.first_due_on < until:
            breakdown = compute_penalties(invoice, events, until=until)
            out.append(penalty_record(breakdown, invoice.customer.id))
    return out


def _ageing_partition(rows: Iterable[Row], at: datetime, currency: str) -> list[Row]:
    entries = [InvoiceHistory(invoice=i, events=tuple(e)) for i, e in _models(rows)]
    result = ageing(entries, at=at, currency=currency)
    return [{"bucket": b, "amount": str(result.amounts[b]), "count": result.counts[b]}
            for b in AGEING_BUCKETS]  # fmt: skip


def _actions_partition(rows: Iterable[Row], scenario: str, at: datetime) -> list[Row]:
    ordered = sorted(rows, key=lambda row: (row["customer_id"], row["invoice_id"]))
    entries = (InvoiceHistory(invoice=i, events=tuple(e)) for i, e in _models(ordered))
    return [action_record(a) for a in plan_customer_actions(entries, _choice(scenario), at=at)]


def _apply(collection: Any, function: Callable[..., list[Row]], columns: Sequence[str]) -> Any:
    """Run *function* (rows in, rows out) on each partition of a DataFrame or a Bag."""
    db, dd = _dask()
    if isinstance(collection, db.Bag):
        return collection.map_partitions(function)
    if not isinstance(collection, dd.DataFrame):
        msg = f"expected a Dask DataFrame or Bag, got {type(collection).__name__}"
        raise TypeError(msg)
    import pandas as pd  # noqa: PLC0415 - installed with dask[dataframe]

    def on_frame(frame: pd.DataFrame) -> pd.DataFrame:
        records = function(frame.to_dict("records"))
        return pd.DataFrame(records, columns=list(columns), dtype=object)

    meta = pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return collection.map_partitions(on_frame, meta=meta)


# --------------------------------------------------------------------------- the API


def decisions(
    rows: Any, scenario: Scenario | Policy | str, *, at: datetime, with_penalties: bool = False
) -> Any:
    """Decide every invoice of a Dask DataFrame or Bag of `invoice_row` rows, lazily.

    Args:
        rows: a ``dask.dataframe.DataFrame`` with the columns of `invoice_row`, or a
            ``dask.bag.Bag`` of such dicts.
        scenario: a `Scenario`, or a `Policy` choosing one per customer (either is sent to
            the workers as its JSON text), or that JSON text.
        at: the instant to decide for (timezone-aware).
        with_penalties: also compute each late invoice's penalties (`penalties_total`).

    Returns:
        The same kind of collection, one row per invoice with `DECISION_COLUMNS` (call
        ``.compute()``, or write it to Parquet).

    Raises:
        ValueError: if *at* is naive.
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag, or *scenario* is none of
            the three.
        pydantic.ValidationError: if *scenario* is a text that is not a valid scenario or
            policy (at the call, not on the workers).
        ImportError: if Dask is not installed (naming the ``dunning[dask]`` extra).
    """
    check_aware(at)
    text = _scenario_text(scenario)

    def run(part: Iterable[Row]) -> list[Row]:
        return _decide_partition(part, text, at, with_penalties=with_penalties)

    return _apply(rows, run, DECISION_COLUMNS)


def penalties(rows: Any, *, until: date) -> Any:
    """The penalties of every invoice due before *until* (packaged rate tables, default terms).

    Args:
        rows: a Dask DataFrame or Bag of `invoice_row` rows.
        until: the last day counted (included).

    Returns:
        The same kind of collection, one row per invoice due before *until*, with
        `PENALTY_COLUMNS`.

    Raises:
        TypeError: if *rows* is neither a Dask DataFrame nor a Bag.
        ImportError: if Dask is not installed.
    """

    def run(part: Iterable[Row]) -> list[Row]:
        return _penalties_partition(part, until)

    return _apply(rows, run, PENALTY_COLUMNS)


def ageing_of(rows: Any, *, at: datetime, currency: str = "EUR") -> Ageing:
    """The ageing balance of every invoice of the collection (computed now, on the cluster).

    Each partition computes its own buckets with `dunning.metrics.ageing`; the buckets are sums, so
    adding the partitions' amounts and counts gives exactly the single-process figure.

    Args:
        rows: a Dask DataFrame or Bag of `invoice_row` rows.
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

    def run(part: Iterable[Row]) -> list[Row]:
        return _ageing_partition(part, at, currency)

    parts = _apply(rows, run, ("bucket", "amount", "count")).compute()
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
        rows: a Dask DataFrame or Bag of `invoice_row` rows.
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

    def run(part: Iterable[Row]) -> list[Row]:
        return _actions_partition(part, text, at)

    if isinstance(rows, dd.DataFrame):
        return _apply(rows.shuffle(on="customer_id"), run, ACTION_COLUMNS)
    if isinstance(rows, db.Bag):
        grouped = rows.groupby(lambda row: row["customer_id"])

        def flatten(groups: Iterable[tuple[str, list[Row]]]) -> list[Row]:
            return run(row for _, group in groups for row in group)

        return grouped.map_partitions(flatten)
    return _apply(rows, run, ACTION_COLUMNS)  # raises the TypeError
