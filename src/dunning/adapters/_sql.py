"""What the SQL stores share: the queries, the row <-> model mapping, the log protocol.

`SqlStore` holds every method `dunning.adapters.sqlite.SqliteStore` and
`dunning.adapters.postgres.PostgresStore` have in common, written once against a small
`Dialect` (placeholders, table prefix, how instants, amounts, dates and JSON travel). Each store
keeps only what truly differs: how it connects and opens transactions, its migrations, and how it
locks the actions a reservation covers. Both have the same tables, so one reading of a row serves
both:

``customers(id, data)``, ``invoices(id, customer_id, data, archived, review_after, version)``,
``events(seq, invoice_id, kind, data)``, ``credits(seq, customer_id, kind, data)``,
``action_log(key, customer_id, channel, status, owner, reserved_at, updated_at, attempts,
requires_approval, message, receipt_provider_id, receipt_detail, reason, decided_by,
attempted_at, decided_at, resolved_by)``, ``action_covers(key, position, invoice_id, action_id,
step_id, amount_due, deadline_on)`` and ``settings(name, value)``.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from types import TracebackType
from typing import Any, Final, Protocol, Self

from pydantic import TypeAdapter

from dunning.core._types import check_aware
from dunning.core.model import Channel, Customer, Event, Invoice
from dunning.core.portfolio import (
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
)
from dunning.core.render import Creditor, Message
from dunning.exceptions import StoredDataError
from dunning.ports import (
    Covered,
    EntryStatus,
    InvoiceReview,
    LogEntry,
    Receipt,
    UnreadableEntry,
    bounced_entry,
    log_events,
    reservation,
    resolved_entry,
    revised_entry,
)

__all__ = ["Dialect", "SqlStore", "Transaction"]

_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
_CREDIT: TypeAdapter[PaymentOnAccount | UnappliedCreditNote] = TypeAdapter(
    PaymentOnAccount | UnappliedCreditNote
)
_BATCH: Final = 200
"""Customers read per transaction by `SqlStore.entries`."""
_LOG_NAMES: Final = (
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
)
"""The ``action_log`` columns, in the order `_row` writes them and `_entry_from` reads them."""
_COVER_NAMES: Final = "invoice_id, action_id, step_id, amount_due, deadline_on"

_Rows = list[tuple[Any, ...]]
_Logged = dict[str, list[tuple[tuple[Any, ...], _Rows]]]


class _Result(Protocol):
    """What executing a statement gives back (a DB-API cursor)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Transaction(Protocol):
    """One open transaction: a ``sqlite3.Connection`` or a ``psycopg.Cursor``."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> _Result: ...

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


class SqlStore(ABC):
    """The methods both SQL stores share (`InvoiceSource` and `ActionLog`).

    A subclass gives the `Dialect`, opens transactions (`_write`, `_read`) and may lock the
    actions a reservation covers (`_lock_actions`) or index reviews in bulk (`_index_reviews`).
    """

    _dialect: Dialect
    _for_update: str = ""
    """What follows a query whose rows a reservation must hold (`` FOR UPDATE``, or nothing)."""

    def __init__(self) -> None:
        """Set up the bookkeeping every store keeps (its connections, the versions read)."""
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()
        self._versions: dict[str, int] = {}  # invoice id -> version read by entries()

    # -- what a store supplies --------------------------------------------------------------

    @abstractmethod
    def _write(self) -> AbstractContextManager[Transaction]:
        """A transaction that will write (taking the write lock first where it must)."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Transaction]:
        """A transaction that only reads."""

    def _lock_actions(self, tx: Transaction, actions: Sequence[str]) -> None:  # noqa: B027
        """Serialise reservations of these per-invoice actions (default: the write lock does)."""

    def _index_reviews(self, tx: Transaction, rows: Sequence[tuple[object, str, int]]) -> None:
        """Set ``review_after`` for ``(after, invoice id, version read)`` rows (compare-and-set)."""
        tx.executemany(
            self._sql("UPDATE {t}invoices SET review_after = ? WHERE id = ? AND version = ?"),
            rows,
        )

    def _sql(self, statement: str) -> str:
        return self._dialect.sql(statement)

    def _remember(self, connection: Any) -> None:
        """Keep *connection* so that `close` closes it."""
        with self._connections_lock:
            self._connections.append(connection)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections this store opened (never a host's pool or connection)."""
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block; it is closed at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    def schema_version(self) -> int:
        """The schema version of the database (the highest migration applied)."""
        with self._read() as tx:
            row = tx.execute(self._sql("SELECT max(version) FROM {t}schema_migrations")).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- the host's side: customers, invoices, events, credits ------------------------------

    def add_customer(self, customer: Customer) -> None:
        """Add or update a customer (its invoices see the change)."""
        with self._write() as tx:
            self._upsert_customer(tx, customer)

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice*, its customer and its events (the host's, not the log's)."""
        with self._write() as tx:
            self._upsert_customer(tx, invoice.customer)
            tx.execute(
                self._sql(
                    "INSERT INTO {t}invoices (id, customer_id, data) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
                    " data = excluded.data, archived = false, review_after = NULL,"
                    " version = invoices.version + 1"
                ),
                (invoice.id, invoice.customer.id, _invoice_json(invoice)),
            )
            tx.execute(self._sql("DELETE FROM {t}events WHERE invoice_id = ?"), (invoice.id,))
            rows = [(invoice.id, event.kind, event.model_dump_json()) for event in events]
            if rows:
                tx.executemany(
                    self._sql("INSERT INTO {t}events (invoice_id, kind, data) VALUES (?, ?, ?)"),
                    rows,
                )

    def import_invoices(self, invoices: Iterable[Invoice]) -> tuple[int, int]:
        """Add or update *invoices* and their customers in one transaction: all or nothing.

        An invoice already stored keeps its events and its log; its data (amount, dates,
        customer) is replaced and it is reviewed again.

        Returns:
            How many invoices were new, and how many were updated.

        Examples:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from dunning.adapters.sqlite import SqliteStore
            >>> from dunning.testing import make_invoice
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
            ...     store.import_invoices([make_invoice(id="F-1"), make_invoice(id="F-2")])
            ...     store.import_invoices([make_invoice(id="F-2", total="99.00")])
            (2, 0)
            (0, 1)
            >>> folder.cleanup()
        """
        new = updated = 0
        upsert = self._sql(
            "INSERT INTO {t}invoices (id, customer_id, data) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
            " data = excluded.data, review_after = NULL, version = invoices.version + 1"
        )
        known = self._sql("SELECT 1 FROM {t}invoices WHERE id = ?")
        with self._write() as tx:
            for invoice in invoices:
                self._upsert_customer(tx, invoice.customer)
                if tx.execute(known, (invoice.id,)).fetchone() is None:
                    new += 1
                else:
                    updated += 1
                tx.execute(upsert, (invoice.id, invoice.customer.id, _invoice_json(invoice)))
        return new, updated

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (with its customer).

        Raises:
            KeyError: if no invoice has this id or number, or several have this number.

        Examples:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from dunning.adapters.sqlite import SqliteStore
            >>> from dunning.testing import make_invoice
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
            ...     store.add_invoice(make_invoice(id="F-1", number="2026-0001"))
            ...     store.invoice("2026-0001").id, store.invoice("F-1").number
            ('F-1', '2026-0001')
            >>> folder.cleanup()
        """
        select = (
            "SELECT i.id, i.data{text}, c.data{text} FROM {t}invoices i"
            " JOIN {t}customers c ON c.id = i.customer_id"
        )
        with self._read() as tx:
            rows = tx.execute(self._sql(select + " WHERE i.id = ?"), (ref,)).fetchall()
            if not rows:
                by_number = self._sql(select + " WHERE {number} = ?")
                rows = tx.execute(by_number, (ref,)).fetchall()
        if not rows:
            msg = f"no invoice with id or number {ref!r}"
            raise KeyError(msg)
        if len(rows) > 1:
            ids = ", ".join(sorted(r[0] for r in rows))
            msg = f"several invoices have the number {ref!r} (ids {ids}): give the id"
            raise KeyError(msg)
        [(invoice_id, data, customer_data)] = rows
        where = f"invoices[{invoice_id!r}]"
        customer = _parse(Customer.model_validate_json, customer_data, where)
        return _invoice_from(data, customer, where)

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice (a payment, a dispute...).

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._write() as tx:
            changed = tx.execute(
                self._sql(
                    "UPDATE {t}invoices SET review_after = NULL, version = version + 1 WHERE id = ?"
                ),
                (invoice_id,),
            )
            if changed.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)
            tx.execute(
                self._sql("INSERT INTO {t}events (invoice_id, kind, data) VALUES (?, ?, ?)"),
                (invoice_id, event.kind, event.model_dump_json()),
            )

    def record_delivery_failure(self, key: str, *, at: datetime, reason: str) -> None:
        """Record that the sent message *key* never reached the customer (a bounce...).

        The entry becomes ``failed``, so the engine tries the step's fallback channel next,
        with a new message. For bounce reports and returned letters.

        Raises:
            KeyError: if there is no message under *key*.
            ValueError: if it was never sent.
        """
        with self._write() as tx:
            entry = bounced_entry(self._get(tx, key, lock=True), key, at=at, reason=reason)
            self._update_entry(tx, entry)
            self._touch(tx, [c.invoice_id for c in entry.covers])

    def add_credit(self, credit: PaymentOnAccount | UnappliedCreditNote) -> None:
        """Record money or a credit note not yet allocated to an invoice.

        Raises:
            KeyError: if there is no such customer.
        """
        with self._write() as tx:
            known = tx.execute(
                self._sql("SELECT 1 FROM {t}customers WHERE id = ?"), (credit.customer_id,)
            )
            if known.fetchone() is None:
                msg = f"no customer with id {credit.customer_id!r}"
                raise KeyError(msg)
            tx.execute(
                self._sql("INSERT INTO {t}credits (customer_id, kind, data) VALUES (?, ?, ?)"),
                (credit.customer_id, credit.kind, credit.model_dump_json()),
            )
            tx.execute(
                self._sql(
                    "UPDATE {t}invoices SET review_after = NULL, version = version + 1"
                    " WHERE customer_id = ?"
                ),
                (credit.customer_id,),
            )

    def archive_invoice(self, invoice_id: str) -> None:
        """Stop reviewing an invoice (settled and filed); its history and log stay.

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._write() as tx:
            done = tx.execute(
                self._sql("UPDATE {t}invoices SET archived = true WHERE id = ?"), (invoice_id,)
            )
            if done.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events: the host's, then those derived from the log.

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._read() as tx:
            known = tx.execute(self._sql("SELECT 1 FROM {t}invoices WHERE id = ?"), (invoice_id,))
            if known.fetchone() is None:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)
            rows = tx.execute(
                self._sql("SELECT data{text} FROM {t}events WHERE invoice_id = ? ORDER BY seq"),
                (invoice_id,),
            ).fetchall()
            logged = self._log_rows(tx, [invoice_id]).get(invoice_id, [])
        own = [_EVENTS.validate_json(data) for (data,) in rows]
        return (*own, *_derived(invoice_id, logged))

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        with self._read() as tx:
            return self._entries(
                tx, "key IN (SELECT key FROM {t}action_covers WHERE invoice_id = ?)", [invoice_id]
            )

    def set_creditor(self, creditor: Creditor) -> None:
        """Store the creditor the command line runs with."""
        with self._write() as tx:
            tx.execute(
                self._sql(
                    "INSERT INTO {t}settings (name, value) VALUES ('creditor', ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                ),
                (creditor.model_dump_json(),),
            )

    def creditor(self) -> Creditor | None:
        """The stored creditor, or None."""
        with self._read() as tx:
            row = tx.execute(
                self._sql("SELECT value FROM {t}settings WHERE name = 'creditor'")
            ).fetchone()
        return None if row is None else Creditor.model_validate_json(row[0])

    # -- InvoiceSource ----------------------------------------------------------------------

    def entries(self, at: datetime) -> Iterator[PortfolioEntry | UnreadableEntry]:
        """The customers with an invoice due for review, with their open invoices and credits.

        An invoice is due for review when it is new or changed (an event, a credit, a human's
        decision on a message covering it) or its ``review_after`` (set by `reviewed`) has
        come. Customers are read in sorted batches of 200 through the ``(customer_id, id)``
        index, each batch in one short read transaction, so a large book streams in time
        linear in its size without holding a lock while the runner writes to the log. Events
        dated after *at* are left in: the engine ignores them and the runner stops on them.
        Rows that cannot be read give an `UnreadableEntry` for their customer.
        """
        now = self._dialect.instant(at)
        due = self._sql(
            "SELECT DISTINCT customer_id FROM {t}invoices"
            " WHERE customer_id > ? AND archived = false"
            " AND (review_after IS NULL OR review_after <= ?)"
            " ORDER BY customer_id LIMIT ?"
        )
        after = ""
        while True:
            with self._read() as tx:
                ids = [row[0] for row in tx.execute(due, (after, now, _BATCH)).fetchall()]
                batch = self._batch(tx, ids)
            yield from batch
            if len(ids) < _BATCH:
                return
            after = ids[-1]

    def reviewed(self, reviews: Sequence[InvoiceReview]) -> None:
        """Index the invoices by when they must be reviewed again (``review_after``).

        An invoice changed since `entries` read it keeps "review now" (its ``version`` moved
        on).
        """
        rows: list[tuple[object, str, int]] = []
        for review in reviews:
            version = self._versions.pop(review.invoice_id, None)
            if version is None:
                continue
            after = review.review_after
            encoded = self._dialect.never if after is None else self._dialect.instant(after)
            rows.append((encoded, review.invoice_id, version))
        if rows:
            with self._write() as tx:
                self._index_reviews(tx, rows)

    def _batch(
        self, tx: Transaction, customer_ids: Sequence[str]
    ) -> list[PortfolioEntry | UnreadableEntry]:
        """The customers' entries, in order; a customer with a bad row: one `UnreadableEntry`.

        A few queries for the whole batch; the rows are turned into models customer by
        customer, so a bad row stops its own customer only.
        """
        if not customer_ids:
            return []
        some, params = self._dialect.any_of("id", customer_ids)
        rows = tx.execute(
            self._sql("SELECT id, data{text} FROM {t}customers WHERE " + some), params
        ).fetchall()
        customers: dict[str, str] = dict(rows)
        some, params = self._dialect.any_of("customer_id", customer_ids)
        invoices: dict[str, list[tuple[str, str, int]]] = {}
        for invoice_id, cid, data, version in tx.execute(
            self._sql(
                "SELECT id, customer_id, data{text}, version FROM {t}invoices"
                f" WHERE archived = false AND {some} ORDER BY customer_id, id"
            ),
            params,
        ).fetchall():
            invoices.setdefault(cid, []).append((invoice_id, data, version))
        invoice_ids = [row[0] for rows in invoices.values() for row in rows]
        events: dict[str, list[str]] = {}
        if invoice_ids:
            some_invoice, invoice_params = self._dialect.any_of("invoice_id", invoice_ids)
            for invoice_id, data in tx.execute(
                self._sql(
                    "SELECT invoice_id, data{text} FROM {t}events"
                    f" WHERE {some_invoice} ORDER BY seq"
                ),
                invoice_params,
            ).fetchall():
                events.setdefault(invoice_id, []).append(data)
        logged = self._log_rows(tx, invoice_ids)
        unallocated: dict[str, list[str]] = {}
        for cid, data in tx.execute(
            self._sql(
                f"SELECT customer_id, data{{text}} FROM {{t}}credits WHERE {some} ORDER BY seq"
            ),
            params,
        ).fetchall():
            unallocated.setdefault(cid, []).append(data)
        out: list[PortfolioEntry | UnreadableEntry] = []
        for cid in customer_ids:
            try:
                entries = _customer_entries(
                    cid,
                    customers.get(cid),
                    invoices.get(cid, []),
                    events=events,
                    logged=logged,
                    unallocated=unallocated,
                )
            except (StoredDataError, ValueError, KeyError, TypeError) as error:
                out.append(UnreadableEntry(cid, f"{type(error).__name__}: {error}"))
            else:
                out.extend(entries)
                self._versions.update(
                    (invoice_id, version) for invoice_id, _, version in invoices.get(cid, [])
                )
        return out

    def _log_rows(self, tx: Transaction, invoice_ids: Sequence[str]) -> _Logged:
        """The log rows covering these invoices, with their covers, by invoice (unparsed)."""
        if not invoice_ids:
            return {}
        some, params = self._dialect.any_of("invoice_id", invoice_ids)
        covers: dict[str, _Rows] = {}
        for row in tx.execute(
            self._sql(
                f"SELECT key, {_COVER_NAMES} FROM {{t}}action_covers"
                f" WHERE key IN (SELECT key FROM {{t}}action_covers WHERE {some})"
                " ORDER BY key, position"
            ),
            params,
        ).fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        if not covers:
            return {}
        some_key, key_params = self._dialect.any_of("key", list(covers))
        wanted = set(invoice_ids)
        out: _Logged = {}
        for row in tx.execute(
            self._sql(
                f"SELECT {self._log_columns()} FROM {{t}}action_log WHERE {some_key}"
                " ORDER BY reserved_at, key"
            ),
            key_params,
        ).fetchall():
            for invoice_id in sorted({c[0] for c in covers[row[0]]} & wanted):
                out.setdefault(invoice_id, []).append((tuple(row), covers[row[0]]))
        return out

    # -- ActionLog --------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self._read() as tx:
            return self._get(tx, key)

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and actions (see `dunning.ports.ActionLog`).

        One transaction: the actions it covers locked (`_lock_actions`), the entries covering
        them read (``FOR UPDATE`` where rows can be locked), then the write and the superseded
        entries closed, all in one commit.
        """
        actions = sorted({c.action_id for c in entry.covers})
        with self._write() as tx:
            self._lock_actions(tx, actions)
            some, params = self._dialect.any_of("action_id", actions)
            found = self._entries(
                tx,
                f"key = ? OR key IN (SELECT key FROM {{t}}action_covers WHERE {some})",
                [entry.key, *params],
                lock=True,
            )
            existing = next((e for e in found if e.key == entry.key), None)
            stored, superseded = reservation(entry, existing, found)
            if stored is None:
                return False
            for old in superseded:
                self._update_entry(tx, old)
            if existing is None:
                marks = ", ".join("?" * len(_LOG_NAMES))
                tx.execute(
                    self._sql(
                        f"INSERT INTO {{t}}action_log ({', '.join(_LOG_NAMES)}) VALUES ({marks})"
                    ),
                    self._row(stored),
                )
                self._insert_covers(tx, stored)
            else:
                self._update_entry(tx, stored)
            return True

    def begin_attempt(
        self,
        key: str,
        *,
        owner: str,
        expect: EntryStatus,
        expect_attempts: int,
        at: datetime,
        message: Message | None = None,
    ) -> LogEntry | None:
        """Claim *key* for a send attempt if it is still as the caller saw it (one UPDATE).

        Of two runners claiming one key, exactly one matches ``status`` and ``attempts``.
        """
        instant = self._dialect.instant(at)
        with self._write() as tx:
            claimed = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, owner = ?, attempts = attempts + 1,"
                    " updated_at = ?, attempted_at = ?, message = coalesce(?{json}, message)"
                    " WHERE key = ? AND status = ? AND attempts = ?"
                ),
                (
                    EntryStatus.RESERVED.value,
                    owner,
                    instant,
                    instant,
                    message.model_dump_json() if message is not None else None,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            )
            if claimed.rowcount != 1:
                return None
            return self._get(tx, key)

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it (one UPDATE)."""
        instant = self._dialect.instant(at)
        with self._write() as tx:
            done = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, updated_at = ?, reason = ?"
                    " WHERE key = ? AND status = ? AND attempts = ?"
                ),
                (EntryStatus.CANCELLED.value, instant, reason, key, expect.value, expect_attempts),
            )
            return done.rowcount == 1

    def revise(
        self,
        key: str,
        *,
        expect: EntryStatus,
        expect_attempts: int,
        status: EntryStatus,
        covers: tuple[Covered, ...],
        message: Message,
        at: datetime,
        reason: str,
    ) -> LogEntry | None:
        """Replace an undelivered entry's preview, amounts and status, compare-and-set."""
        with self._write() as tx:
            entry = self._get(tx, key, lock=True)
            if entry is None or entry.status is not expect or entry.attempts != expect_attempts:
                return None
            new = revised_entry(
                entry, status=status, covers=covers, message=message, at=at, reason=reason
            )
            self._update_entry(tx, new)
            return new

    def finish(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
    ) -> None:
        """Record the outcome of an attempt (one UPDATE).

        Raises:
            KeyError: if there is no entry under *key*.
        """
        instant = self._dialect.instant(at)
        with self._write() as tx:
            done = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, updated_at = ?,"
                    " receipt_provider_id = ?, receipt_detail = ?, reason = ? WHERE key = ?"
                ),
                (
                    status.value,
                    instant,
                    receipt.provider_id if receipt else None,
                    receipt.detail if receipt else None,
                    reason,
                    key,
                ),
            )
            if done.rowcount == 0:
                msg = f"no message with id {key!r} in the action log"
                raise KeyError(msg)

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry (one UPDATE, then its invoices are re-reviewed).

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        instant = self._dialect.instant(at)
        status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
        with self._write() as tx:
            done = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, decided_by = ?, decided_at = ?,"
                    " updated_at = ? WHERE key = ? AND status = ?"
                ),
                (
                    status.value,
                    by or "unknown",
                    instant,
                    instant,
                    key,
                    EntryStatus.PENDING_APPROVAL.value,
                ),
            )
            decided = self._get(tx, key) if done.rowcount == 1 else None
            if decided is None:
                msg = f"no message awaiting approval with id {key!r}"
                raise KeyError(msg)
            self._touch(tx, [c.invoice_id for c in decided.covers])
        return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an uncertain entry (see `dunning.ports.ActionLog`).

        Raises:
            KeyError: if no uncertain message has this key.
        """
        with self._write() as tx:
            entry = resolved_entry(
                self._get(tx, key, lock=True), key, delivered=delivered, by=by, at=at
            )
            self._update_entry(tx, entry)
            self._touch(tx, [c.invoice_id for c in entry.covers])
        return entry

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        if not statuses:
            return []
        some, params = self._dialect.any_of("status", [s.value for s in statuses])
        with self._read() as tx:
            return self._entries(tx, some, params)

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest attempt not after *at* among the customer's sent or uncertain entries."""
        instant = self._dialect.instant(at)
        with self._read() as tx:
            row = tx.execute(
                self._sql(
                    "SELECT max(attempted_at) FROM {t}action_log WHERE customer_id = ?"
                    " AND status IN ('sent', 'uncertain') AND attempted_at <= ?"
                ),
                (customer_id, instant),
            ).fetchone()
        return None if row is None or row[0] is None else _instant_from(row[0])

    def latest_run(self) -> datetime | None:
        """The latest run instant recorded."""
        with self._read() as tx:
            row = tx.execute(
                self._sql("SELECT value FROM {t}settings WHERE name = 'latest_run'")
            ).fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def record_run(self, at: datetime) -> None:
        """Remember *at* if it is later than the latest run instant (one statement)."""
        check_aware(at)
        with self._write() as tx:
            tx.execute(
                self._sql(
                    "INSERT INTO {t}settings (name, value) VALUES ('latest_run', ?)"
                    " ON CONFLICT (name)"
                    " DO UPDATE SET value = {greatest}(settings.value, excluded.value)"
                ),
                (at.astimezone(UTC).isoformat(timespec="microseconds"),),
            )

    # -- reading and writing entries --------------------------------------------------------

    def _log_columns(self) -> str:
        return ", ".join(f"{n}{{text}}" if n == "message" else n for n in _LOG_NAMES)

    def _get(self, tx: Transaction, key: str, *, lock: bool = False) -> LogEntry | None:
        found = self._entries(tx, "key = ?", [key], lock=lock)
        return found[0] if found else None

    def _entries(
        self, tx: Transaction, where: str, params: Sequence[object], *, lock: bool = False
    ) -> list[LogEntry]:
        """The entries matching *where* (oldest first), with their covers: two queries.

        With *lock*, the rows are read ``FOR UPDATE`` where the database locks rows.
        """
        rows = tx.execute(
            self._sql(
                f"SELECT {self._log_columns()} FROM {{t}}action_log WHERE {where}"
                f" ORDER BY reserved_at, key{self._for_update if lock else ''}"
            ),
            params,
        ).fetchall()
        if not rows:
            return []
        some, key_params = self._dialect.any_of("key", [row[0] for row in rows])
        covers: dict[str, _Rows] = {}
        for row in tx.execute(
            self._sql(
                f"SELECT key, {_COVER_NAMES} FROM {{t}}action_covers WHERE {some}"
                " ORDER BY key, position"
            ),
            key_params,
        ).fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        return [_entry_from(tuple(row), covers.get(row[0], [])) for row in rows]

    def _upsert_customer(self, tx: Transaction, customer: Customer) -> None:
        tx.execute(
            self._sql(
                "INSERT INTO {t}customers (id, data) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data"
            ),
            (customer.id, customer.model_dump_json()),
        )

    def _touch(self, tx: Transaction, invoice_ids: Sequence[str]) -> None:
        """Something changed for these invoices: review them at the next run."""
        if not invoice_ids:
            return
        some, params = self._dialect.any_of("id", invoice_ids)
        tx.execute(
            self._sql(
                "UPDATE {t}invoices SET review_after = NULL, version = version + 1 WHERE " + some
            ),
            params,
        )

    def _row(self, entry: LogEntry) -> tuple[object, ...]:
        """The ``action_log`` row of *entry*, in `_LOG_NAMES` order."""
        instant = self._dialect.instant
        return (
            entry.key,
            entry.customer_id,
            entry.channel.value,
            entry.status.value,
            entry.owner,
            instant(entry.reserved_at),
            instant(entry.updated_at),
            entry.attempts,
            entry.requires_approval,
            entry.message.model_dump_json(),
            entry.receipt.provider_id if entry.receipt else None,
            entry.receipt.detail if entry.receipt else None,
            entry.reason,
            entry.decided_by,
            None if entry.attempted_at is None else instant(entry.attempted_at),
            None if entry.decided_at is None else instant(entry.decided_at),
            entry.resolved_by,
        )

    def _update_entry(self, tx: Transaction, entry: LogEntry) -> None:
        """Write every column of *entry* (and its covers) over the row with its key."""
        assignments = ", ".join(f"{c} = ?" for c in _LOG_NAMES[1:])
        row = self._row(entry)
        tx.execute(
            self._sql(f"UPDATE {{t}}action_log SET {assignments} WHERE key = ?"),
            (*row[1:], entry.key),
        )
        tx.execute(self._sql("DELETE FROM {t}action_covers WHERE key = ?"), (entry.key,))
        self._insert_covers(tx, entry)

    def _insert_covers(self, tx: Transaction, entry: LogEntry) -> None:
        native = self._dialect.native
        tx.executemany(
            self._sql(
                "INSERT INTO {t}action_covers"
                " (key, position, invoice_id, action_id, step_id, amount_due, deadline_on)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                (
                    entry.key,
                    position,
                    c.invoice_id,
                    c.action_id,
                    c.step_id,
                    c.amount_due if native or c.amount_due is None else str(c.amount_due),
                    c.deadline_on if native or c.deadline_on is None else c.deadline_on.isoformat(),
                )
                for position, c in enumerate(entry.covers)
            ],
        )


