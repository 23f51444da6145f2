"""The SQL stores' words and rows: the `Dialect`, and rows <-> models.

What `dunning.adapters._sql.SqlStore` needs to speak to SQLite and PostgreSQL alike: a
`Dialect` turns one statement into each database's, and the functions below turn the rows of
the shared tables into models (a bad row raises `StoredDataError` naming it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, Protocol

from pydantic import TypeAdapter

from dunning.core.action_log import (
    Covered,
    EntryStatus,
    LogEntry,
    Receipt,
    log_events,
)
from dunning.core.model import Channel, Customer, Event, Invoice, check_aware
from dunning.core.portfolio import (
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
)
from dunning.core.render import Message
from dunning.exceptions import StoredDataError

__all__ = [
    "COVER_COLUMNS",
    "LOG_COLUMNS",
    "SQLITE",
    "Dialect",
    "Logged",
    "Result",
    "Rows",
    "Transaction",
    "customer_entries",
    "derived_events",
    "entry_from",
    "instant_from",
    "invoice_from",
    "invoice_json",
    "parse",
    "postgres",
]

EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
CREDIT: TypeAdapter[PaymentOnAccount | UnappliedCreditNote] = TypeAdapter(
    PaymentOnAccount | UnappliedCreditNote
)
LOG_COLUMNS: Final = (
    "key",
    "customer_id",
    "channel",
    "status",
    "owner",
    "reserved_at",
    "updated_at",
    "attempts",
    "requires_approval",
    "message",
    "receipt_provider_id",
    "receipt_detail",
    "reason",
    "decided_by",
    "attempted_at",
    "decided_at",
    "resolved_by",
    "not_before",
    "not_after",
)
"""The ``action_log`` columns, in the order `_row` writes them and `entry_from` reads them."""
COVER_COLUMNS: Final = "invoice_id, action_id, step_id, amount_due, deadline_on"

Rows = list[tuple[Any, ...]]
Logged = dict[str, list[tuple[tuple[Any, ...], Rows]]]


class Result(Protocol):
    """What executing a statement gives back (a DB-API cursor)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Transaction(Protocol):
    """One open transaction: a ``sqlite3.Connection`` or a ``psycopg.Cursor``."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Result: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> object: ...


@dataclass(frozen=True)
class Dialect:
    """How one database spells what `SqlStore` asks of it.

    Statements are written once, with ``?`` for each parameter and these words in braces:
    ``{t}`` before each table name (the schema), ``{text}`` after a JSON column read as text,
    ``{json}`` after a JSON parameter, ``{greatest}`` for the larger of two values and
    ``{number}`` for an invoice row's number. `sql` turns them into this database's statement.

    Attributes:
        mark: the driver's parameter placeholder (``?`` or ``%s``).
        tables: the prefix of every table name (``""`` or ``"schema".``).
        text: what follows a JSON column read as text (``""`` or ``::text``).
        json: what follows a JSON parameter (``""`` or ``::jsonb``).
        greatest: the function giving the larger of two values (``max`` or ``greatest``).
        number: the expression for an invoice's number, from the row ``i``.
        never: ``review_after`` of an invoice only a change will bring back (after any instant).
        native: the driver passes datetimes, Decimals and dates as such (else as ISO text).
        array: lists go as one array parameter (``= ANY(?)``), else as one mark per item.
    """

    mark: str
    tables: str
    text: str
    json: str
    greatest: str
    number: str
    never: str
    native: bool
    array: bool

    def sql(self, statement: str) -> str:
        """*statement* in this database's words (see the class docstring).

        Examples:
            >>> SQLITE.sql("SELECT data{text} FROM {t}customers WHERE id = ?")
            'SELECT data FROM customers WHERE id = ?'
            >>> postgres("books").sql("SELECT data{text} FROM {t}customers WHERE id = ?")
            'SELECT data::text FROM "books".customers WHERE id = %s'
            >>> postgres("books").sql("SELECT id FROM {t}invoices WHERE bucket % ? = ?")
            'SELECT id FROM "books".invoices WHERE bucket %% %s = %s'
        """
        return _translated(statement, self)

    def instant(self, at: datetime) -> object:
        """*at* as a parameter: the aware datetime, or ISO 8601 text in UTC.

        Raises:
            ValueError: if *at* is naive.
        """
        check_aware(at)
        utc = at.astimezone(UTC)
        return utc if self.native else utc.isoformat(timespec="microseconds")

    def any_of(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        """``column`` is one of *values*: the condition (with ``?`` marks) and its parameters.

        Examples:
            >>> SQLITE.any_of("id", ["a", "b"])
            ('id IN (?, ?)', ['a', 'b'])
        """
        if self.array:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)


@lru_cache(maxsize=1024)
def _translated(statement: str, dialect: Dialect) -> str:
    """`Dialect.sql`, memoised (a pure function of two immutable values)."""
    words = statement.format(
        t=dialect.tables,
        text=dialect.text,
        json=dialect.json,
        greatest=dialect.greatest,
        number=dialect.number,
    )
    if dialect.mark == "%s":  # a literal % (modulo) is written %% where %s marks parameters
        words = words.replace("%", "%%")
    return words.replace("?", dialect.mark)


SQLITE: Final = Dialect(
    mark="?",
    tables="",
    text="",
    json="",
    greatest="max",
    number="json_extract(i.data, '$.number')",
    never="never",
    native=False,
    array=False,
)
"""SQLite: ISO 8601 text for instants (``never`` sorts after every one of them)."""


def postgres(schema: str) -> Dialect:
    """PostgreSQL, with dunning's tables in *schema* (a plain name, checked by the caller)."""
    return Dialect(
        mark="%s",
        tables=f'"{schema}".',
        text="::text",
        json="::jsonb",
        greatest="greatest",
        number="i.data->>'number'",
        never="infinity",
        native=True,
        array=True,
    )