# -- rows -> models ------------------------------------------------------------------------


def _invoice_json(invoice: Invoice) -> str:
    return invoice.model_dump_json(exclude={"customer"})


def _parse(parse: Any, data: Any, where: str) -> Any:
    """*parse*(*data*), or a `StoredDataError` saying which row is bad."""
    try:
        return parse(data)
    except (ValueError, TypeError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=where) from error


def _invoice_from(data: str, customer: Customer, where: str) -> Invoice:
    """The stored invoice *data* (JSON without its customer) with *customer*."""
    fields: dict[str, Any] = _parse(json.loads, data, where)
    invoice: Invoice = _parse(Invoice.model_validate, {**fields, "customer": customer}, where)
    return invoice


def _derived(invoice_id: str, logged: Sequence[tuple[tuple[Any, ...], _Rows]]) -> list[Event]:
    """The events the log entries *logged* give the invoice (`dunning.ports.log_events`)."""
    return [
        event
        for row, covers in logged
        for on, event in log_events(_entry_from(row, covers))
        if on == invoice_id
    ]


def _customer_entries(
    customer_id: str,
    customer_data: str | None,
    invoice_rows: Sequence[tuple[str, str, int]],
    *,
    events: dict[str, list[str]],
    logged: _Logged,
    unallocated: dict[str, list[str]],
) -> list[PortfolioEntry]:
    where = f"customers[{customer_id!r}]"
    if customer_data is None:
        msg = "no such customer"
        raise StoredDataError(msg, where=where)
    customer = _parse(Customer.model_validate_json, customer_data, where)
    out: list[PortfolioEntry] = []
    for invoice_id, data, _ in invoice_rows:
        invoice = _invoice_from(data, customer, f"invoices[{invoice_id!r}]")
        own = [
            _parse(_EVENTS.validate_json, text, f"events of {invoice_id!r}")
            for text in events.get(invoice_id, ())
        ]
        derived = _derived(invoice_id, logged.get(invoice_id, ()))
        out.append(InvoiceHistory(invoice=invoice, events=(*own, *derived)))
    out.extend(
        _parse(_CREDIT.validate_json, text, f"credits of {customer_id!r}")
        for text in unallocated.get(customer_id, ())
    )
    return out


def _instant_from(value: datetime | str) -> datetime:
    """A stored instant (a datetime, or ISO 8601 text), in UTC."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at.astimezone(UTC)


def _entry_from(row: Sequence[Any], covers: Sequence[Sequence[Any]]) -> LogEntry:
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
            reserved_at=_instant_from(reserved_at),
            updated_at=_instant_from(updated_at),
            attempts=attempts,
            receipt=None if provider_id is None else Receipt(provider_id, detail or ""),
            reason=reason,
            decided_by=decided_by,
            requires_approval=bool(requires_approval),
            attempted_at=None if attempted_at is None else _instant_from(attempted_at),
            decided_at=None if decided_at is None else _instant_from(decided_at),
            resolved_by=resolved_by,
        )
    except (ValueError, TypeError, ArithmeticError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=f"action_log[{key!r}]") from error


def _day_from(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