# -- rows -> models ------------------------------------------------------------------------


def invoice_json(invoice: Invoice) -> str:
    return invoice.model_dump_json(exclude={"customer"})


def parse(parse: Any, data: Any, where: str) -> Any:
    """*parse*(*data*), or a `StoredDataError` saying which row is bad."""
    try:
        return parse(data)
    except (ValueError, TypeError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=where) from error


def invoice_from(data: str, customer: Customer, where: str) -> Invoice:
    """The stored invoice *data* (JSON without its customer) with *customer*."""
    fields: dict[str, Any] = parse(json.loads, data, where)
    invoice: Invoice = parse(Invoice.model_validate, {**fields, "customer": customer}, where)
    return invoice


def derived_events(invoice_id: str, logged: Sequence[tuple[tuple[Any, ...], Rows]]) -> list[Event]:
    """The events the log entries *logged* give the invoice (`dunning.ports.log_events`)."""
    return [
        event
        for row, covers in logged
        for on, event in log_events(entry_from(row, covers))
        if on == invoice_id
    ]


def customer_entries(
    customer_id: str,
    customer_data: str | None,
    invoice_rows: Sequence[tuple[str, str, int]],
    *,
    events: dict[str, list[str]],
    logged: Logged,
    unallocated: dict[str, list[str]],
) -> list[PortfolioEntry]:
    where = f"customers[{customer_id!r}]"
    if customer_data is None:
        msg = "no such customer"
        raise StoredDataError(msg, where=where)
    customer = parse(Customer.model_validate_json, customer_data, where)
    out: list[PortfolioEntry] = []
    for invoice_id, data, _ in invoice_rows:
        invoice = invoice_from(data, customer, f"invoices[{invoice_id!r}]")
        own = [
            parse(EVENTS.validate_json, text, f"events of {invoice_id!r}")
            for text in events.get(invoice_id, ())
        ]
        derived = derived_events(invoice_id, logged.get(invoice_id, ()))
        out.append(InvoiceHistory(invoice=invoice, events=(*own, *derived)))
    out.extend(
        parse(CREDIT.validate_json, text, f"credits of {customer_id!r}")
        for text in unallocated.get(customer_id, ())
    )
    return out


def instant_from(value: datetime | str) -> datetime:
    """A stored instant (a datetime, or ISO 8601 text), in UTC."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at.astimezone(UTC)


def entry_from(row: Sequence[Any], covers: Sequence[Sequence[Any]]) -> LogEntry:
    """The `LogEntry` of an ``action_log`` row and its ``action_covers`` rows."""
    (
        key,
        customer_id,
        channel,
        status,
        owner,
        reserved_at,
        updated_at,
        attempts,
        requires_approval,
        message,
        provider_id,
        detail,
        reason,
        decided_by,
        attempted_at,
        decided_at,
        resolved_by,
        not_before,
        not_after,
    ) = row
    try:
        return LogEntry(
            key=key,
            customer_id=customer_id,
            channel=Channel(channel),
            covers=tuple(
                Covered(
                    invoice_id,
                    action_id,
                    step_id,
                    None if amount is None else Decimal(amount),
                    None if deadline is None else _day_from(deadline),
                )
                for invoice_id, action_id, step_id, amount, deadline in covers
            ),
            message=Message.model_validate_json(message),
            status=EntryStatus(status),
            owner=owner,
            reserved_at=instant_from(reserved_at),
            updated_at=instant_from(updated_at),
            attempts=attempts,
            receipt=None if provider_id is None else Receipt(provider_id, detail or ""),
            reason=reason,
            decided_by=decided_by,
            requires_approval=bool(requires_approval),
            attempted_at=None if attempted_at is None else instant_from(attempted_at),
            decided_at=None if decided_at is None else instant_from(decided_at),
            resolved_by=resolved_by,
            not_before=None if not_before is None else instant_from(not_before),
            not_after=None if not_after is None else instant_from(not_after),
        )
    except (ValueError, TypeError, ArithmeticError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=f"action_log[{key!r}]") from error


def _day_from(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
